import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { appEntryUrl, contentSecurityPolicy, registerAppScheme, rendererFile, serveRenderer, setupWindows, type Windows } from '../../app/windows.js';
import { fake, FakeWebContents, resetFakeElectron } from './fake-electron.js';

vi.mock('electron', () => import('./fake-electron.js'));

let windows: Windows;
beforeEach(() => {
  resetFakeElectron();
  windows = setupWindows({ rendererDir: '/app/dist/renderer', preloadPath: '/app/dist/app/preload.cjs' });
});

describe('the window', () => {
  it('is created with the secure settings and loads the app from its own scheme', () => {
    windows.show();
    const [window] = fake.windows;
    expect(window!.options.webPreferences).toEqual({
      preload: '/app/dist/app/preload.cjs',
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
      disableBlinkFeatures: 'Auxclick',
    });
    expect(window!.loadedUrl).toBe('hearth://app/index.html');
    expect(appEntryUrl).toBe('hearth://app/index.html');
  });

  it('opens only when asked for, shows once ready, and is reused afterwards', () => {
    expect(fake.windows).toHaveLength(0);
    const window = windows.show();
    expect(fake.windows[0]!.visible).toBe(false);
    fake.windows[0]!.emit('ready-to-show');
    expect(fake.windows[0]!.visible).toBe(true);
    fake.windows[0]!.minimized = true;
    expect(windows.show()).toBe(window);
    expect(fake.windows).toHaveLength(1);
    expect(fake.windows[0]).toMatchObject({ minimized: false, visible: true, focused: true });
  });

  it('hides to the tray when closed, and really closes once the app quits', () => {
    windows.show();
    const window = fake.windows[0]!;
    window.show();
    expect(window.close()).toBe(false);
    expect(window.visible).toBe(false);
    expect(windows.all()).toHaveLength(1);

    windows.allowClose();
    expect(window.close()).toBe(true);
    expect(windows.all()).toHaveLength(0);
    windows.show();
    expect(fake.windows).toHaveLength(2);
  });

  it('knows its own web contents from others', () => {
    windows.show();
    expect(windows.owns(fake.windows[0]!.webContents as never)).toBe(true);
    expect(windows.owns(new FakeWebContents() as never)).toBe(false);
  });
});

