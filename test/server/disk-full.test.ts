// A full disk: the data directory is a 2 MiB tmpfs mounted by the test (root only), filled up
// while the server runs. Writes fail with a clear log line, every message that could not be
// stored is answered resource-constraint instead of vanishing, the server goes on once space is
// freed, and the database passes SQLite's integrity check afterwards.
import type { Client } from '@xmpp/client';
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databasePath } from '../../server/core/storage/index.js';
import { createLogger } from '../../server/util/log.js';
import { startTestServer, stopQuietly, xml, type TestServer } from '../support/server.js';
import { errorCondition, login, record, settle } from '../support/stanzas.js';

/** Mounts a small tmpfs on `target`; the reason it could not, otherwise. */
function mountSmallDisk(target: string): string | undefined {
  if (process.platform !== 'linux') return 'mounting a tmpfs needs Linux';
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m,mode=0700', 'tmpfs', target], { encoding: 'utf8', timeout: 10_000 });
  if (mounted.error) return `mount could not run: ${mounted.error.message}`;
  if (mounted.status !== 0) return `mount failed (it needs root or CAP_SYS_ADMIN): ${mounted.stderr.trim()}`;
  return undefined;
}

function unmount(target: string): void {
  spawnSync('umount', [target], { timeout: 10_000 });
}

/** Tried on a scratch directory while the tests are collected; the real disk is mounted in beforeAll. */
function canMount(): string | undefined {
  const scratch = mkdtempSync(join(tmpdir(), 'hearth-mount-probe-'));
  try {
    const problem = mountSmallDisk(scratch);
    if (problem === undefined) unmount(scratch);
    return problem;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

const unavailable = canMount();
if (unavailable && process.env.CI === 'true') throw new Error(`the full-disk test cannot make a small disk: ${unavailable}`);
if (unavailable) console.warn(`skipping the full-disk test: ${unavailable}`);

let dir: string;
let dataDir: string;
let filler: string;

/** Writes zeros until the disk refuses more. */
function fillDisk(): void {
  const fd = openSync(filler, 'w');
  const block = Buffer.alloc(64 * 1024);
  try {
    for (;;) writeSync(fd, block);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
  // Whatever is left is smaller than a block: the last bytes go too.
  const fd2 = openSync(filler, 'a');
  try {
    for (;;) writeSync(fd2, Buffer.alloc(512));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd2);
  }
}

const logLines: string[] = [];
const log = createLogger('info', 'hearth', (level, name, message) => logLines.push(`${level} ${name}: ${message}`));

describe.skipIf(unavailable !== undefined).sequential('a full disk', () => {
  let t: TestServer;
  let bob: Client;
  const sent: string[] = [];
  const refused = new Map<string, string | undefined>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hearth-disk-full-'));
    dataDir = join(dir, 'data');
    filler = join(dataDir, 'filler');
    mkdirSync(dataDir);
    const problem = mountSmallDisk(dataDir);
    if (problem) throw new Error(problem);
    t = await startTestServer({}, dataDir, { log });
    t.addUser('alice');
    t.addUser('bob');
    bob = await login(t, 'bob');
  });

  afterAll(async () => {
    await stopQuietly(bob);
    await t?.stop();
    unmount(dataDir);
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers every message it cannot store with resource-constraint', async () => {
    fillDisk();
    const errors = record(bob, (s) => s.is('message') && s.attrs.type === 'error');
    // Enough text that the database must grow: a full disk cannot hide behind free pages.
    for (let i = 0; i < 60; i++) {
      const id = `full-${i}`;
      sent.push(id);
      await bob.send(xml('message', { to: 'alice@localhost', type: 'chat', id }, xml('body', {}, `${i} `.repeat(4000))));
    }
    await settle(bob);
    errors.stop();
    for (const error of errors.stanzas) refused.set(error.attrs.id!, errorCondition(error));
    expect(refused.size).toBeGreaterThan(0);
    expect(new Set(refused.values())).toEqual(new Set(['resource-constraint']));
  });

  it('says in its log that the disk is full', () => {
    const lines = logLines.filter((line) => line.includes('the disk holding the data directory is full'));
    expect(lines.length).toBeGreaterThan(0);
    // Once a minute at most, not once per message.
    expect(lines.length).toBeLessThanOrEqual(2);
    expect(lines[0]).toMatch(/^error /);
  });

  it('stores messages again once space is freed, and lost none it did not refuse', async () => {
    rmSync(filler);
    await bob.send(xml('message', { to: 'alice@localhost', type: 'chat', id: 'after' }, xml('body', {}, 'space again')));
    await settle(bob);
    const alice = await login(t, 'alice', { presence: false });
    const delivered = record(alice, (s) => s.is('message') && s.attrs.from?.startsWith('bob@') === true);
    await alice.send(xml('presence'));
    await settle(alice);
    delivered.stop();
    const ids = new Set(delivered.stanzas.map((s) => s.attrs.id));
    expect(ids.has('after')).toBe(true);
    // Every message either reached alice's offline storage or came back to bob as an error.
    expect(sent.filter((id) => ids.has(id) === refused.has(id))).toEqual([]);
    await stopQuietly(alice);
  });

  it('leaves a database that passes the integrity check', async () => {
    await stopQuietly(bob);
    await t.stop();
    const db = new Database(databasePath(dataDir), { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      db.close();
    }
  });
});
