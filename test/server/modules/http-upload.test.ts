// XEP-0363 against the real server: slots over XMPP with @xmpp/client, files over real HTTPS
// (trusting the test CA), real SQLite and real files in the data directory. Time is moved with a
// hand-driven clock (ServerOptions.uploads.clock) for slot lifetimes and retention.
import type { Client } from '@xmpp/client';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeTcpPort } from '../../support/prosody.js';
import { removeCertificates, routesTo, startFederatedServer } from '../../support/federation.js';
import { https, openHttps, putFile, requestSlot, slotRequest, uploadNs, type Slot } from '../../support/http-upload.js';
import { ManualClock } from '../../support/manual-clock.js';
import { freshAccounts, login, stanzaErrorsNs } from '../../support/stanzas.js';
import { domain, startTestServer, xml, type TestServer } from '../../support/server.js';

afterAll(removeCertificates);

const service = `upload.${domain}`;
const MiB = 1_048_576;
const dayMs = 24 * 60 * 60 * 1000;

interface Refusal {
  condition: string;
  text: string;
  type: string;
  element: import('@xmpp/client').Element;
}

/** The slot request's error, or a failed test when a slot was given. */
async function refusal(client: Client, attrs: { filename: string; size: number | string; 'content-type'?: string }, to = service): Promise<Refusal> {
  const answer = await client.iqCaller.request(slotRequest(to, attrs)).then(
    () => undefined,
    (error: Refusal) => error,
  );
  if (!answer) throw new Error('the slot was given');
  return answer;
}

function uploadsDir(t: TestServer): string {
  return join(t.dataDir, 'uploads');
}

