// Small stand-ins for the parts of the `electron` module the main process uses, so app/ is tested
// without the Electron binary: `vi.mock('electron', () => import('./fake-electron.js'))`.
// They record what the app asked for; tests drive them (emit events, call handlers) like Electron would.
import { EventEmitter } from 'node:events';

type Listener = (...args: any[]) => unknown;

/** The state of every fake, reset between tests. */
export const fake = {
  windows: [] as FakeBrowserWindow[],
  trays: [] as FakeTray[],
  workers: [] as FakeUtilityProcess[],
  ipcHandlers: new Map<string, Listener>(),
  clipboardText: '',
  openedExternally: [] as string[],
  dialogs: [] as unknown[],
  schemes: [] as unknown[],
  protocolHandlers: new Map<string, Listener>(),
  loginItem: { openAtLogin: false, wasOpenedAtLogin: false, args: [] as string[] },
  singleInstanceLock: true,
  quitCalls: 0,
  paths: { appData: '/tmp/fake-appdata', userData: '/tmp/fake-appdata/hearth' } as Record<string, string>,
  appPath: '/opt/hearth-app',
  session: undefined as unknown as FakeSession,
  app: undefined as unknown as FakeApp,
};

export class FakeWebContents extends EventEmitter {
  url = '';
  windowOpenHandler: ((details: { url: string }) => { action: string }) | undefined;
  sent: Array<{ channel: string; args: unknown[] }> = [];
  readonly mainFrame: { url: string };
  constructor() {
    super();
    const contents = this;
    this.mainFrame = {
      get url() {
        return contents.url;
      },
    };
  }
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }) {
    this.windowOpenHandler = handler;
  }
  send(channel: string, ...args: unknown[]) {
    this.sent.push({ channel, args });
  }
  getURL() {
    return this.url;
  }
  /** What Electron does before navigating: emits will-navigate; true when the app let it happen. */
  tryNavigate(url: string): boolean {
    let prevented = false;
    this.emit('will-navigate', { preventDefault: () => (prevented = true) }, url);
    return !prevented;
  }
}

export class FakeBrowserWindow extends EventEmitter {
  readonly webContents = new FakeWebContents();
  visible = false;
  destroyed = false;
  minimized = false;
  focused = false;
  loadedUrl: string | undefined;
  constructor(readonly options: Record<string, any>) {
    super();
    fake.windows.push(this);
    fake.app.emit('web-contents-created', {}, this.webContents);
  }
  loadURL(url: string) {
    this.loadedUrl = url;
    this.webContents.url = url;
    return Promise.resolve();
  }
  show() {
    this.visible = true;
  }
  hide() {
    this.visible = false;
  }
  focus() {
    this.focused = true;
  }
  isMinimized() {
    return this.minimized;
  }
  restore() {
    this.minimized = false;
  }
  isDestroyed() {
    return this.destroyed;
  }
  isVisible() {
    return this.visible;
  }
  /** What a click on the close button does: emits close, closes unless prevented. */
  close(): boolean {
    let prevented = false;
    this.emit('close', { preventDefault: () => (prevented = true) });
    if (!prevented) {
      this.destroyed = true;
      this.emit('closed');
    }
    return !prevented;
  }
  static fromWebContents(contents: unknown) {
    return fake.windows.find((w) => w.webContents === contents) ?? null;
  }
}

export class FakeTray extends EventEmitter {
  menu: Array<Record<string, any>> = [];
  tooltip = '';
  constructor(readonly image: unknown) {
    super();
    fake.trays.push(this);
  }
  setContextMenu(menu: Array<Record<string, any>>) {
    this.menu = menu;
  }
  setToolTip(text: string) {
    this.tooltip = text;
  }
  /** Clicks the menu item with this label. */
  clickItem(label: string) {
    const item = this.menu.find((i) => i.label === label);
    if (!item) throw new Error(`no menu item "${label}" in: ${this.menu.map((i) => i.label ?? '—').join(', ')}`);
    if (item.enabled === false) throw new Error(`menu item "${label}" is disabled`);
    item.click();
  }
}

export class FakeUtilityProcess extends EventEmitter {
  posted: unknown[] = [];
  killed = false;
  exited = false;
  constructor(
    readonly modulePath: string,
    readonly args: string[],
    readonly options: unknown,
  ) {
    super();
    fake.workers.push(this);
  }
  postMessage(message: unknown) {
    this.posted.push(message);
  }
  kill() {
    this.killed = true;
    this.exit(null as unknown as number);
    return true;
  }
  /** The worker sends a message to the main process. */
  send(message: unknown) {
    this.emit('message', message);
  }
  exit(code: number) {
    if (this.exited) return;
    this.exited = true;
    this.emit('exit', code);
  }
}

