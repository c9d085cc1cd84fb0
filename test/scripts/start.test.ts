// npm start's launcher: the desktop app where Electron can run, the headless server otherwise.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { desktopUnavailableReason } from '../../scripts/start.mjs';

const launcher = join(import.meta.dirname, '..', '..', 'scripts', 'start.mjs');
const existing = import.meta.filename;

describe('choosing the desktop app or the headless server', () => {
  it('takes the desktop app when Electron, a display and the built app are there', () => {
    expect(desktopUnavailableReason({ env: { DISPLAY: ':0' }, platform: 'linux', resolveElectron: () => existing, appEntry: existing })).toBeUndefined();
    expect(desktopUnavailableReason({ env: { WAYLAND_DISPLAY: 'wayland-0' }, platform: 'linux', resolveElectron: () => existing, appEntry: existing })).toBeUndefined();
    expect(desktopUnavailableReason({ env: {}, platform: 'darwin', resolveElectron: () => existing, appEntry: existing })).toBeUndefined();
  });

  it('says why not when Electron has no binary', () => {
    const reason = desktopUnavailableReason({
      env: { DISPLAY: ':0' },
      platform: 'linux',
      resolveElectron: () => {
        throw new Error('node_modules/electron has no binary');
      },
      appEntry: existing,
    });
    expect(reason).toBe("Electron's program is not installed (node_modules/electron has no binary)");
    expect(desktopUnavailableReason({ env: { DISPLAY: ':0' }, platform: 'linux', resolveElectron: () => '/nonexistent/electron', appEntry: existing })).toContain('not installed');
  });

  it('says why not without a display on Linux', () => {
    expect(desktopUnavailableReason({ env: {}, platform: 'linux', resolveElectron: () => existing, appEntry: existing })).toBe(
      'there is no graphical display (neither DISPLAY nor WAYLAND_DISPLAY is set)',
    );
  });

  it('says why not when the desktop app is not built', () => {
    expect(desktopUnavailableReason({ env: { DISPLAY: ':0' }, platform: 'linux', resolveElectron: () => existing, appEntry: '/nonexistent/main.js' })).toContain('not built');
  });

  it('npm run desktop fails clearly where the desktop app cannot run, and downloads nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hearth-start-'));
    try {
      const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        // No display, and an Electron binary path that does not exist: never a download.
        const env = { ...process.env, DISPLAY: '', WAYLAND_DISPLAY: '', ELECTRON_OVERRIDE_DIST_PATH: join(dir, 'no-electron') };
        const child = spawn(process.execPath, [launcher, '--desktop'], { env });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => (stdout += d));
        child.stderr.on('data', (d) => (stderr += d));
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('the desktop app cannot start');
      expect(result.stderr).toContain('npm run headless');
      expect(result.stdout).not.toContain('Downloading');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
