// The Hearth window: opened on demand (tray, second launch, dock), hidden to the tray when closed.
// It shows the built UI (dist/renderer) from the app's own `hearth://app/` scheme, which sends
// the same Content-Security-Policy as the admin port, with the preload as the only bridge: no
// Node in the page, sandboxed, isolated context. Navigation away, new windows, webviews and
// permission requests are refused for every web contents the app ever creates.
import { app, BrowserWindow, protocol, session, shell, type Session, type WebContents } from 'electron';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { contentSecurityPolicy } from '../server/control/http-api.js';

export const appScheme = 'hearth';
export const appHost = 'app';
export const appEntryUrl = `${appScheme}://${appHost}/index.html`;

export { contentSecurityPolicy };

/**
 * Must run before the app is ready: makes hearth:// a standard, secure origin. corsEnabled lets
 * the page load its own `<script type="module" crossorigin>` (Vite's output) in CORS mode; other
 * origins still get nothing, as the responses carry no Access-Control-Allow-Origin.
 */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: appScheme, privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true } }]);
}

/** True for pages of the app itself (hearth://app/…), the only ones that may use the bridge. */
export function isAppUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === `${appScheme}:` && parsed.host === appHost;
  } catch {
    return false;
  }
}

export interface WindowsOptions {
  /** dist/renderer */
  rendererDir: string;
  /** dist/app/preload.cjs */
  preloadPath: string;
  /** The window icon (Linux and Windows). */
  iconPath?: string;
}

export interface Windows {
  /** Opens the window, or brings the existing one to the front. */
  show(): BrowserWindow;
  /** Every open window (one, or none). */
  all(): BrowserWindow[];
  /** The web contents belongs to a window made here. */
  owns(contents: WebContents): boolean;
  /** From now on, closing a window closes it instead of hiding it (the app is quitting). */
  allowClose(): void;
}

export function setupWindows(options: WindowsOptions): Windows {
  hardenSession(session.defaultSession);
  protocol.handle(appScheme, (request) => serveRenderer(options.rendererDir, request.url));
  app.on('web-contents-created', (_event, contents) => guardWebContents(contents));

  let window: BrowserWindow | undefined;
  let closing = false;

  const create = (): BrowserWindow => {
    const win = new BrowserWindow({
      title: 'Hearth',
      width: 1000,
      height: 720,
      minWidth: 360,
      minHeight: 480,
      show: false,
      autoHideMenuBar: true,
      ...(options.iconPath ? { icon: options.iconPath } : {}),
      // Written out here, not built by a helper: electronegativity (test/app/electronegativity.test.ts)
      // reads these settings from the BrowserWindow call itself.
      webPreferences: {
        preload: options.preloadPath,
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        nodeIntegrationInWorker: false,
        nodeIntegrationInSubFrames: false,
        webSecurity: true,
        allowRunningInsecureContent: false,
        webviewTag: false,
        navigateOnDragDrop: false,
        spellcheck: false,
        // A middle click would ask for a new window; the open handler refuses those anyway.
        disableBlinkFeatures: 'Auxclick',
      },
    });
    win.once('ready-to-show', () => win.show());
    // Closing hides to the tray: the server keeps running. Quit is in the tray menu.
    win.on('close', (event) => {
      if (closing) return;
      event.preventDefault();
      win.hide();
    });
    win.on('closed', () => {
      if (window === win) window = undefined;
    });
    void win.loadURL(appEntryUrl);
    return win;
  };

  return {
    show() {
      if (!window || window.isDestroyed()) window = create();
      else {
        if (window.isMinimized()) window.restore();
        window.show();
        window.focus();
      }
      return window;
    },
    all: () => (window && !window.isDestroyed() ? [window] : []),
    owns: (contents) => window !== undefined && !window.isDestroyed() && window.webContents === contents,
    allowClose() {
      closing = true;
    },
  };
}

/** No navigation away from the app, no new windows (https links open in the browser), no webviews. */
export function guardWebContents(contents: WebContents): void {
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (isExternalLink(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
}

/** Links the UI may open in the user's browser: https only (help pages, app stores). */
export function isExternalLink(url: string): boolean {
  try {
    return new URL(url).protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * Every permission is refused (camera, microphone, notifications, geolocation…), except that
 * the app's own page may write to the clipboard: the Users page copies a new password.
 */
export function hardenSession(ses: Session): void {
  ses.setPermissionRequestHandler((contents, permission, callback) => {
    callback(permission === 'clipboard-sanitized-write' && isAppUrl(contents.getURL()));
  });
  ses.setPermissionCheckHandler((_contents, permission, requestingOrigin) => {
    return permission === 'clipboard-sanitized-write' && isAppUrl(requestingOrigin);
  });
  ses.setDevicePermissionHandler(() => false);
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [contentSecurityPolicy] } });
  });
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
};

/**
 * The file under rendererDir for a hearth://app/ URL, or undefined when the URL tries to leave
 * the folder. Paths without an extension are pages of the UI: they get index.html.
 */
export function rendererFile(rendererDir: string, url: string): string | undefined {
  let pathname: string;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== `${appScheme}:` || parsed.host !== appHost) return undefined;
    pathname = decodeURIComponent(parsed.pathname);
  } catch {
    return undefined;
  }
  const segments = pathname.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '..' || s.startsWith('.') || s.includes('\\') || s.includes('\0'))) return undefined;
  if (segments.length === 0 || extname(pathname) === '') return join(resolve(rendererDir), 'index.html');
  const root = resolve(rendererDir);
  const file = resolve(root, ...segments);
  return file.startsWith(root + sep) ? file : undefined;
}

export async function serveRenderer(rendererDir: string, url: string): Promise<Response> {
  const headers = {
    'Content-Security-Policy': contentSecurityPolicy,
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
  };
  const file = rendererFile(rendererDir, url);
  if (!file) return new Response('not found', { status: 404, headers });
  try {
    if (!(await stat(file)).isFile()) return new Response('not found', { status: 404, headers });
    const body = await readFile(file);
    return new Response(body, { status: 200, headers: { ...headers, 'Content-Type': contentTypes[extname(file)] ?? 'application/octet-stream' } });
  } catch {
    const missingUi = file.endsWith(`${sep}index.html`);
    return new Response(missingUi ? 'The admin UI is not built yet: run `npm run build`.' : 'not found', { status: 404, headers });
  }
}
