// The IPC side of the control API in the main process, wired to a real supervisor (with a fake
// worker process) and real windows (with fake Electron windows).
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { checkControlRequest, setupIpc } from '../../app/ipc.js';
import { ServerProcess } from '../../app/server-process.js';
import { setupWindows } from '../../app/windows.js';
import { fake, FakeWebContents, resetFakeElectron } from './fake-electron.js';
import { status } from './fixtures.js';

vi.mock('electron', () => import('./fake-electron.js'));

let server: ServerProcess;
let contents: FakeWebContents;

beforeEach(() => {
  resetFakeElectron();
  server = new ServerProcess({ workerPath: '/app/dist/server/worker.js', dataDir: '/data' });
  const windows = setupWindows({ rendererDir: '/app/dist/renderer', preloadPath: '/app/dist/app/preload.cjs' });
  setupIpc({ server, windows });
  windows.show();
  contents = fake.windows[0]!.webContents;
  server.start();
  fake.workers[0]!.send({ type: 'ready', status: status() });
});

const invokeFrom = (sender: FakeWebContents, frame: { url: string } | null, name: unknown, input: unknown) =>
  fake.ipcHandlers.get('control')!({ sender, senderFrame: frame }, name, input) as Promise<unknown>;
const invoke = (name: unknown, input: unknown) => invokeFrom(contents, contents.mainFrame, name, input);

/** Answers the next request the worker receives. */
function answerNext(result: unknown) {
  const worker = fake.workers[0]!;
  const seen = worker.posted.length;
  const timer = setInterval(() => {
    const request = worker.posted[seen] as { id: number } | undefined;
    if (!request) return;
    clearInterval(timer);
    worker.send({ type: 'response', id: request.id, result });
  }, 1);
}

describe('the control IPC handler', () => {
  it('forwards a valid request to the worker, with the schema defaults filled in', async () => {
    answerNext({ ok: true, value: { user: { username: 'alice' } } });
    await expect(invoke('users.add', { username: ' alice ', password: 'correct horse battery' })).resolves.toEqual({ ok: true, value: { user: { username: 'alice' } } });
    expect(fake.workers[0]!.posted).toEqual([
      { type: 'request', id: 1, name: 'users.add', input: { username: 'alice', password: 'correct horse battery', role: 'user' } },
    ]);
  });

  it('refuses invalid input with a readable error, without bothering the worker', async () => {
    await expect(invoke('users.add', { username: 'alice', password: 'short' })).resolves.toEqual({ ok: false, error: 'use at least 8 characters for the password' });
    await expect(invoke('users.setRole', { username: 'alice', role: 'king' })).resolves.toEqual({ ok: false, error: expect.stringContaining('choose a role') });
    await expect(invoke('status', { extra: 1 })).resolves.toEqual({ ok: false, error: 'unknown field: extra' });
    await expect(invoke('users.add', 'alice')).resolves.toMatchObject({ ok: false });
    expect(fake.workers[0]!.posted).toEqual([]);
  });

  it('refuses unknown request names, including ones from the object prototype', async () => {
    await expect(invoke('users.explode', {})).resolves.toEqual({ ok: false, error: 'there is no request named users.explode' });
    await expect(invoke('__proto__', {})).resolves.toMatchObject({ ok: false });
    await expect(invoke('toString', {})).resolves.toMatchObject({ ok: false });
    await expect(invoke(42, {})).resolves.toMatchObject({ ok: false });
    expect(fake.workers[0]!.posted).toEqual([]);
  });

  it('refuses web contents that are not its window', async () => {
    const stranger = new FakeWebContents();
    stranger.url = 'hearth://app/index.html';
    await expect(invokeFrom(stranger, stranger.mainFrame, 'status', {})).rejects.toThrow(/may not use the Hearth control API/);
  });

  it('refuses its window when it shows another page', async () => {
    contents.url = 'https://evil.example/';
    await expect(invoke('status', {})).rejects.toThrow(/refused/);
  });

  it('refuses subframes and senders without a frame', async () => {
    await expect(invokeFrom(contents, { url: 'hearth://app/index.html' }, 'status', {})).rejects.toThrow(/refused/);
    await expect(invokeFrom(contents, null, 'status', {})).rejects.toThrow(/refused/);
    expect(fake.workers[0]!.posted).toEqual([]);
  });

  it('sends worker events to the window', () => {
    fake.workers[0]!.send({ type: 'event', name: 'users.changed', payload: { registeredUsers: 2, onlineUsers: 1 } });
    expect(contents.sent).toEqual([{ channel: 'control-event', args: ['users.changed', { registeredUsers: 2, onlineUsers: 1 }] }]);
  });

  it('tells the page when the server gives up', () => {
    fake.workers[0]!.send({ type: 'fatal', error: 'bad config', permanent: true });
    fake.workers[0]!.exit(1);
    expect(contents.sent).toEqual([{ channel: 'control-event', args: ['error', { message: "Hearth's server could not start: bad config" }] }]);
  });
});

describe('checkControlRequest', () => {
  it('accepts a missing input for requests without fields', () => {
    expect(checkControlRequest('status', undefined)).toEqual({ ok: true, name: 'status', input: {} });
  });
});
