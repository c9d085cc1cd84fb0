// The supervisor of the server worker, with Electron's utilityProcess replaced by a fake the
// test drives: the worker "sends" messages and "exits" when the test says so.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ServerProcess } from '../../app/server-process.js';
import type { ServerState } from '../../app/server-state.js';
import { serverV8Flags } from '../../server/node-flags.js';
import { fake, resetFakeElectron } from './fake-electron.js';
import { status } from './fixtures.js';

vi.mock('electron', () => import('./fake-electron.js'));

const policy = { initialDelayMs: 1000, maxDelayMs: 30_000, stableUptimeMs: 60_000, maxQuickCrashes: 3 };
let now = 0;
let supervisor: ServerProcess;
let states: ServerState[];

beforeEach(() => {
  vi.useFakeTimers();
  resetFakeElectron();
  now = 0;
  supervisor = new ServerProcess({ workerPath: '/app/dist/server/worker.js', dataDir: '/home/ann/.config/Hearth', policy, now: () => now, stopTimeoutMs: 5000 });
  states = [];
  supervisor.onState((state) => states.push(state));
});
afterEach(() => vi.useRealTimers());

const worker = () => fake.workers.at(-1)!;
const ready = () => worker().send({ type: 'ready', status: status() });

describe('the server process', () => {
  it('forks the worker with the data directory and is running once it reports ready', () => {
    supervisor.start();
    expect(worker().modulePath).toBe('/app/dist/server/worker.js');
    expect(worker().args).toEqual(['--data', '/home/ann/.config/Hearth']);
    expect(supervisor.state).toEqual({ phase: 'starting' });
    ready();
    expect(supervisor.state).toEqual({ phase: 'running', status: status() });
  });

  it('starts the worker with the V8 flags of every Hearth server', () => {
    supervisor.start();
    expect(worker().options).toMatchObject({ execArgv: ['--max-semi-space-size=1'] });
    expect((worker().options as { execArgv: string[] }).execArgv).toEqual([...serverV8Flags]);
  });

  it('relays a request and resolves with the matching response', async () => {
    supervisor.start();
    ready();
    const answer = supervisor.request('users.list', {});
    expect(worker().posted).toEqual([{ type: 'request', id: 1, name: 'users.list', input: {} }]);
    worker().send({ type: 'response', id: 99, result: { ok: true, value: 'not mine' } });
    worker().send({ type: 'response', id: 1, result: { ok: true, value: [] } });
    await expect(answer).resolves.toEqual({ ok: true, value: [] });
  });

  it('answers requests with a readable error while the server is not running', async () => {
    await expect(supervisor.request('status', {})).resolves.toEqual({ ok: false, error: 'The server is stopped. Start it from the tray menu.' });
    supervisor.start();
    await expect(supervisor.request('status', {})).resolves.toEqual({ ok: false, error: 'The server is still starting; try again in a moment.' });
    expect(worker().posted).toEqual([]);
  });

  it('gives up on a request the worker never answers', async () => {
    supervisor.start();
    ready();
    const answer = supervisor.request('status', {});
    vi.advanceTimersByTime(30_000);
    await expect(answer).resolves.toEqual({ ok: false, error: 'The server did not answer in time.' });
  });

  it('forwards events and keeps the status up to date from them', () => {
    const events: unknown[] = [];
    supervisor.onEvent((event) => events.push(event));
    supervisor.start();
    ready();
    worker().send({ type: 'event', name: 'users.changed', payload: { registeredUsers: 5, onlineUsers: 3 } });
    expect(supervisor.state).toMatchObject({ phase: 'running', status: { registeredUsers: 5, onlineUsers: 3 } });
    worker().send({ type: 'event', name: 'status', payload: status({ onlineUsers: 0 }) });
    expect(supervisor.state).toMatchObject({ phase: 'running', status: { onlineUsers: 0 } });
    expect(events).toEqual([
      { type: 'event', name: 'users.changed', payload: { registeredUsers: 5, onlineUsers: 3 } },
      { type: 'event', name: 'status', payload: status({ onlineUsers: 0 }) },
    ]);
  });

  it('restarts a crashed worker after the policy delay, doubling it for quick crashes', () => {
    supervisor.start();
    ready();
    now = 5_000;
    worker().exit(1);
    expect(supervisor.state).toEqual({ phase: 'restarting', delayMs: 1000, error: 'The server stopped unexpectedly (exit code 1).' });
    vi.advanceTimersByTime(999);
    expect(fake.workers).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(fake.workers).toHaveLength(2);
    expect(supervisor.state).toEqual({ phase: 'starting' });

    now = 6_000;
    worker().exit(1);
    expect(supervisor.state).toMatchObject({ phase: 'restarting', delayMs: 2000 });
    vi.advanceTimersByTime(2000);
    expect(fake.workers).toHaveLength(3);
  });

  it('forgets earlier crashes once the worker has run long enough', () => {
    supervisor.start();
    worker().exit(1);
    vi.advanceTimersByTime(1000);
    worker().exit(1);
    vi.advanceTimersByTime(2000);
    ready();
    now += 120_000;
    worker().exit(1);
    expect(supervisor.state).toMatchObject({ phase: 'restarting', delayMs: 1000 });
  });

  it('gives up after too many quick crashes and says why', () => {
    const events: unknown[] = [];
    supervisor.onEvent((event) => events.push(event));
    supervisor.start();
    worker().send({ type: 'fatal', error: 'The server could not start: listen EADDRINUSE: address already in use :::5222', permanent: false });
    worker().exit(1);
    vi.advanceTimersByTime(1000);
    worker().exit(1);
    vi.advanceTimersByTime(2000);
    worker().send({ type: 'fatal', error: 'The server could not start: listen EADDRINUSE: address already in use :::5222', permanent: false });
    worker().exit(1);
    expect(supervisor.state).toEqual({ phase: 'failed', error: 'The server could not start: listen EADDRINUSE: address already in use :::5222' });
    vi.advanceTimersByTime(60_000);
    expect(fake.workers).toHaveLength(3);
    expect(events).toEqual([{ type: 'event', name: 'error', payload: { message: "Hearth's server could not start: The server could not start: listen EADDRINUSE: address already in use :::5222" } }]);
  });

  it('does not retry a wrong configuration', () => {
    supervisor.start();
    worker().send({ type: 'fatal', error: 'The configuration has problems: ports.c2s: expected number', permanent: true });
    worker().exit(1);
    expect(supervisor.state).toEqual({ phase: 'failed', error: 'The configuration has problems: ports.c2s: expected number' });
    vi.advanceTimersByTime(60_000);
    expect(fake.workers).toHaveLength(1);
  });

  it('starts afresh by hand after giving up', () => {
    supervisor.start();
    worker().send({ type: 'fatal', error: 'bad config', permanent: true });
    worker().exit(1);
    supervisor.start();
    expect(fake.workers).toHaveLength(2);
    expect(supervisor.state).toEqual({ phase: 'starting' });
  });

  it('stops gracefully: sends stop and waits for the worker to exit', async () => {
    supervisor.start();
    ready();
    const stopped = supervisor.stop();
    expect(supervisor.state).toEqual({ phase: 'stopping' });
    expect(worker().posted).toEqual([{ type: 'stop' }]);
    worker().exit(0);
    await stopped;
    expect(supervisor.state).toEqual({ phase: 'stopped' });
    expect(worker().killed).toBe(false);
    vi.advanceTimersByTime(60_000);
    expect(fake.workers).toHaveLength(1);
  });

  it('kills a worker that does not stop in time', async () => {
    supervisor.start();
    ready();
    const stopped = supervisor.stop();
    vi.advanceTimersByTime(4999);
    expect(worker().killed).toBe(false);
    vi.advanceTimersByTime(1);
    expect(worker().killed).toBe(true);
    await stopped;
    expect(supervisor.state).toEqual({ phase: 'stopped' });
  });

  it('answers pending requests when the worker goes away', async () => {
    supervisor.start();
    ready();
    const answer = supervisor.request('users.list', {});
    worker().exit(1);
    await expect(answer).resolves.toEqual({ ok: false, error: 'The server stopped before it answered.' });
  });

  it('cancels a pending restart when stopped', async () => {
    supervisor.start();
    worker().exit(1);
    await supervisor.stop();
    vi.advanceTimersByTime(60_000);
    expect(fake.workers).toHaveLength(1);
    expect(supervisor.state).toEqual({ phase: 'stopped' });
  });

  it('shows an in-place restart of the server as starting, then running', () => {
    supervisor.start();
    ready();
    worker().send({ type: 'restarting' });
    expect(supervisor.state).toEqual({ phase: 'starting' });
    ready();
    expect(supervisor.state.phase).toBe('running');
    expect(states.map((s) => s.phase)).toEqual(['starting', 'running', 'starting', 'running']);
  });
});
