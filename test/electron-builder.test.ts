// Packaging cannot run here (no Electron binary), so this checks what can be checked without it:
// electron-builder.yml passes electron-builder's own validation, and every file it and the app
// rely on exists and has the right shape.
import { accessSync, constants, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { appPaths } from '../app/main.js';
import { trayIconFile } from '../app/tray.js';

vi.mock('electron', () => import('./app/fake-electron.js'));

const root = join(import.meta.dirname, '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

type Config = Record<string, any>;
let config: Config;
let validate: (config: Config) => Promise<void>;

beforeAll(async () => {
  // electron-builder's own loader and validator (app-builder-lib is its engine).
  const configModule = (await import('app-builder-lib/out/util/config/config.js')) as unknown as {
    getConfig(projectDir: string, configPath: string | null, fromOptions: null): Promise<Config>;
    validateConfiguration(config: Config, logger: unknown): Promise<void>;
  };
  const { DebugLogger } = (await import('builder-util')) as unknown as { DebugLogger: new (enabled: boolean) => unknown };
  config = await configModule.getConfig(root, null, null);
  validate = (c) => configModule.validateConfiguration(c, new DebugLogger(false));
});

/** Width and height from a PNG's IHDR chunk. */
function pngSize(path: string): { width: number; height: number } {
  const data = readFileSync(join(root, path));
  expect(data.subarray(0, 8).toString('hex'), path).toBe('89504e470d0a1a0a');
  return { width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
}

describe('electron-builder.yml', () => {
  it("passes electron-builder's own validateConfiguration", async () => {
    await expect(validate(config)).resolves.toBeUndefined();
  });

  it('would be refused if it were wrong (the validator really checks)', async () => {
    await expect(validate({ ...config, linux: { ...config.linux, targets: ['deb'] } })).rejects.toThrow(/configuration\.linux/);
    await expect(validate({ ...config, asarUnpak: [] })).rejects.toThrow(/unknown property 'asarUnpak'/);
  });

  it('builds AppImage and deb for Linux x64 and arm64, a dmg for macOS and an NSIS installer for Windows', () => {
    const targets = (platform: string) => config[platform].target.map((t: { target: string; arch: string[] }) => `${t.target}:${t.arch.join('+')}`);
    expect(targets('linux')).toEqual(['AppImage:x64+arm64', 'deb:x64+arm64']);
    expect(targets('mac')).toEqual(['dmg:x64+arm64']);
    expect(targets('win')).toEqual(['nsis:x64']);
  });

  it('packages the built output, unpacks better-sqlite3 and rebuilds native modules at packaging time', () => {
    expect(config.files[0].filter).toEqual(expect.arrayContaining(['dist/**', 'bin/hearth', 'package.json', '!**/*.map', 'build/tray/*.png', 'build/icons/256x256.png']));
    expect(config.asarUnpack).toContain('node_modules/better-sqlite3/**');
    expect(config.npmRebuild).toBe(true);
  });

  it('never rebuilds native modules for Electron at install time', () => {
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string>; devDependencies: Record<string, string>; dependencies: Record<string, string> };
    for (const hook of ['preinstall', 'install', 'postinstall']) {
      expect(pkg.scripts[hook] ?? '', hook).not.toMatch(/electron-rebuild|@electron\/rebuild|install-app-deps|electron-builder|install-electron/);
    }
    expect(pkg.devDependencies.electron).toBeDefined();
    expect(pkg.dependencies.electron).toBeUndefined();
  });

  it('starts the app from the built main process, which finds the worker and preload it forks and loads', () => {
    const pkg = JSON.parse(read('package.json')) as { main: string };
    expect(pkg.main).toBe('dist/app/main.js');
    const main = read('app/main.ts');
    expect(main).toContain("join(appPath, 'dist', 'server', 'worker.js')");
    expect(main).toContain("join(appPath, 'dist', 'app', 'preload.cjs')");
    expect(existsSync(join(root, 'server', 'worker.ts'))).toBe(true);
    expect(existsSync(join(root, 'app', 'preload.cts'))).toBe(true);
  });

  it('packages the icons the app loads at run time', () => {
    const paths = appPaths(root);
    expect(paths.windowIcon).toBe(join(root, 'build/icons/256x256.png'));
    expect(pngSize('build/icons/256x256.png')).toEqual({ width: 256, height: 256 });
    expect(paths.trayIconDir).toBe(join(root, 'build/tray'));
    expect(config.files[0].filter).toContain('build/tray/*.png');
  });

  it('names only files that exist', () => {
    const deb = config.deb;
    const named = [deb.afterInstall, deb.afterRemove, deb.appArmorProfile, config.mac.icon, config.win.icon, config.linux.icon];
    for (const arg of deb.fpm as string[]) {
      const source = arg.startsWith('--') ? arg.split('=')[1] : arg.split('=')[0];
      named.push(source);
    }
    for (const path of named) expect(existsSync(join(root, path)), path).toBe(true);
  });

  it('uses only the macros electron-builder fills into deb scripts', () => {
    // Anything else in ${…} makes packaging fail with "Macro … is not defined".
    const known = new Set(['executable', 'sanitizedProductName', 'productFilename']);
    for (const path of [config.deb.afterInstall, config.deb.afterRemove, config.deb.appArmorProfile]) {
      const macros = [...read(path).matchAll(/\$\{([a-zA-Z]+)\}/g)].map((m) => m[1]!);
      for (const macro of macros) expect(known.has(macro), `${path}: \${${macro}}`).toBe(true);
    }
  });
});

describe('the deb', () => {
  const installDir = () => `/opt/${config.productName}`;
  const executable = () => `${installDir()}/${config.linux.executableName}`;

  it('ships a `hearth` command that runs the CLI on Electron’s Node or opens the app', () => {
    expect(config.deb.fpm).toContain('build/linux/hearth=/usr/bin/hearth');
    const wrapper = read('build/linux/hearth');
    expect(wrapper.startsWith('#!/bin/sh\n')).toBe(true);
    expect(wrapper).toContain(`app_dir=${installDir()}`);
    expect(wrapper).toContain('ELECTRON_RUN_AS_NODE=1 exec "$app_dir/hearth" --max-semi-space-size=1 --v8-pool-size=1 "$app_dir/resources/app.asar/bin/hearth" "$@"');
    expect(wrapper).toMatch(/serve \| user \| status/);
    expect(() => accessSync(join(root, 'build/linux/hearth'), constants.X_OK)).not.toThrow();
  });

  it('ships a systemd unit that runs `hearth serve` as the dedicated user', () => {
    expect(config.deb.fpm).toContain('build/linux/hearth.service=/usr/lib/systemd/system/hearth.service');
    const unit = read('build/linux/hearth.service');
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/hearth serve --data \/var\/lib\/hearth$/m);
    expect(unit).toMatch(/^User=hearth$/m);
    expect(unit).toMatch(/^StateDirectory=hearth$/m);
    expect(unit).toMatch(/^NoNewPrivileges=yes$/m);
    expect(unit).toMatch(/^WantedBy=multi-user.target$/m);
    // The after-install script creates that user; the service is left for the admin to enable.
    const afterInstall = read(config.deb.afterInstall);
    expect(afterInstall).toMatch(/useradd --system --user-group --home-dir \/var\/lib\/hearth/);
    expect(afterInstall).not.toMatch(/systemctl enable/);
  });

  it('ships the AppArmor profile that lets the Electron sandbox start on Ubuntu 24.04', () => {
    const profile = read(config.deb.appArmorProfile);
    expect(profile).toContain('abi <abi/4.0>,');
    expect(profile).toContain('include <tunables/global>');
    expect(profile).toContain(`profile hearth ${executable()} flags=(unconfined) {`);
    expect(profile).toMatch(/^\s+userns,$/m);
    expect(profile).toContain('include if exists <local/hearth>');
    // Installed and loaded by the after-install script from where electron-builder copies it.
    expect(read(config.deb.afterInstall)).toContain('profile_source="$app_dir/resources/apparmor-profile"');
  });

  it('keeps the family’s data when the package is removed', () => {
    expect(read(config.deb.afterRemove)).not.toMatch(/rm -[a-z]*r[a-z]* .*\/var\/lib\/hearth|userdel/);
  });
});

describe('icons', () => {
  it('has the Linux icon set in every size', () => {
    const files = readdirSync(join(root, 'build/icons')).sort();
    expect(files).toEqual(['128x128.png', '16x16.png', '256x256.png', '32x32.png', '48x48.png', '512x512.png', '64x64.png']);
    for (const file of files) {
      const side = Number(file.split('x')[0]);
      expect(pngSize(`build/icons/${file}`)).toEqual({ width: side, height: side });
    }
  });

  it('has a 1024 px icon.png, an SVG source, an .ico and an .icns', () => {
    expect(pngSize('build/icon.png')).toEqual({ width: 1024, height: 1024 });
    expect(read('build/icon.svg')).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" viewBox="0 0 512 512"/);
    const ico = readFileSync(join(root, 'build/icon.ico'));
    expect([ico.readUInt16LE(0), ico.readUInt16LE(2)]).toEqual([0, 1]);
    const icoSizes = Array.from({ length: ico.readUInt16LE(4) }, (_, i) => ico[6 + 16 * i] || 256);
    expect(icoSizes).toContain(256);
    const icns = readFileSync(join(root, 'build/icon.icns'));
    expect(icns.subarray(0, 4).toString('ascii')).toBe('icns');
    expect(icns.readUInt32BE(4)).toBe(icns.length);
  });

  it('has the tray icons the app loads on every platform', () => {
    for (const platform of ['linux', 'darwin', 'win32'] as const) {
      const file = trayIconFile(join(root, 'build', 'tray'), platform);
      expect(existsSync(file), file).toBe(true);
    }
    expect(pngSize('build/tray/tray.png')).toEqual({ width: 16, height: 16 });
    expect(pngSize('build/tray/tray@2x.png')).toEqual({ width: 32, height: 32 });
    expect(pngSize('build/tray/trayTemplate.png')).toEqual({ width: 16, height: 16 });
    expect(pngSize('build/tray/trayTemplate@2x.png')).toEqual({ width: 32, height: 32 });
    expect(pngSize('build/tray/tray-linux.png')).toEqual({ width: 32, height: 32 });
  });
});
