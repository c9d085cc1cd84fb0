// Issue 11, "privacy by default": the audit. The real server, with every log line it writes
// captured (through its logger, and anything that would reach stderr or stdout), at info level
// and at debug level. Devices sign in many times from a distinctive loopback address and chat;
// afterwards no file in the data directory (the SQLite database with its -wal and -shm files, read
// as bytes) and no log line may hold that address. Wrong passwords from another address are held
// by the sign-in throttle in memory only, and forgotten after privacy.failedLoginRetentionHours
// (an injected clock moves time). At the end, every promise the Privacy page makes is matched to
// the test that checks it.
import type { Client } from '@xmpp/client';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../server/config/load.js';
import type { Config } from '../../server/config/schema.js';
import type { PrivacyFacts, PrivacyFactId, PrivacyNotKeptId } from '../../server/control/contract.js';
import { openStorage } from '../../server/core/storage/index.js';
import { expireArchive } from '../../server/modules/mam.js';
import { retentionFacts } from '../../server/services/privacy/retention-facts.js';
import { createLogger, type LogLevel } from '../../server/util/log.js';
import { ManualClock } from '../support/manual-clock.js';
import { openSecureStream, rawAuthenticate } from '../support/raw-streams.js';
import { defaultPassword, nextStanza, startTestServer, stopQuietly, xml, type TestServer } from '../support/server.js';
import { bare, login, roundTrip, rosterNs } from '../support/stanzas.js';

/** Where the devices that sign in successfully come from. */
const signInAddress = '127.0.0.77';
/** Where the wrong passwords come from. */
const guesserAddress = '127.0.0.78';
const contactJid = 'zebra.cousin@elsewhere.example';
const bodyText = 'the pumpkin pie recipe is in the blue folder';
const hour = 3_600_000;

/** Every file under `dir`, as bytes, by its path relative to `dir`. */
function filesUnder(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (path: string) => {
    for (const entry of readdirSync(path)) {
      const full = join(path, entry);
      const stat = statSync(full);
      if (stat.isDirectory()) walk(full);
      else if (stat.isFile()) files.set(relative(dir, full), readFileSync(full));
    }
  };
  walk(dir);
  return files;
}

/** Each way an IPv4 address could be written down: text (UTF-8 and UTF-16), IPv4-mapped, and its four bytes in either order. */
function addressForms(address: string): Buffer[] {
  const octets = address.split('.').map(Number);
  return [
    Buffer.from(address),
    Buffer.from(address, 'utf16le'),
    Buffer.from(`::ffff:${address}`),
    Buffer.from(octets),
    Buffer.from([...octets].reverse()),
    Buffer.from(octets.map((o) => o.toString(16).padStart(2, '0')).join('')),
  ];
}

/** The files (and the form found) that hold any of these byte strings. */
function filesHolding(dataDir: string, forms: Buffer[]): string[] {
  const found: string[] = [];
  for (const [name, bytes] of filesUnder(dataDir)) {
    for (const form of forms) if (bytes.includes(form)) found.push(`${name} holds ${JSON.stringify(form.toString('latin1'))}`);
  }
  return found;
}

/** Everything the server said: its logger's lines and whatever reached stderr or stdout. */
class CapturedLog {
  readonly lines: string[] = [];
  private readonly restore: Array<() => void> = [];

  logger(level: LogLevel) {
    return createLogger(level, 'hearth', (at, name, message) => void this.lines.push(`${at} ${name}: ${message}`));
  }