export class FakeSession {
  permissionRequestHandler: Listener | undefined;
  permissionCheckHandler: Listener | undefined;
  devicePermissionHandler: Listener | undefined;
  headersListener: Listener | undefined;
  readonly webRequest = {
    onHeadersReceived: (listener: Listener) => {
      this.headersListener = listener;
    },
  };
  setPermissionRequestHandler(handler: Listener) {
    this.permissionRequestHandler = handler;
  }
  setPermissionCheckHandler(handler: Listener) {
    this.permissionCheckHandler = handler;
  }
  setDevicePermissionHandler(handler: Listener) {
    this.devicePermissionHandler = handler;
  }
}

export class FakeApp extends EventEmitter {
  isPackaged = false;
  private readyResolve!: () => void;
  private readonly ready = new Promise<void>((resolve) => (this.readyResolve = resolve));
  whenReady() {
    return this.ready;
  }
  /** Electron becomes ready. */
  becomeReady() {
    this.readyResolve();
    this.emit('ready');
  }
  requestSingleInstanceLock() {
    return fake.singleInstanceLock;
  }
  getPath(name: string) {
    const path = fake.paths[name];
    if (!path) throw new Error(`no fake path ${name}`);
    return path;
  }
  setPath(name: string, value: string) {
    fake.paths[name] = value;
  }
  getAppPath() {
    return fake.appPath;
  }
  quit() {
    fake.quitCalls++;
    let prevented = false;
    this.emit('before-quit', { preventDefault: () => (prevented = true) });
    if (!prevented) this.emit('will-quit', { preventDefault: () => {} });
  }
  exit() {}
  getLoginItemSettings() {
    return { ...fake.loginItem };
  }
  setLoginItemSettings(settings: { openAtLogin: boolean; args?: string[] }) {
    fake.loginItem.openAtLogin = settings.openAtLogin;
    fake.loginItem.args = settings.args ?? [];
  }
}

export function resetFakeElectron(): void {
  fake.windows = [];
  fake.trays = [];
  fake.workers = [];
  fake.ipcHandlers = new Map();
  fake.clipboardText = '';
  fake.openedExternally = [];
  fake.dialogs = [];
  fake.schemes = [];
  fake.protocolHandlers = new Map();
  fake.loginItem = { openAtLogin: false, wasOpenedAtLogin: false, args: [] };
  fake.singleInstanceLock = true;
  fake.quitCalls = 0;
  fake.paths = { appData: '/tmp/fake-appdata', userData: '/tmp/fake-appdata/hearth' };
  fake.appPath = '/opt/hearth-app';
  fake.session = new FakeSession();
  fake.app = new FakeApp();
}
resetFakeElectron();

// The module's exports, named as Electron names them. Getters, so a reset swaps them underneath.
export const BrowserWindow = FakeBrowserWindow;
export const Tray = FakeTray;
export const Menu = { buildFromTemplate: (template: Array<Record<string, any>>) => template };
export const nativeImage = { createFromPath: (path: string) => ({ path }) };
export const clipboard = { writeText: (text: string) => void (fake.clipboardText = text) };
export const shell = { openExternal: (url: string) => (fake.openedExternally.push(url), Promise.resolve()) };
export const dialog = {
  showMessageBox: (options: unknown) => (fake.dialogs.push(options), Promise.resolve({ response: 0 })),
  showErrorBox: (title: string, content: string) => void fake.dialogs.push({ title, content }),
};
export const utilityProcess = {
  fork: (modulePath: string, args: string[] = [], options: unknown = {}) => new FakeUtilityProcess(modulePath, args, options),
};
export const ipcMain = {
  handle: (channel: string, listener: Listener) => {
    if (fake.ipcHandlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    fake.ipcHandlers.set(channel, listener);
  },
};
export const protocol = {
  registerSchemesAsPrivileged: (schemes: unknown[]) => void fake.schemes.push(...schemes),
  handle: (scheme: string, handler: Listener) => void fake.protocolHandlers.set(scheme, handler),
};
export const session = {
  get defaultSession() {
    return fake.session;
  },
};
export const app = new Proxy({} as FakeApp, {
  get(_target, property) {
    const value = (fake.app as any)[property];
    return typeof value === 'function' ? value.bind(fake.app) : value;
  },
});
