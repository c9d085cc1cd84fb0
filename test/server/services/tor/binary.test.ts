import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findExecutable, missingTorMessage } from '../../../../server/services/tor/binary.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hearth-tor-bin-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('finding the tor program', () => {
  it('looks a name up on PATH, skipping files that cannot be run', () => {
    const other = join(dir, 'other');
    const bin = join(dir, 'bin');
    for (const d of [other, bin]) mkdirSync(d);
    writeFileSync(join(other, 'hearth-tor'), 'not a program', { mode: 0o644 });
    writeFileSync(join(bin, 'hearth-tor'), '#!/bin/sh\n', { mode: 0o755 });
    expect(findExecutable('hearth-tor', { PATH: `${other}:${bin}` }, 'linux')).toBe(join(bin, 'hearth-tor'));
    expect(findExecutable('hearth-tor', { PATH: other }, 'linux')).toBeUndefined();
  });

  it("also looks where package managers put programs, for apps started with a short PATH", () => {
    // Debian's tor is in /usr/bin: found even with nothing on PATH.
    if (findExecutable('tor', process.env, 'linux')) expect(findExecutable('tor', { PATH: dir }, 'linux')).toMatch(/^\/usr\/(s?bin|local\/bin)\/tor$/);
  });

  it('takes a path as it is', () => {
    const program = join(dir, 'my-tor');
    writeFileSync(program, '#!/bin/sh\n');
    chmodSync(program, 0o755);
    expect(findExecutable(program, {}, 'linux')).toBe(program);
    expect(findExecutable(join(dir, 'missing'), {}, 'linux')).toBeUndefined();
  });

  it('says how to install tor on each system', () => {
    const message = missingTorMessage('tor');
    expect(message).toBe(
      'Tor is not installed on this computer (there is no "tor" program on its PATH). Install it, then switch Tor on again. ' +
        'Debian, Ubuntu or Raspberry Pi OS: sudo apt install tor. Fedora: sudo dnf install tor. macOS with Homebrew: brew install tor. ' +
        'Windows: download the Tor Expert Bundle from torproject.org, unpack it, and set tor.binary to the path of its tor.exe.',
    );
    expect(missingTorMessage('tor-0.4')).toMatch(/^Tor was not found: there is no "tor-0.4" program on this computer's PATH \(the tor.binary setting\)\. Install it/);
    expect(missingTorMessage('/opt/tor/tor')).toMatch(/^Tor was not found at \/opt\/tor\/tor \(the tor.binary setting\)\. Install it/);
  });
});
