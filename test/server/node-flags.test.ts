// The flags of server/node-flags.ts reach every way Hearth's server starts: bin/hearth run as a
// program, the deb's /usr/bin/hearth and `npm run headless` (the Electron worker and the
// benchmark import them; test/app/server-process.test.ts covers the worker).
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serverNodeFlags, serverV8Flags } from '../../server/node-flags.js';
import { hearthBin } from '../support/cli.js';

const root = join(import.meta.dirname, '..', '..');
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hearth-flags-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the flags Hearth starts with', () => {
  it('are given by bin/hearth run as a program, with its arguments untouched', () => {
    // A stand-in `node` first on the PATH prints what it was started with.
    const fakeNode = join(dir, 'node');
    writeFileSync(fakeNode, '#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n');
    chmodSync(fakeNode, 0o755);
    const out = execFileSync(hearthBin, ['serve', '--data', 'a dir with spaces'], { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` }, encoding: 'utf8' });
    expect(out.trimEnd().split('\n')).toEqual([...serverNodeFlags, hearthBin, 'serve', '--data', 'a dir with spaces']);
  });

  it('leave bin/hearth a plain Node script too', () => {
    expect(execFileSync(process.execPath, [hearthBin, '--version'], { encoding: 'utf8' }).trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('are given by the deb’s hearth command', () => {
    const wrapper = readFileSync(join(root, 'build', 'linux', 'hearth'), 'utf8');
    expect(wrapper).toContain(`exec "$app_dir/hearth" ${serverNodeFlags.join(' ')} "$app_dir/resources/app.asar/bin/hearth"`);
  });

  it('are given by npm run headless', () => {
    const launcher = readFileSync(join(root, 'scripts', 'start.mjs'), 'utf8');
    expect(launcher).toContain("run(process.execPath, [...serverNodeFlags, join(root, 'bin', 'hearth'), 'serve', ...rest]);");
  });

  it('start with V8’s own, the ones an Electron worker can take', () => {
    expect(serverNodeFlags.slice(0, serverV8Flags.length)).toEqual(serverV8Flags);
    expect(serverV8Flags).toContain('--max-semi-space-size=1');
  });
});
