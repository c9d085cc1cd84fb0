// The control API over Electron IPC, main side. The preload (preload.cts) calls
// `ipcRenderer.invoke('control', name, input)`; here every call is checked before it reaches
// the server worker: the sender must be the top frame of our own window showing our own page,
// and the input must pass the contract's schema. Events from the worker go to the window as
// `control-event` messages.
import { ipcMain, type IpcMainInvokeEvent } from 'electron';
import { describeValidationError, isRequestName, requestSchemas, type ControlResult } from '../server/control/contract.js';
import type { ServerProcess } from './server-process.js';
import { isAppUrl, type Windows } from './windows.js';

export const controlChannel = 'control';
export const controlEventChannel = 'control-event';

export type CheckedRequest = { ok: true; name: keyof typeof requestSchemas; input: unknown } | { ok: false; error: string };

/** The request name and input checked against the contract; the parsed input has its defaults filled in. */
export function checkControlRequest(name: unknown, input: unknown): CheckedRequest {
  if (typeof name !== 'string' || !isRequestName(name)) return { ok: false, error: `there is no request named ${String(name).slice(0, 60)}` };
  const parsed = requestSchemas[name].safeParse(input ?? {});
  if (!parsed.success) return { ok: false, error: describeValidationError(parsed.error) };
  return { ok: true, name, input: parsed.data };
}

/** Only our own page, in the top frame of our own window, may use the bridge. */
export function isTrustedSender(event: IpcMainInvokeEvent, windows: Windows): boolean {
  const frame = event.senderFrame;
  if (!frame || !windows.owns(event.sender)) return false;
  if (frame !== event.sender.mainFrame) return false;
  return isAppUrl(frame.url);
}

export function setupIpc(options: { server: ServerProcess; windows: Windows }): void {
  const { server, windows } = options;
  ipcMain.handle(controlChannel, async (event, name: unknown, input: unknown): Promise<ControlResult<unknown>> => {
    if (!isTrustedSender(event, windows)) throw new Error('refused: this page may not use the Hearth control API');
    const checked = checkControlRequest(name, input);
    if (!checked.ok) return checked;
    return server.request(checked.name, checked.input);
  });
  server.onEvent((event) => {
    for (const window of windows.all()) window.webContents.send(controlEventChannel, event.name, event.payload);
  });
}