  /** Also catches output that bypasses the logger (it should never happen). */
  captureProcessOutput(): void {
    for (const stream of [process.stderr, process.stdout]) {
      const original = stream.write.bind(stream);
      const spy = vi.spyOn(stream, 'write').mockImplementation(((chunk: unknown, ...rest: unknown[]) => {
        this.lines.push(`${stream === process.stderr ? 'stderr' : 'stdout'}: ${String(chunk)}`);
        return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof stream.write);
      this.restore.push(() => spy.mockRestore());
    }
  }

  release(): void {
    for (const restore of this.restore.splice(0)) restore();
  }

  text(): string {
    return this.lines.join('\n');
  }
}

/** Every row of every table, to see whether signing in changes anything in the database. */
function databaseContents(t: TestServer): string {
  const db = t.server.storage.db;
  const tables = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all();
  return JSON.stringify(tables.map(({ name }) => [name, db.prepare(`SELECT * FROM "${name}"`).raw().all()]), (_key, value: unknown) =>
    Buffer.isBuffer(value) ? value.toString('hex') : typeof value === 'bigint' ? String(value) : value,
  );
}

function plainAuth(username: string, password: string): string {
  return `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0${username}\0${password}`).toString('base64')}</auth>`;
}

/** A wrong password from `address`; resolves with the SASL failure the server answered. */
async function wrongPassword(t: TestServer, address: string, username: string): Promise<string> {
  const { raw } = await openSecureStream(t.port('c2s'), { localAddress: address });
  try {
    raw.send(plainAuth(username, 'not the password at all'));
    return await raw.waitFor(/<\/failure>/);
  } finally {
    raw.destroy();
  }
}

/** Signs in from `address` (with the right password) and says what the server answered. */
async function signInFrom(t: TestServer, address: string, username: string): Promise<string> {
  const { raw } = await openSecureStream(t.port('c2s'), { localAddress: address });
  try {
    raw.send(plainAuth(username, defaultPassword));
    return await raw.waitFor(/<success[^>]*(\/>|<\/success>)|<\/failure>/);
  } finally {
    raw.destroy();
  }
}

async function privacyFacts(t: TestServer): Promise<PrivacyFacts> {
  const answer = await t.server.control.request('privacy.facts', {});
  if (!answer.ok) throw new Error(answer.error);
  return answer.value;
}

for (const level of ['info', 'debug'] as const) {
  describe(`the privacy audit with log.level ${level}`, () => {
    const log = new CapturedLog();
    const clock = new ManualClock();
    let t: TestServer;

    beforeAll(async () => {
      log.captureProcessOutput();
      t = await startTestServer(
        // The throttles count loopback here, as they do by default: the test addresses are loopback ones.
        { log: { level }, auth: { exemptLoopback: false, maxFailuresPerAddress: 3, lockMinutes: 15 }, privacy: { failedLoginRetentionHours: 24 } },
        undefined,
        { log: log.logger(level), signIns: { clock } },
      );
      t.addUser('grandma');
      t.addUser('grandpa');
    });
    afterAll(async () => {
      await t.stop();
      log.release();
    });

    it('writes nowhere the address devices sign in and chat from', async () => {
      const grandpa = await t.connect('grandpa', { mechanism: 'SCRAM-SHA-256' });
      for (let round = 0; round < 12; round++) {
        const grandma: Client = await t.connect('grandma', { mechanism: round % 2 === 0 ? 'SCRAM-SHA-256' : 'PLAIN', localAddress: signInAddress, resource: `tablet${round}` });
        // The server really sees it come from there (Linux routes all of 127.0.0.0/8 to loopback).
        const session = t.server.sessions.get('grandma', `tablet${round}`) as unknown as { transport: { remoteAddress?: string } };
        expect(session.transport.remoteAddress).toBe(signInAddress);
        const arrived = nextStanza(grandpa, (s) => s.is('message') && s.getChildText('body') === `${bodyText} (${round})`);
        await grandma.send(xml('message', { to: bare('grandpa'), type: 'chat' }, xml('body', {}, `${bodyText} (${round})`)));
        await arrived;
        await roundTrip(grandma);
        await stopQuietly(grandma);
      }
      // And the raw way, over STARTTLS with PLAIN, a few more times.
      for (let round = 0; round < 3; round++) (await rawAuthenticate(t.port('c2s'), 'grandma', defaultPassword, { localAddress: signInAddress })).raw.destroy();
      await stopQuietly(grandpa);

      // The search does see what is stored (the account names, in the database or its WAL)...
      expect(filesHolding(t.dataDir, [Buffer.from('grandpa')]).length).toBeGreaterThan(0);
      // ...and the address is nowhere.
      expect(filesHolding(t.dataDir, addressForms(signInAddress))).toEqual([]);
      expect(log.lines.length).toBeGreaterThan(0);
      expect(log.text()).not.toContain(signInAddress);
      expect(log.text()).not.toMatch(/\b127\.0\.0\.1\b/);
    });

    it('stores no sign-in times and no activity: signing in and out leaves the database as it was', async () => {
      const before = databaseContents(t);
      for (let round = 0; round < 3; round++) {
        const grandma = await t.connect('grandma', { mechanism: 'SCRAM-SHA-256', localAddress: signInAddress, resource: 'phone' });
        await roundTrip(grandma);
        await stopQuietly(grandma);
      }
      expect(databaseContents(t)).toBe(before);
    });

    it('stores the password nowhere in the data folder', () => {
      expect(filesHolding(t.dataDir, [Buffer.from(defaultPassword), Buffer.from(defaultPassword, 'utf16le')])).toEqual([]);
    });

    it.skipIf(level === 'debug')('writes neither message content nor contacts’ addresses to the log at info level', async () => {
      const grandma = await t.connect('grandma', { mechanism: 'SCRAM-SHA-256', localAddress: signInAddress });
      await grandma.iqCaller.request(xml('iq', { type: 'set' }, xml('query', { xmlns: rosterNs }, xml('item', { jid: contactJid, name: 'Cousin Zebra' }))));
      await grandma.send(xml('presence', { to: contactJid, type: 'subscribe' }));
      await grandma.send(xml('message', { to: contactJid, type: 'chat' }, xml('body', {}, bodyText)));
      await grandma.send(xml('message', { to: bare('grandpa'), type: 'chat' }, xml('body', {}, bodyText)));
      await roundTrip(grandma);
      await stopQuietly(grandma);

      expect(log.lines.length).toBeGreaterThan(0);
      const text = log.text();
      expect(text).not.toContain('pumpkin');
      expect(text).not.toContain('zebra');
      expect(text).not.toContain('Cousin Zebra');
      expect(text).not.toContain(bare('grandpa'));
      expect(text).not.toContain(bare('grandma'));
    });

    it('holds failed sign-ins in memory only, for that address only, and forgets them after privacy.failedLoginRetentionHours', async () => {
      for (let attempt = 0; attempt < 3; attempt++) expect(await wrongPassword(t, guesserAddress, 'grandma')).toContain('<not-authorized/>');
      // The fourth try is locked out, even with the right password; the family's own address is not.
      expect(await signInFrom(t, guesserAddress, 'grandpa')).toContain('<temporary-auth-failure/>');
      expect(await signInFrom(t, signInAddress, 'grandpa')).toContain('<success');
      expect((await privacyFacts(t)).now).toMatchObject({ failedSignInAddresses: 1 });

      expect(filesHolding(t.dataDir, addressForms(guesserAddress))).toEqual([]);
      expect(log.text()).not.toContain(guesserAddress);

      clock.advance(24 * hour + 11 * 60_000);
      expect((await privacyFacts(t)).now).toEqual({ failedSignInAddresses: 0, failedSignInAccounts: 0, newAccountAddresses: 0 });
      expect(await signInFrom(t, guesserAddress, 'grandpa')).toContain('<success');
    });

    it.skipIf(level !== 'debug')('warns in the log and on the dashboard while debug logging is on', async () => {
      expect(log.lines.some((line) => line.startsWith('warn') && line.includes('debug logging is on'))).toBe(true);
      const status = await t.server.control.request('status', {});
      expect(status.ok && status.value.warnings.map((w) => w.id)).toContain('debug-logging');
    });

    it.skipIf(level === 'debug')('shows no debug warning on the dashboard at info level', async () => {
      const status = await t.server.control.request('status', {});
      expect(status.ok && status.value.warnings.map((w) => w.id)).not.toContain('debug-logging');
    });

    it('leaves neither address in the data folder once it has stopped', async () => {
      await t.server.stop();
      expect(filesHolding(t.dataDir, [...addressForms(signInAddress), ...addressForms(guesserAddress)])).toEqual([]);
      expect(log.text()).not.toContain(signInAddress);
      expect(log.text()).not.toContain(guesserAddress);
    });

  });
}

describe('expired messages', () => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startTestServer({ archive: { retentionDays: 7 } });
    t.addUser('aunt');
    t.addUser('uncle');
  });
  afterAll(() => t.stop());

  it('are overwritten in the database file, not only forgotten by it', async () => {
    const secret = 'the surprise party is on saturday';
    const aunt = await login(t, 'aunt');
    const uncle = await login(t, 'uncle');
    const arrived = nextStanza(uncle, (s) => s.is('message') && s.getChildText('body') === secret);
    await aunt.send(xml('message', { to: bare('uncle'), type: 'chat' }, xml('body', {}, secret)));
    await arrived;
    await stopQuietly(aunt);
    await stopQuietly(uncle);
    expect(filesHolding(t.dataDir, [Buffer.from(secret)]).length).toBeGreaterThan(0);

    expect(expireArchive(t.server.storage, 7, Date.now() + 8 * 24 * hour)).toBe(2);
    t.server.storage.db.pragma('wal_checkpoint(TRUNCATE)');
    expect(filesHolding(t.dataDir, [Buffer.from(secret)])).toEqual([]);
  });
});

describe('invitations', () => {
  let t: TestServer;
  let expiredId: string;

  beforeAll(async () => {
    // Made before the server starts, so its first daily clean-up (a second after start) finds it.
    const dataDir = mkdtempSync(join(tmpdir(), 'hearth-privacy-invites-'));
    const storage = openStorage(dataDir, { scramIterations: 4096 });
    expiredId = storage.invites.create({ kind: 'account', expiresAt: Date.now() - 1000 }).id;
    storage.close();
    t = await startTestServer({}, dataDir);
  });
  afterAll(async () => {
    await t.stop();
    rmSync(t.dataDir, { recursive: true, force: true });
  });

  it('are deleted by the daily clean-up once they have expired', async () => {
    await expect.poll(() => t.server.storage.invites.byId(expiredId), { timeout: 5000, interval: 100 }).toBeUndefined();
  });
});

/**
 * Where each promise of the Privacy page (retention-facts.ts) is checked: a test file and the
 * exact title of a test in it. The test below fails when a fact has no entry, or an entry names a
 * test that does not exist (renamed or deleted): a new promise needs a test before it ships.
 */
const thisFile = 'test/server/privacy.test.ts';
const checkedBy: Record<PrivacyFactId | PrivacyNotKeptId, Array<[file: string, title: string]>> = {
  accounts: [
    ['test/server/core/storage/accounts.test.ts', 'never stores the password, only salted SCRAM keys that verify it'],
    ['test/server/core/storage/accounts.test.ts', 'deletes an account with its roster and offline messages'],
  ],
  'personal-data': [['test/server/core/storage/accounts.test.ts', 'also removes what modules stored for the account']],
  'offline-messages': [
    ['test/server/modules/offline.test.ts', 'are delivered only once'],
    ['test/server/limits.test.ts', 'refuses offline messages beyond limits.maxOfflineMessages with resource-constraint'],
  ],
  archive: [
    ['test/server/modules/mam.test.ts', 'removes messages older than archive.retentionDays and keeps newer ones'],
    ['test/server/modules/mam.test.ts', 'archives nothing and offers no archive'],
    ['test/server/modules/mam.test.ts', "deletes an account's archive with the account"],
    [thisFile, 'are overwritten in the database file, not only forgotten by it'],
  ],
  'group-chats': [
    ['test/server/modules/muc/retention.test.ts', 'deletes room messages older than the retention period and keeps the rest'],
    ['test/server/modules/muc/retention.test.ts', 'gives rooms no archive, and still gives history on entering from memory'],
  ],
  uploads: [
    ['test/server/modules/http-upload.test.ts', 'deletes files older than upload.retentionDays with their records, and keeps newer ones'],
    ['test/server/modules/http-upload.test.ts', 'deletes the files of an account when the account is deleted'],
  ],
  invitations: [[thisFile, 'are deleted by the daily clean-up once they have expired']],
  push: [
    ['test/server/modules/push.test.ts', 'are published to the app server when the device is disconnected, without the message text'],
    ['test/server/modules/push.test.ts', 'carry the message text'],
    ['test/server/modules/push.test.ts', 'stop after the device disables them'],
    ['test/server/modules/push.test.ts', 'are disabled when the app server answers with an error'],
  ],
  'last-activity': [
    ['test/server/modules/last-activity.test.ts', 'tells neither the server uptime nor when a contact was last online'],
    ['test/server/modules/last-activity.test.ts', 'tells a contact how long ago the user logged out, with the status they left with'],
  ],
  connections: [
    [thisFile, 'writes nowhere the address devices sign in and chat from'],
    ['test/server/core/sign-in-limits.test.ts', 'refuses a connection beyond the per-address limit with a stream error'],
  ],
  'failed-sign-ins': [
    [thisFile, 'holds failed sign-ins in memory only, for that address only, and forgets them after privacy.failedLoginRetentionHours'],
    ['test/server/core/login-throttle.test.ts', 'locks an account tried from many addresses'],
    ['test/server/core/login-throttle.test.ts', 'forgives an address its failures once it signs in'],
    ['test/server/core/login-throttle.test.ts', 'leaves loopback alone only when told to'],
  ],
  'new-account-addresses': [
    ['test/server/modules/registration-limits.test.ts', 'refuses a third in-band registration from one address within the hour with policy-violation'],
    ['test/server/core/registration-throttle.test.ts', 'forgets an address an hour after its last new account'],
  ],
  logs: [
    [thisFile, 'writes neither message content nor contacts’ addresses to the log at info level'],
    [thisFile, 'warns in the log and on the dashboard while debug logging is on'],
  ],
  tor: [
    ['test/server/services/tor/torrc.test.ts', 'keeps everything of tor in the data directory, the onion key in its own directory'],
    ['test/server/services/tor/tor-service.test.ts', 'keeps the same onion address when tor starts again'],
    ['test/server/services/tor/tor-service.test.ts', 'gives the onion service a new address when the key is rotated'],
  ],
  'sign-in-addresses': [
    [thisFile, 'writes nowhere the address devices sign in and chat from'],
    [thisFile, 'leaves neither address in the data folder once it has stopped'],
  ],
  'sign-in-times': [[thisFile, 'stores no sign-in times and no activity: signing in and out leaves the database as it was']],
  passwords: [
    [thisFile, 'stores the password nowhere in the data folder'],
    ['test/server/core/storage/accounts.test.ts', 'never stores the password, only salted SCRAM keys that verify it'],
  ],
  'addresses-in-logs': [[thisFile, 'writes nowhere the address devices sign in and chat from']],
  'content-in-logs': [[thisFile, 'writes neither message content nor contacts’ addresses to the log at info level']],
};

function config(overrides: Record<string, unknown>): Config {
  const parsed = parseConfig({ domain: 'kitchen-pc', ...overrides }, { dataDir: '/tmp/hearth-privacy-facts' });
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  return parsed.config;
}

describe('the promises of the Privacy page', () => {
  it('are each checked by a test that exists', () => {
    // The settings that change what the page says, each way.
    const variants = [
      {},
      { archive: { retentionDays: 0 } },
      { privacy: { lastActivity: true } },
      { tor: { enabled: true } },
      { log: { level: 'debug' } },
      { limits: { maxOfflineMessages: 0 } },
      { upload: { enabled: false } },
      { push: { includeBody: true } },
      { auth: { exemptLoopback: true } },
    ];
    const promised = new Set<string>();
    for (const variant of variants) {
      const facts = retentionFacts(config(variant));
      for (const fact of facts.kept) promised.add(fact.id);
      for (const item of facts.notKept) promised.add(item.id);
    }
    const unchecked = [...promised].filter((id) => (checkedBy[id as keyof typeof checkedBy] ?? []).length === 0);
    expect(unchecked).toEqual([]);

    const root = join(import.meta.dirname, '..', '..');
    const missing: string[] = [];
    for (const [id, checks] of Object.entries(checkedBy)) {
      for (const [file, title] of checks) {
        const path = join(root, file);
        const source = existsSync(path) ? readFileSync(path, 'utf8') : '';
        const quoted = [`'${title}'`, `"${title}"`, `\`${title}\``].some((q) => source.includes(q));
        if (!quoted) missing.push(`${id}: ${file} has no test "${title}"`);
      }
    }
    expect(missing).toEqual([]);
  });
});
