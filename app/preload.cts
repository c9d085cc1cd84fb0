// The bridge between the window and the main process: exposes the control API (AdminApi from
// contract.ts) to the page as `window.hearthAdminApi` (contract.ts: adminApiGlobalName), over
// IPC, and nothing else — the page never sees ipcRenderer or Node.
//
// A CommonJS file (.cts) on purpose: sandboxed preloads run as plain scripts, not ES modules,
// and may require only 'electron' (and a few Node built-ins): nothing else can be imported at
// run time here, which is why the names below are repeated from ipc.ts and contract.ts (a test
// checks they match).
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { AdminApi, ControlEvents, ControlResult, EventName, RequestResults } from '../server/control/contract.js' with { 'resolution-mode': 'import' };

const globalName = 'hearthAdminApi';
const controlChannel = 'control';
const controlEventChannel = 'control-event';

const api: AdminApi = {
  request(name, input) {
    return ipcRenderer.invoke(controlChannel, name, input) as Promise<ControlResult<RequestResults[typeof name]>>;
  },
  subscribe<E extends EventName>(event: E, listener: (payload: ControlEvents[E]) => void) {
    const relay = (_event: IpcRendererEvent, name: unknown, payload: unknown) => {
      if (name === event) listener(payload as ControlEvents[E]);
    };
    ipcRenderer.on(controlEventChannel, relay);
    return () => {
      ipcRenderer.removeListener(controlEventChannel, relay);
    };
  },
};

contextBridge.exposeInMainWorld(globalName, api);
