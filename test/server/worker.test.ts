// The server worker as the Electron main process runs it, forked here with Node's
// child_process.fork (the same messages as Electron's parentPort): a real server in a
// temporary data directory, real messages, a real XMPP client.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WorkerMessage } from '../../server/control/ipc-transport.js';
import { connectClient, domain, stopQuietly } from '../support/server.js';

const workerPath = join(import.meta.dirname, '..', '..', 'dist', 'server', 'worker.js');

interface RunningWorker {
  child: ChildProcess;
  messages: WorkerMessage[];
  stderr(): string;
  next<T extends WorkerMessage['type']>(type: T, match?: (m: Extract<WorkerMessage, { type: T }>) => boolean, ms?: number): Promise<Extract<WorkerMessage, { type: T }>>;
  request(name: string, input?: unknown): Promise<Extract<WorkerMessage, { type: 'response' }>['result']>;
  exited: Promise<number | null>;
}

let dataDir: string;
const workers: RunningWorker[] = [];

function writeConfig(dir: string, extra: Record<string, unknown> = {}): void {
  writeFileSync(
    join(dir, 'hearth.json'),
    JSON.stringify({
      domain,
      bind: '127.0.0.1',
      ports: { c2s: 0, c2sTls: 0, s2s: 0, http: 0, https: 0, admin: 0, proxy65: 0 },
      tls: { certFile: process.env.HEARTH_TEST_CERT, keyFile: process.env.HEARTH_TEST_KEY },
      log: { level: 'warn' },
      ...extra,
    }),
  );
}

function startWorker(dir: string): RunningWorker {
  const child = fork(workerPath, ['--data', dir], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  const messages: WorkerMessage[] = [];
  const waiters = new Set<() => void>();
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.on('message', (message) => {
    messages.push(message as WorkerMessage);
    for (const wake of [...waiters]) wake();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let nextId = 1;
  const worker: RunningWorker = {
    child,
    messages,
    stderr: () => stderr,
    exited,
    next(type, match = () => true, ms = 10_000) {
      type M = Extract<WorkerMessage, { type: typeof type }>;
      return new Promise((resolve, reject) => {
        let seen = 0;
        const check = () => {
          for (; seen < messages.length; seen++) {
            const message = messages[seen]!;
            if (message.type === type && match(message as M)) {
              waiters.delete(check);
              clearTimeout(timer);
              resolve(message as M);
              return;
            }
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no ${type} message within ${ms} ms; stderr:\n${stderr}`));
        }, ms);
        waiters.add(check);
        check();
      });
    },
    async request(name, input = {}) {
      const id = nextId++;
      const answer = worker.next('response', (m) => m.id === id);
      child.send({ type: 'request', id, name, input });
      return (await answer).result;
    },
  };
  workers.push(worker);
  return worker;
}

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'hearth-worker-'));
});

afterEach(async () => {
  for (const worker of workers.splice(0)) {
    if (worker.child.exitCode === null && worker.child.signalCode === null) {
      worker.child.kill('SIGKILL');
      await worker.exited;
    }
  }
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the server worker', () => {
  it('reports ready with the status once the server listens', async () => {
    writeConfig(dataDir);
    const worker = startWorker(dataDir);
    const ready = await worker.next('ready');
    expect(ready.status.domain).toBe(domain);
    expect(ready.status.registeredUsers).toBe(0);
    expect(ready.status.setupNeeded).toBe(true);
    const c2s = ready.status.listeners.find((l) => l.name === 'c2s');
    expect(c2s?.port).toBeGreaterThan(0);
  });

  it('answers control requests with results and readable errors', async () => {
    writeConfig(dataDir);
    const worker = startWorker(dataDir);
    await worker.next('ready');

    const added = await worker.request('users.add', { username: 'alice', password: 'correct horse battery' });
    expect(added).toMatchObject({ ok: true, value: { user: { username: 'alice', jid: `alice@${domain}`, role: 'user' } } });

    const listed = await worker.request('users.list');
    expect(listed.ok && (listed.value as Array<{ username: string }>).map((u) => u.username)).toEqual(['alice']);

    const tooShort = await worker.request('users.add', { username: 'bob', password: 'short' });
    expect(tooShort).toEqual({ ok: false, error: expect.stringContaining('8 characters') });

    const unknown = await worker.request('users.explode', {});
    expect(unknown).toEqual({ ok: false, error: expect.stringContaining('users.explode') });
  });

  it('forwards events: a user signing in changes the online count', async () => {
    writeConfig(dataDir);
    const worker = startWorker(dataDir);
    const ready = await worker.next('ready');
    await worker.request('users.add', { username: 'alice', password: 'correct horse battery' });

    const online = worker.next('event', (m) => m.name === 'users.changed' && m.payload.onlineUsers === 1);
    const port = ready.status.listeners.find((l) => l.name === 'c2s')!.port;
    const alice = connectClient(port, 'alice', { password: 'correct horse battery' });
    await alice.start();
    try {
      expect((await online).payload).toEqual({ registeredUsers: 1, onlineUsers: 1 });
      const status = await worker.next('event', (m) => m.name === 'status' && m.payload.onlineUsers === 1);
      expect(status.name).toBe('status');
    } finally {
      await stopQuietly(alice);
    }
  });

  it('stops gracefully on a stop message, exits 0, and keeps what it stored', async () => {
    writeConfig(dataDir);
    const first = startWorker(dataDir);
    await first.next('ready');
    await first.request('users.add', { username: 'alice', password: 'correct horse battery' });
    first.child.send({ type: 'stop' });
    expect(await first.exited).toBe(0);

    const second = startWorker(dataDir);
    expect((await second.next('ready')).status.registeredUsers).toBe(1);
  });

  it('stops gracefully on SIGTERM too', async () => {
    writeConfig(dataDir);
    const worker = startWorker(dataDir);
    await worker.next('ready');
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
  });

  it('restarts in place when the UI asks, and is ready again', async () => {
    writeConfig(dataDir);
    const worker = startWorker(dataDir);
    await worker.next('ready');
    expect(await worker.request('server.restart')).toEqual({ ok: true, value: { restarting: true } });
    await worker.next('restarting');
    const again = await worker.next('ready', () => worker.messages.filter((m) => m.type === 'ready').length === 2);
    expect(again.status.uptimeSeconds).toBe(0);
    expect(await worker.request('status')).toMatchObject({ ok: true });
  });

  it('reports a wrong configuration as permanent and exits 1', async () => {
    writeConfig(dataDir, { ports: { c2s: 'five' } });
    const worker = startWorker(dataDir);
    const fatal = await worker.next('fatal');
    expect(fatal.permanent).toBe(true);
    expect(fatal.error).toContain('ports.c2s');
    expect(await worker.exited).toBe(1);
  });

  it('ignores malformed messages and keeps serving', async () => {
    writeConfig(dataDir);
    const worker = startWorker(dataDir);
    await worker.next('ready');
    worker.child.send({ type: 'request', id: 'not a number', name: 'status' });
    worker.child.send('hello');
    expect(await worker.request('status')).toMatchObject({ ok: true, value: { domain } });
  });
});
