// The control API's storage requests (server/control/storage.ts) against the real server: the
// status counts what was uploaded, new limits are checked, saved in the config file and apply
// to the next slot request at once, and purging deletes what is past the retention (or,
// confirmed, everything).
import type { Client } from '@xmpp/client';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { https, putFile, requestSlot, slotRequest } from '../../support/http-upload.js';
import { ManualClock } from '../../support/manual-clock.js';
import { freshAccounts, login } from '../../support/stanzas.js';
import { domain, startTestServer, type TestServer } from '../../support/server.js';

const service = `upload.${domain}`;
const MiB = 1_048_576;
const dayMs = 24 * 60 * 60 * 1000;

describe('storage control requests', () => {
  let test: TestServer;
  const clock = new ManualClock();
  let alice: Client;

  beforeAll(async () => {
    test = await startTestServer({}, undefined, { uploads: { clock } });
    const [name] = freshAccounts(test, 'alice');
    alice = await login(test, name);
  });
  afterAll(() => test.stop());

  const control = () => test.server.control;

  it('reports the space the files take, their number, the oldest and the limits', async () => {
    const empty = await control().request('storage.status', {});
    expect(empty).toEqual({
      ok: true,
      value: {
        enabled: true,
        uploadHost: service,
        bytesUsed: 0,
        fileCount: 0,
        options: { retentionDays: 30, maxFileSizeBytes: 104_857_600, userDailyQuotaBytes: 1_073_741_824, totalQuotaBytes: 10_737_418_240 },
      },
    });

    const slot = await requestSlot(alice, service, { filename: 'a.jpg', size: 2000 });
    expect((await putFile(slot, randomBytes(2000))).status).toBe(201);
    const status = await control().request('storage.status', {});
    if (!status.ok) throw new Error(status.error);
    expect(status.value).toMatchObject({ bytesUsed: 2000, fileCount: 1 });
    expect(status.value.nextExpiryAt! - status.value.oldestFileAt!).toBe(30 * dayMs);
  });

  it('refuses limits out of bounds, or that do not fit together, and saves nothing', async () => {
    expect(await control().request('storage.setOptions', { retentionDays: 0 })).toEqual({ ok: false, error: 'keep uploaded files at least 1 day' });
    expect(await control().request('storage.setOptions', { maxFileSizeBytes: 1000 })).toEqual({ ok: false, error: 'the largest file must be at least 1 MB' });
    expect(await control().request('storage.setOptions', { maxFileSizeBytes: 2 * 1_073_741_824 })).toEqual({
      ok: false,
      error: 'the largest file (2 GB) cannot be larger than what each person may upload in a day (1 GB)',
    });
    expect(test.config.upload.retentionDays).toBe(30);
  });

  it('saves new limits in the config file and applies them to the next slot request at once', async () => {
    const result = await control().request('storage.setOptions', { maxFileSizeBytes: 2 * MiB, retentionDays: 30 });
    if (!result.ok) throw new Error(result.error);
    expect(result.value.changed).toEqual(['maxFileSizeBytes']);
    expect(result.value.options.maxFileSizeBytes).toBe(2 * MiB);
    expect(JSON.parse(readFileSync(join(test.dataDir, 'hearth.json'), 'utf8'))).toEqual({ domain, upload: { maxFileSizeBytes: 2 * MiB } });

    const refused = await alice.iqCaller.request(slotRequest(service, { filename: 'b.jpg', size: 3 * MiB })).catch((error: { condition: string; text: string }) => error);
    expect(refused).toMatchObject({ condition: 'not-acceptable', text: expect.stringContaining('2 MB') });
    const info = await alice.iqCaller.request(slotRequest(service, { filename: 'b.jpg', size: MiB }));
    expect(info.attrs.type).toBe('result');
  });

  it('deletes at once what a shorter retention no longer keeps', async () => {
    const slot = await requestSlot(alice, service, { filename: 'old.jpg', size: 10 });
    expect((await putFile(slot, randomBytes(10))).status).toBe(201);
    clock.advance(10 * dayMs);
    const result = await control().request('storage.setOptions', { retentionDays: 7 });
    if (!result.ok) throw new Error(result.error);
    expect(result.value.fileCount).toBe(0);
    expect((await https(slot.get)).status).toBe(404);
  });

  it('deletes the expired files on request, and everything only when confirmed', async () => {
    const slot = await requestSlot(alice, service, { filename: 'new.jpg', size: 10 });
    expect((await putFile(slot, randomBytes(10))).status).toBe(201);
    const expired = await control().request('storage.purge', {});
    expect(expired).toMatchObject({ ok: true, value: { deletedFiles: 0, freedBytes: 0, fileCount: 1 } });

    expect(await control().request('storage.purge', { everything: true })).toEqual({ ok: false, error: 'deleting every uploaded file needs confirm: true' });
    const everything = await control().request('storage.purge', { everything: true, confirm: true });
    expect(everything).toMatchObject({ ok: true, value: { deletedFiles: 1, freedBytes: 10, fileCount: 0, bytesUsed: 0 } });
    expect((await https(slot.get)).status).toBe(404);
  });
});