describe('navigation and new windows', () => {
  it('blocks navigation away from the app', () => {
    windows.show();
    const contents = fake.windows[0]!.webContents;
    expect(contents.tryNavigate('https://evil.example/')).toBe(false);
    expect(contents.tryNavigate('file:///etc/passwd')).toBe(false);
    expect(contents.tryNavigate('hearth://other/index.html')).toBe(false);
    expect(contents.tryNavigate('hearth://app/users')).toBe(true);
  });

  it('blocks redirects and webviews too', () => {
    windows.show();
    const contents = fake.windows[0]!.webContents;
    let prevented = 0;
    contents.emit('will-redirect', { preventDefault: () => prevented++ }, 'https://evil.example/');
    contents.emit('will-attach-webview', { preventDefault: () => prevented++ }, {}, {});
    expect(prevented).toBe(2);
  });

  it('never opens a new window; https links go to the browser, nothing else does', () => {
    windows.show();
    const handler = fake.windows[0]!.webContents.windowOpenHandler!;
    expect(handler({ url: 'https://conversations.im/' })).toEqual({ action: 'deny' });
    expect(handler({ url: 'http://insecure.example/' })).toEqual({ action: 'deny' });
    expect(handler({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(handler({ url: 'hearth://app/index.html' })).toEqual({ action: 'deny' });
    expect(fake.openedExternally).toEqual(['https://conversations.im/']);
  });

  it('guards every web contents the app creates, not only its window', () => {
    const other = new FakeWebContents();
    fake.app.emit('web-contents-created', {}, other);
    expect(other.tryNavigate('https://evil.example/')).toBe(false);
    expect(other.windowOpenHandler!({ url: 'https://x.example/' })).toEqual({ action: 'deny' });
  });
});

describe('the session', () => {
  const contentsAt = (url: string) => Object.assign(new FakeWebContents(), { url });

  it('refuses permission requests', () => {
    for (const permission of ['media', 'notifications', 'geolocation', 'clipboard-read', 'openExternal', 'fullscreen']) {
      const answer = vi.fn();
      fake.session.permissionRequestHandler!(contentsAt('hearth://app/index.html'), permission, answer, {});
      expect(answer, permission).toHaveBeenCalledWith(false);
    }
    expect(fake.session.permissionCheckHandler!(null, 'media', 'hearth://app', {})).toBe(false);
    expect(fake.session.devicePermissionHandler!({})).toBe(false);
  });

  it('lets only its own page write to the clipboard (copying a new password)', () => {
    const answer = vi.fn();
    fake.session.permissionRequestHandler!(contentsAt('hearth://app/index.html'), 'clipboard-sanitized-write', answer, {});
    fake.session.permissionRequestHandler!(contentsAt('https://evil.example/'), 'clipboard-sanitized-write', answer, {});
    expect(answer.mock.calls).toEqual([[true], [false]]);
    expect(fake.session.permissionCheckHandler!(null, 'clipboard-sanitized-write', 'hearth://app', {})).toBe(true);
    expect(fake.session.permissionCheckHandler!(null, 'clipboard-sanitized-write', 'https://evil.example', {})).toBe(false);
  });

  it('adds the strict Content-Security-Policy to every response', () => {
    const callback = vi.fn();
    fake.session.headersListener!({ url: 'hearth://app/index.html', responseHeaders: { 'Content-Type': ['text/html'] } }, callback);
    expect(callback).toHaveBeenCalledWith({ responseHeaders: { 'Content-Type': ['text/html'], 'Content-Security-Policy': [contentSecurityPolicy] } });
    expect(contentSecurityPolicy).toContain("script-src 'self'");
    expect(contentSecurityPolicy).not.toContain('unsafe-eval');
    expect(contentSecurityPolicy).not.toMatch(/script-src[^;]*unsafe-inline/);
  });

  it('registers hearth:// as a standard, secure scheme', () => {
    registerAppScheme();
    expect(fake.schemes).toEqual([{ scheme: 'hearth', privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true } }]);
  });
});

describe('the renderer files', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hearth-renderer-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Hearth</title>');
    writeFileSync(join(dir, 'assets', 'index-abc.js'), 'console.log(1)');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('maps app URLs to files inside the renderer folder only', () => {
    expect(rendererFile('/r', 'hearth://app/')).toBe('/r/index.html');
    expect(rendererFile('/r', 'hearth://app/assets/index-abc.js')).toBe('/r/assets/index-abc.js');
    expect(rendererFile('/r', 'hearth://app/users')).toBe('/r/index.html');
    // The URL parser resolves dot segments, encoded or not, before the path is looked at.
    expect(rendererFile('/r', 'hearth://app/%2e%2e/%2e%2e/etc/passwd.txt')).toBe('/r/etc/passwd.txt');
    expect(rendererFile('/r', 'hearth://app/assets/..%2f..%2fsecret.txt')).toBeUndefined();
    expect(rendererFile('/r', 'hearth://app/.env')).toBeUndefined();
    expect(rendererFile('/r', 'hearth://elsewhere/index.html')).toBeUndefined();
    expect(rendererFile('/r', 'https://app/index.html')).toBeUndefined();
  });

  it('serves files through the hearth:// handler with the CSP and their content type', async () => {
    const handler = fake.protocolHandlers.get('hearth')!;
    expect(handler).toBeDefined();
    const served = await serveRenderer(dir, 'hearth://app/assets/index-abc.js');
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(served.headers.get('content-security-policy')).toBe(contentSecurityPolicy);
    expect(await served.text()).toBe('console.log(1)');

    const page = await serveRenderer(dir, 'hearth://app/settings');
    expect(await page.text()).toContain('<title>Hearth</title>');
    expect((await serveRenderer(dir, 'hearth://app/assets/missing.js')).status).toBe(404);
    expect((await serveRenderer(dir, 'hearth://app/assets/..%2f..%2fx.js')).status).toBe(404);
  });
});
