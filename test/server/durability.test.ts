// Durability under kill -9 (DESIGN.md: nothing the server has acknowledged may be lost if the
// process is killed right after). `hearth serve` runs as a child process; a client with stream
// management (XEP-0198) sends messages as fast as it can while the server is killed at a random
// moment, then the server restarts on the same data directory, and every message whose ack the
// sender received must be in the recipient's archive (XEP-0313) and, when she was offline, come
// to her from offline storage (XEP-0160). Meanwhile bob uploads files (XEP-0363): every PUT the
// server answered 201 must be downloadable, byte for byte, after the restart. Three rounds, with
// the recipient offline and online.
import type { Client, Element } from '@xmpp/client';
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDatabase } from '../../server/core/storage/database.js';
import { databasePath } from '../../server/core/storage/index.js';
import { migrations } from '../../server/core/storage/migrations.js';
import { runCli, serve, writeTestConfigFile, type ServeProcess } from '../support/cli.js';
import { https, putFile, requestSlot } from '../support/http-upload.js';
import { connectClient, domain, stopQuietly, xml } from '../support/server.js';
import { record, settle } from '../support/stanzas.js';

const password = 'a good password';
const mamNs = 'urn:xmpp:mam:2';
const rsmNs = 'http://jabber.org/protocol/rsm';
const forwardNs = 'urn:xmpp:forward:0';