describe('HTTP file upload (XEP-0363)', () => {
  let test: TestServer;
  const clock = new ManualClock();
  let alice: Client;
  let aliceName: string;

  beforeAll(async () => {
    test = await startTestServer({ upload: { maxFileSizeBytes: 8 * MiB } }, undefined, { uploads: { clock } });
    [aliceName] = freshAccounts(test, 'alice');
    alice = await login(test, aliceName);
  });
  afterAll(() => test.stop());

  it('lists upload.<domain> in the server disco items, with its identity, feature and max-file-size', async () => {
    const items = await alice.iqCaller.request(xml('iq', { type: 'get', to: domain }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' })));
    expect(items.getChild('query')!.getChildren('item').map((item) => item.attrs.jid)).toContain(service);

    const info = (await alice.iqCaller.request(xml('iq', { type: 'get', to: service }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })))).getChild('query')!;
    expect(info.getChildren('identity').map((identity) => identity.attrs)).toContainEqual(expect.objectContaining({ category: 'store', type: 'file' }));
    expect(info.getChildren('feature').map((feature) => feature.attrs.var)).toContain(uploadNs);
    const form = info.getChild('x', 'jabber:x:data')!;
    const field = (name: string) => form.getChildren('field').find((f) => f.attrs.var === name)?.getChildText('value');
    expect(field('FORM_TYPE')).toBe(uploadNs);
    expect(field('max-file-size')).toBe(String(8 * MiB));
  });

  it('gives a slot whose PUT and GET URLs are under /upload/ at the public HTTPS address', async () => {
    const slot = await requestSlot(alice, service, { filename: 'holiday photo.jpg', size: 1000, 'content-type': 'image/jpeg' });
    const https = test.server.listeners.find((l) => l.name === 'https')!.port;
    expect(slot.put).toMatch(new RegExp(`^https://localhost:${https}/upload/[A-Za-z0-9_-]{43}/holiday%20photo\\.jpg$`));
    expect(slot.get).toBe(slot.put);
    const record = test.server.storage.uploads.get(slot.id);
    expect(record).toMatchObject({ owner: aliceName, filename: 'holiday photo.jpg', size: 1000, contentType: 'image/jpeg', uploadedAt: undefined });
  });

  describe('a 5 MB photo', () => {
    const photo = randomBytes(5 * MiB);
    let slot: Slot;

    beforeAll(async () => {
      slot = await requestSlot(alice, service, { filename: 'beach.jpg', size: photo.length, 'content-type': 'image/jpeg' });
    });

    it('is stored by one PUT over HTTPS, answered 201 Created', async () => {
      const put = await putFile(slot, photo, 'image/jpeg');
      expect(put.status).toBe(201);
      expect(put.headers['access-control-allow-origin']).toBe('*');
      expect(existsSync(join(uploadsDir(test), slot.id))).toBe(true);
      expect(readdirSync(join(uploadsDir(test), 'tmp'))).toEqual([]);
      expect(test.server.storage.uploads.get(slot.id)?.uploadedAt).toBeTypeOf('number');
    });

    it('comes back byte for byte from its GET URL, with the headers a browser needs', async () => {
      const get = await https(slot.get);
      expect(get.status).toBe(200);
      expect(get.body.equals(photo)).toBe(true);
      expect(get.headers).toMatchObject({
        'content-type': 'image/jpeg',
        'content-length': String(photo.length),
        'accept-ranges': 'bytes',
        'content-disposition': `inline; filename="beach.jpg"; filename*=UTF-8''beach.jpg`,
        'access-control-allow-origin': '*',
        'x-content-type-options': 'nosniff',
        etag: `"${slot.id}"`,
      });
      expect(get.headers['cache-control']).toMatch(/^public, max-age=(259\d{4}), immutable$/);
      expect(Number(/max-age=(\d+)/.exec(get.headers['cache-control']!)![1])).toBeLessThanOrEqual(30 * 86_400);
      expect(get.headers['content-security-policy']).toBeUndefined();
    });

    it('serves a single byte range with 206 Partial Content', async () => {
      const part = await https(slot.get, { headers: { Range: 'bytes=1000-1999' } });
      expect(part.status).toBe(206);
      expect(part.headers['content-range']).toBe(`bytes 1000-1999/${photo.length}`);
      expect(part.headers['content-length']).toBe('1000');
      expect(part.body.equals(photo.subarray(1000, 2000))).toBe(true);

      const tail = await https(slot.get, { headers: { Range: 'bytes=-10' } });
      expect(tail.status).toBe(206);
      expect(tail.body.equals(photo.subarray(photo.length - 10))).toBe(true);
    });

    it('answers a range beyond the end with 416 and the size', async () => {
      const outside = await https(slot.get, { headers: { Range: `bytes=${photo.length}-` } });
      expect(outside.status).toBe(416);
      expect(outside.headers['content-range']).toBe(`bytes */${photo.length}`);
    });

    it('answers HEAD with the headers and no body, and If-None-Match with 304', async () => {
      const head = await https(slot.get, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.headers['content-length']).toBe(String(photo.length));
      expect(head.body.length).toBe(0);
      const cached = await https(slot.get, { headers: { 'If-None-Match': `"${slot.id}"` } });
      expect(cached.status).toBe(304);
      expect(cached.body.length).toBe(0);
    });

    it('refuses a second PUT to the same slot', async () => {
      const again = await putFile(slot, randomBytes(photo.length));
      expect(again.status).toBe(409);
      expect(again.body.toString()).toMatch(/used already/);
      // Refused before the body: a client waiting for 100 Continue never sends it.
      const early = await https(slot.put, { method: 'PUT', body: randomBytes(photo.length), expectContinue: true });
      expect(early.status).toBe(409);
      expect((await https(slot.get)).body.equals(photo)).toBe(true);
    });
  });

  it('answers the CORS preflight of a web client with 204', async () => {
    const slot = await requestSlot(alice, service, { filename: 'a.txt', size: 10 });
    const preflight = await https(slot.put, { method: 'OPTIONS', headers: { Origin: 'https://web.example', 'Access-Control-Request-Method': 'PUT' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('*');
    expect(preflight.headers['access-control-allow-methods']).toMatch(/PUT/);
    expect(preflight.headers['access-control-allow-headers']).toMatch(/Content-Type/);
  });

  it('sends files that are not pictures, sound or video as sandboxed attachments, with their UTF-8 name', async () => {
    const page = Buffer.from('<script>alert(document.cookie)</script>');
    const slot = await requestSlot(alice, service, { filename: 'Grüße "1".html', size: page.length, 'content-type': 'text/html' });
    expect((await putFile(slot, page, 'text/html; charset=utf-8')).status).toBe(201);
    const get = await https(slot.get);
    expect(get.headers['content-type']).toBe('text/html');
    expect(get.headers['content-disposition']).toBe(`attachment; filename="Gr__e _1_.html"; filename*=UTF-8''Gr%C3%BC%C3%9Fe%20%221%22.html`);
    expect(get.headers['content-security-policy']).toBe('sandbox');
  });

  it('takes the type from the PUT when the slot request gave none', async () => {
    const body = Buffer.from('hello');
    const slot = await requestSlot(alice, service, { filename: 'note.txt', size: body.length });
    expect((await putFile(slot, body, 'text/plain;charset=utf-8')).status).toBe(201);
    expect((await https(slot.get)).headers['content-type']).toBe('text/plain; charset=utf-8');
  });

  it('refuses a PUT whose length or type differs from the slot', async () => {
    const slot = await requestSlot(alice, service, { filename: 'clip.mp4', size: 100, 'content-type': 'video/mp4' });
    const longer = await https(slot.put, { method: 'PUT', body: randomBytes(101), headers: { 'Content-Type': 'video/mp4' }, expectContinue: true });
    expect(longer.status).toBe(413);
    const shorter = await https(slot.put, { method: 'PUT', body: randomBytes(99), headers: { 'Content-Type': 'video/mp4' }, expectContinue: true });
    expect(shorter.status).toBe(400);
    const otherType = await https(slot.put, { method: 'PUT', body: randomBytes(100), headers: { 'Content-Type': 'text/html' }, expectContinue: true });
    expect(otherType.status).toBe(415);
    expect(otherType.body.toString()).toMatch(/video\/mp4/);
    // Nothing was stored, and the slot still takes the right file.
    expect(test.server.storage.uploads.get(slot.id)?.uploadedAt).toBeUndefined();
    expect((await putFile(slot, randomBytes(100), 'video/mp4')).status).toBe(201);
  });

  it('refuses a slot for a file over the limit, with the limit in the error (§4)', async () => {
    const error = await refusal(alice, { filename: 'film.mkv', size: 8 * MiB + 1 });
    expect(error.condition).toBe('not-acceptable');
    expect(error.type).toBe('modify');
    expect(error.text).toContain('8 MB');
    const tooLarge = error.element.getChild('file-too-large', uploadNs);
    expect(tooLarge?.getChildText('max-file-size')).toBe(String(8 * MiB));
  });

  it.each([
    [{ filename: '', size: 10 }, /needs a filename/],
    [{ filename: '../hearth.sqlite', size: 10 }, /must not contain/],
    [{ filename: 'a\\b.txt', size: 10 }, /must not contain/],
    [{ filename: 'bell\u007f.txt', size: 10 }, /control characters/],
    [{ filename: 'photo\u202Egpj.exe', size: 10 }, /direction of text/],
    [{ filename: '..', size: 10 }, /must not be \. or \.\./],
    [{ filename: `${'é'.repeat(128)}.jpg`, size: 10 }, /longer than 255 bytes/],
    [{ filename: 'a.jpg', size: 0 }, /empty/],
    [{ filename: 'a.jpg', size: '-5' }, /size in bytes/],
    [{ filename: 'a.jpg', size: 'lots' }, /size in bytes/],
    [{ filename: 'a.jpg', size: 10, 'content-type': 'image jpeg' }, /not a valid media type/],
  ])('refuses the slot request %j with bad-request', async (attrs, text) => {
    const error = await refusal(alice, attrs);
    expect(error.condition).toBe('bad-request');
    expect(error.text).toMatch(text);
  });

  it.each(['/upload/', '/upload', '/upload/../hearth.sqlite', '/upload/%2e%2e/hearth.sqlite', '/upload/%2e%2e%2fhearth.sqlite', '/upload/..%2f..%2fhearth.sqlite', '/upload/x/../../hearth.sqlite'])(
    'answers %s with 404, never a listing or another file',
    async (rawPath) => {
      const base = `https://localhost:${test.server.listeners.find((l) => l.name === 'https')!.port}/`;
      const answer = await https(base, { rawPath });
      expect(answer.status).toBe(404);
      expect(answer.body.toString()).not.toContain('SQLite');
    },
  );

  it('answers a well-formed address of a slot that does not exist with 404', async () => {
    const slot = await requestSlot(alice, service, { filename: 'unused.png', size: 5 });
    const unknown = slot.get.replace(slot.id, 'A'.repeat(43));
    expect((await https(unknown)).status).toBe(404);
    // A slot without its upload is not a file yet.
    expect((await https(slot.get)).status).toBe(404);
  });

  it('keeps nothing of an upload cut off in the middle, and the slot can be used again', async () => {
    const file = randomBytes(5 * MiB);
    const slot = await requestSlot(alice, service, { filename: 'cut.bin', size: file.length });
    const before = test.server.storage.uploads.usage();
    const tmp = join(uploadsDir(test), 'tmp');
    const outgoing = openHttps(slot.put, { method: 'PUT', headers: { 'Content-Length': String(file.length) } });
    outgoing.on('error', () => {});
    outgoing.write(file.subarray(0, 2 * MiB));
    // Part of it is on the server's disk, under the temporary name only.
    await expect.poll(() => readdirSync(tmp).length, { timeout: 5000 }).toBe(1);
    outgoing.destroy();

    await expect.poll(() => readdirSync(tmp).length, { timeout: 5000 }).toBe(0);
    expect(existsSync(join(uploadsDir(test), slot.id))).toBe(false);
    expect(test.server.storage.uploads.get(slot.id)?.uploadedAt).toBeUndefined();
    expect(test.server.storage.uploads.usage()).toEqual(before);

    const retry = await putFile(slot, file);
    expect(retry.status).toBe(201);
    expect((await https(slot.get)).body.equals(file)).toBe(true);
  });

  it('refuses a PUT to a slot that waited too long', async () => {
    const slot = await requestSlot(alice, service, { filename: 'late.jpg', size: 10 });
    clock.advance(6 * 60 * 1000);
    const late = await putFile(slot, randomBytes(10));
    expect(late.status).toBe(410);
    expect(late.body.toString()).toMatch(/expired/);
  });

  it('deletes the files of an account when the account is deleted', async () => {
    const [carol] = freshAccounts(test, 'carol');
    const client = await login(test, carol);
    const slot = await requestSlot(client, service, { filename: 'private.jpg', size: 50 });
    expect((await putFile(slot, randomBytes(50))).status).toBe(201);

    const removed = await test.server.control.request('users.remove', { username: carol });
    expect(removed.ok).toBe(true);
    expect(test.server.storage.uploads.get(slot.id)).toBeUndefined();
    expect(existsSync(join(uploadsDir(test), slot.id))).toBe(false);
    expect((await https(slot.get)).status).toBe(404);
  });
});

describe('upload quotas', () => {
  let test: TestServer;
  const clock = new ManualClock();
  let alice: Client;
  let bob: Client;
  let carol: Client;

  beforeAll(async () => {
    test = await startTestServer({ upload: { maxFileSizeBytes: 4 * MiB, userDailyQuotaBytes: 6 * MiB, totalQuotaBytes: 10 * MiB } }, undefined, { uploads: { clock } });
    const [a, b, c] = freshAccounts(test, 'alice', 'bob', 'carol');
    [alice, bob, carol] = await Promise.all([login(test, a), login(test, b), login(test, c)]);
  });
  afterAll(() => test.stop());

  it('refuses a slot over the daily quota with resource-constraint, and says when to try again (§4)', async () => {
    const first = await requestSlot(alice, service, { filename: 'one.jpg', size: 4 * MiB });
    expect((await putFile(first, randomBytes(4 * MiB))).status).toBe(201);
    const firstAt = test.server.storage.uploads.get(first.id)!.requestedAt;

    const error = await refusal(alice, { filename: 'two.jpg', size: 3 * MiB });
    expect(error.condition).toBe('resource-constraint');
    expect(error.type).toBe('wait');
    expect(error.text).toMatch(/daily upload quota/);
    expect(error.text).toContain('6 MB');
    const retry = error.element.getChild('retry', uploadNs);
    expect(retry?.attrs.stamp).toBe(new Date(firstAt + dayMs).toISOString());

    // What is left still fits.
    await requestSlot(alice, service, { filename: 'small.jpg', size: 2 * MiB });
  });

  it('refuses a slot when all uploads together would pass the total quota', async () => {
    // alice has 6 MB (a file and a waiting slot); bob takes 3 more of the 10.
    await requestSlot(bob, service, { filename: 'three.jpg', size: 3 * MiB });
    const error = await refusal(carol, { filename: 'four.jpg', size: 2 * MiB });
    expect(error.condition).toBe('resource-constraint');
    expect(error.text).toMatch(/space for uploads is full/);
    expect(error.text).toContain('10 MB');
  });

  it('gives the space of slots that were never used back once they expire', async () => {
    clock.advance(6 * 60 * 1000);
    const slot = await requestSlot(carol, service, { filename: 'four.jpg', size: 2 * MiB });
    expect(slot.put).toContain('/upload/');
  });
});

describe('upload retention', () => {
  const clock = new ManualClock();
  let dataDir: string;
  let test: TestServer;
  let alice: Client;
  let aliceName: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'hearth-upload-retention-'));
    test = await startTestServer({ upload: { retentionDays: 30 } }, dataDir, { uploads: { clock } });
    [aliceName] = freshAccounts(test, 'alice');
    alice = await login(test, aliceName);
  });
  afterAll(async () => {
    await test.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('deletes files older than upload.retentionDays with their records, and keeps newer ones', async () => {
    const old = await requestSlot(alice, service, { filename: 'old.jpg', size: 64 });
    expect((await putFile(old, randomBytes(64))).status).toBe(201);
    clock.advance(20 * dayMs);
    const recent = await requestSlot(alice, service, { filename: 'recent.jpg', size: 64 });
    expect((await putFile(recent, randomBytes(64))).status).toBe(201);

    // The hourly sweep runs as the clock passes it.
    clock.advance(10 * dayMs + 60 * 60 * 1000);

    expect(test.server.storage.uploads.get(old.id)).toBeUndefined();
    expect(existsSync(join(dataDir, 'uploads', old.id))).toBe(false);
    expect((await https(old.get)).status).toBe(404);
    expect(test.server.storage.uploads.get(recent.id)?.uploadedAt).toBeTypeOf('number');
    expect((await https(recent.get)).status).toBe(200);
  });

  it('throws away unfinished uploads and files nobody recorded when it starts', async () => {
    await test.stop();
    mkdirSync(join(dataDir, 'uploads', 'tmp'), { recursive: true });
    writeFileSync(join(dataDir, 'uploads', 'tmp', `${'B'.repeat(43)}.0123456789ab`), 'half a photo');
    writeFileSync(join(dataDir, 'uploads', 'C'.repeat(43)), 'moved into place, never recorded');
    test = await startTestServer({ upload: { retentionDays: 30 } }, dataDir, { uploads: { clock } });

    expect(readdirSync(join(dataDir, 'uploads', 'tmp'))).toEqual([]);
    expect(existsSync(join(dataDir, 'uploads', 'C'.repeat(43)))).toBe(false);
    expect(test.server.storage.uploads.usage().files).toBe(1);
  });
});

describe('uploads asked for from another server', () => {
  let a: TestServer;
  let b: TestServer;

  beforeAll(async () => {
    const [portA, portB] = [await freeTcpPort(), await freeTcpPort()];
    a = await startFederatedServer({ domain: 'hearth-a.test', s2sPort: portA, s2s: { routes: routesTo('hearth-b.test', portB) } });
    b = await startFederatedServer({
      domain: 'hearth-b.test',
      s2sPort: portB,
      s2s: { routes: { ...routesTo('hearth-a.test', portA), 'upload.hearth-a.test': `127.0.0.1:${portA}` } },
    });
    b.addUser('bob');
  });
  afterAll(() => Promise.all([a?.stop(), b?.stop()]));

  it('refuses a slot to an account of another server with forbidden', async () => {
    const bob = await b.connect('bob', { mechanism: 'SCRAM-SHA-256' });
    const error = await refusal(bob, { filename: 'a.jpg', size: 10 }, 'upload.hearth-a.test');
    expect(error.condition).toBe('forbidden');
    expect(error.text).toMatch(/accounts of this server only/);
    expect(error.element.getChild('forbidden', stanzaErrorsNs)).toBeDefined();
    expect(a.server.storage.uploads.allIds()).toEqual([]);
  });
});
