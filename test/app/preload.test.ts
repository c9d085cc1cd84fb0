// The built preload (dist/app/preload.cjs), run the way Electron runs a sandboxed preload: a
// plain script wrapped in a function that gets a `require` for 'electron' and nothing else.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createContext, Script } from 'node:vm';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { controlChannel, controlEventChannel } from '../../app/ipc.js';
import { adminApiGlobalName, type AdminApi } from '../../server/control/contract.js';

vi.mock('electron', () => import('./fake-electron.js'));

const preloadPath = join(import.meta.dirname, '..', '..', 'dist', 'app', 'preload.cjs');

function runPreload() {
  const exposed = new Map<string, unknown>();
  const invoked: unknown[][] = [];
  const listeners = new Map<string, Set<(...args: unknown[]) => void>>();
  const required: string[] = [];
  const electron = {
    contextBridge: { exposeInMainWorld: (name: string, api: unknown) => exposed.set(name, api) },
    ipcRenderer: {
      invoke: (...args: unknown[]) => (invoked.push(args), Promise.resolve({ ok: true, value: 'answer' })),
      on: (channel: string, listener: (...args: unknown[]) => void) => listeners.set(channel, (listeners.get(channel) ?? new Set()).add(listener)),
      removeListener: (channel: string, listener: (...args: unknown[]) => void) => listeners.get(channel)?.delete(listener),
    },
  };
  const sandboxRequire = (name: string) => {
    required.push(name);
    if (name === 'electron') return electron;
    throw new Error(`module not found: ${name}`);
  };
  const source = readFileSync(preloadPath, 'utf8');
  const wrapper = new Script(`(function (require, process, Buffer, global, setImmediate, clearImmediate, exports, module) {\n${source}\n})`);
  const run = wrapper.runInContext(createContext({})) as (...args: unknown[]) => void;
  const exports = {};
  run(sandboxRequire, {}, undefined, {}, undefined, undefined, exports, { exports });
  const emit = (channel: string, ...args: unknown[]) => {
    for (const listener of listeners.get(channel) ?? []) listener({ sender: 'ipc internals' }, ...args);
  };
  return { exposed, invoked, listeners, required, emit };
}

beforeAll(() => {
  if (!existsSync(preloadPath)) throw new Error(`${preloadPath} is missing: run \`npm run build\` first`);
});

describe('the preload', () => {
  it('exposes exactly one thing, the AdminApi, under the name the renderer looks for', () => {
    const { exposed, required } = runPreload();
    expect([...exposed.keys()]).toEqual([adminApiGlobalName]);
    expect(Object.keys(exposed.get(adminApiGlobalName) as object).sort()).toEqual(['request', 'subscribe']);
    expect(required).toEqual(['electron']);
  });

  it('sends requests over the control channel and returns the answer', async () => {
    const { exposed, invoked } = runPreload();
    const api = exposed.get(adminApiGlobalName) as AdminApi;
    await expect(api.request('users.remove', { username: 'bob' })).resolves.toEqual({ ok: true, value: 'answer' });
    expect(invoked).toEqual([[controlChannel, 'users.remove', { username: 'bob' }]]);
  });

  it('delivers only the subscribed event, and only its payload, until unsubscribed', () => {
    const { exposed, emit, listeners } = runPreload();
    const api = exposed.get(adminApiGlobalName) as AdminApi;
    const heard: unknown[] = [];
    const unsubscribe = api.subscribe('users.changed', (payload) => heard.push(payload));
    emit(controlEventChannel, 'status', { domain: 'x' });
    emit(controlEventChannel, 'users.changed', { registeredUsers: 2, onlineUsers: 1 });
    expect(heard).toEqual([{ registeredUsers: 2, onlineUsers: 1 }]);
    unsubscribe();
    expect(listeners.get(controlEventChannel)?.size).toBe(0);
    emit(controlEventChannel, 'users.changed', { registeredUsers: 3, onlineUsers: 1 });
    expect(heard).toHaveLength(1);
  });
});