// The moments of the kills are random; the seed is printed so a failing run can be repeated.
const seed = Number(process.env.HEARTH_DURABILITY_SEED ?? Math.floor(Math.random() * 1_000_000));
let state = seed;
function random(): number {
  // A linear congruential generator: plenty for picking kill times.
  state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
  return state / 2 ** 31;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let dir: string;
let configFile: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hearth-durability-'));
  configFile = writeTestConfigFile(dir);
  for (const name of ['alice', 'bob']) {
    const added = await runCli(['user', 'add', name, '--config', configFile], { input: `${password}\n` });
    if (added.code !== 0) throw new Error(added.stderr);
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function signIn(port: number, username: string, presence: boolean): Promise<Client> {
  const client = connectClient(port, username, { password });
  await client.start();
  if (presence) await client.send(xml('presence'));
  return client;
}

/** Ids of every message from bob in alice's archive, page by page (XEP-0059). */
async function archivedIds(alice: Client): Promise<Set<string>> {
  const ids = new Set<string>();
  let after: string | undefined;
  for (let page = 0; page < 100; page++) {
    const queryid = `q${page}`;
    const results = record(alice, (s) => s.is('message') && s.getChild('result', mamNs)?.attrs.queryid === queryid);
    const set = [xml('max', {}, '250'), ...(after ? [xml('after', {}, after)] : [])];
    const answer = await alice.iqCaller.request(xml('iq', { type: 'set' }, xml('query', { xmlns: mamNs, queryid }, xml('set', { xmlns: rsmNs }, ...set))), 10_000);
    results.stop();
    for (const result of results.stanzas) {
      const message = result.getChild('result', mamNs)?.getChild('forwarded', forwardNs)?.getChild('message');
      if (message?.attrs.from?.startsWith('bob@') && message.attrs.id) ids.add(message.attrs.id);
    }
    const fin = answer.getChild('fin', mamNs)!;
    if (fin.attrs.complete === 'true') return ids;
    after = fin.getChild('set', rsmNs)?.getChildText('last') ?? undefined;
    if (!after) return ids;
  }
  throw new Error('the archive did not end after 100 pages');
}

interface Upload {
  /** The GET URL the slot gave, with the HTTPS port of the server that was killed. */
  get: string;
  body: Buffer;
}

interface Round {
  sent: string[];
  /** Messages whose XEP-0198 ack bob received before the server died. */
  acked: Set<string>;
  /** Files whose PUT the server answered 201 before it died. */
  uploaded: Upload[];
}

/**
 * Bob uploads files one after another until the server dies: a slot over XMPP, then the PUT.
 * Sizes from 64 KiB to 2 MiB, so that the kill often lands in the middle of a PUT (which was
 * never acknowledged, so nothing is asked of it). Resolves with the uploads answered 201.
 */
async function uploadUntilDead(bob: Client, died: Promise<unknown>): Promise<Upload[]> {
  const uploaded: Upload[] = [];
  // A request the dead server never answers would otherwise wait for its own timeout.
  const dead = died.then(() => {
    throw new Error('the server died');
  });
  dead.catch(() => {});
  for (let n = 0; ; n++) {
    const body = randomBytes(65_536 + Math.floor(random() * 2_031_616));
    try {
      const slot = await Promise.race([requestSlot(bob, `upload.${domain}`, { filename: `photo-${n}.jpg`, size: body.length, 'content-type': 'image/jpeg' }), dead]);
      const answer = await Promise.race([putFile(slot, body, 'image/jpeg'), dead]);
      if (answer.status === 201) uploaded.push({ get: slot.get, body });
    } catch {
      // The server died under the slot request or the PUT: that upload was never acknowledged.
      return uploaded;
    }
  }
}

/**
 * Bob sends messages to alice until `victim` is killed with SIGKILL, at a random moment between
 * 0.3 and 1.2 s into the traffic. Returns what was sent and what the server acknowledged.
 */
async function sendUntilKilled(victim: ServeProcess, round: number, aliceOnline: boolean): Promise<Round> {
  const bob = connectClient(victim.ports.c2s!, 'bob', { password });
  const acked = new Set<string>();
  bob.streamManagement.on('ack', (stanza: Element) => {
    if (stanza.name === 'message' && stanza.attrs.id) acked.add(stanza.attrs.id);
  });
  // Ask for an ack after every stanza, as a phone on a flaky network would.
  bob.streamManagement.requestAckDebounce = 0;
  await bob.start();
  for (let i = 0; i < 100 && !bob.streamManagement.enabled; i++) await sleep(20);
  expect(bob.streamManagement.enabled).toBe(true);
  const alice = aliceOnline ? await signIn(victim.ports.c2s!, 'alice', true) : undefined;

  let killed = false;
  const killAfterMs = 300 + Math.floor(random() * 900);
  const kill = setTimeout(() => {
    killed = true;
    victim.child.kill('SIGKILL');
  }, killAfterMs);
  const sent: string[] = [];
  const uploading = uploadUntilDead(bob, victim.exited);
  try {
    for (let n = 0; !killed; n++) {
      const id = `r${round}-m${n}`;
      sent.push(id);
      bob.send(xml('message', { to: 'alice@localhost', type: 'chat', id }, xml('body', {}, `round ${round}, message ${n}`))).catch(() => {});
      await sleep(2 + Math.floor(random() * 6));
    }
    await victim.exited;
    return { sent, acked, uploaded: await uploading };
  } finally {
    clearTimeout(kill);
    await Promise.all([stopQuietly(bob), alice ? stopQuietly(alice) : undefined]);
  }
}

/** What a check of one kind sees after the restart. */
interface AfterRestart {
  server: ServeProcess;
  alice: Client;
  /** Ids of bob's messages that came to alice from offline storage when she signed in. */
  offline: Set<string>;
  aliceWasOnline: boolean;
}

/** What the server acknowledges and must keep across a kill, each checked after the restart. */
interface AcknowledgedKind {
  name: string;
  /** What the server confirmed but cannot give back after the restart. */
  lost(round: Round, after: AfterRestart): Promise<string[]>;
}

const acknowledgedKinds: AcknowledgedKind[] = [
  {
    name: 'messages in the archive',
    async lost(round, { alice }) {
      const archived = await archivedIds(alice);
      return [...round.acked].filter((id) => !archived.has(id));
    },
  },
  {
    name: 'messages in offline storage',
    async lost(round, { offline, aliceWasOnline }) {
      // Delivered live when she was online: then only the archive has to keep them.
      return aliceWasOnline ? [] : [...round.acked].filter((id) => !offline.has(id));
    },
  },
  {
    name: 'uploads answered 201',
    async lost(round, { server }) {
      const lost: string[] = [];
      for (const upload of round.uploaded) {
        // Same URL, but the restarted server listens on a new ephemeral port.
        const url = new URL(upload.get);
        url.port = String(server.ports.https);
        const answer = await https(url.href);
        if (answer.status !== 200 || !answer.body.equals(upload.body)) lost.push(`${url.pathname} (HTTP ${answer.status}, ${answer.body.length} of ${upload.body.length} bytes)`);
      }
      return lost;
    },
  },
];

it('keeps every message and upload it acknowledged when killed with SIGKILL in the middle of traffic', async () => {
  console.log(`durability seed ${seed} (HEARTH_DURABILITY_SEED=${seed} repeats these kill times)`);
  let server = await serve(['--config', configFile]);
  try {
    let uploads = 0;
    for (const [round, aliceOnline] of [[1, false], [2, true], [3, false]] as const) {
      const result = await sendUntilKilled(server, round, aliceOnline);
      // The kill came in the middle of the traffic: the server had acknowledged some of it.
      expect(result.acked.size, `round ${round}`).toBeGreaterThan(0);
      uploads += result.uploaded.length;
      console.log(`round ${round}: ${result.sent.length} sent, ${result.acked.size} acknowledged, ${result.uploaded.length} uploads answered 201 before the kill; alice ${aliceOnline ? 'online' : 'offline'}`);

      server = await serve(['--config', configFile]);
      const alice = connectClient(server.ports.c2s!, 'alice', { password });
      const fromOffline = record(alice, (s) => s.is('message') && s.attrs.from?.startsWith('bob@') === true && s.getChild('result', mamNs) === undefined);
      await alice.start();
      await alice.send(xml('presence'));
      // Offline messages go out with the presence, before the ping's answer.
      await settle(alice);
      const offline = new Set(fromOffline.stanzas.map((s) => s.attrs.id!).filter(Boolean));
      fromOffline.stop();
      for (const kind of acknowledgedKinds) {
        expect(await kind.lost(result, { server, alice, offline, aliceWasOnline: aliceOnline }), `${kind.name}, round ${round} (${result.acked.size} of ${result.sent.length} acknowledged)`).toEqual([]);
      }
      await stopQuietly(alice);
    }
    // Kills come at 0.3 s or later and a small upload takes a few tens of milliseconds: some
    // uploads were acknowledged, so the check above had files to look for.
    expect(uploads).toBeGreaterThan(0);
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  // What the kills left behind is a sound database at the newest schema.
  const db = new Database(databasePath(join(dir, 'data')), { readonly: true });
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.pragma('user_version', { simple: true })).toBe(migrations.at(-1)!.version);
  } finally {
    db.close();
  }
}, 90_000);

it('migrates a database of an older schema when it starts', async () => {
  const older = mkdtempSync(join(tmpdir(), 'hearth-durability-migrate-'));
  try {
    const file = writeTestConfigFile(older);
    // A data directory last written by a Hearth that knew one migration fewer.
    openDatabase(databasePath(join(older, 'data')), migrations.slice(0, -1)).close();
    const started = await serve(['--config', file]);
    started.child.kill('SIGTERM');
    expect(await started.exited).toBe(0);
    const db = new Database(databasePath(join(older, 'data')), { readonly: true });
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(migrations.at(-1)!.version);
    } finally {
      db.close();
    }
  } finally {
    rmSync(older, { recursive: true, force: true });
  }
});
