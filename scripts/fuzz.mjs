#!/usr/bin/env node
// `npm run fuzz`: the fuzz targets of test/fuzz, longer than CI runs them, keeping every new
// interesting input in test/fuzz/corpus/<target>/ (commit the ones worth keeping).
//
//   npm run fuzz                                    60 s per target, a random seed
//   npm run fuzz -- --seconds 600 --target jid      one target, ten minutes
//   npm run fuzz -- --seed 42 --no-save             a chosen seed, corpus left alone
//   npm run fuzz -- --replay test/fuzz/crashes/jid-0123456789abcdef
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    seed: { type: 'string' },
    target: { type: 'string' },
    replay: { type: 'string' },
    'no-save': { type: 'boolean', default: false },
  },
});
if (!/^\d+$/.test(values.seconds)) {
  console.error('fuzz: --seconds takes a whole number');
  process.exit(2);
}

const env = {
  ...process.env,
  HEARTH_FUZZ_SECONDS: values.seconds,
  HEARTH_FUZZ_SAVE_CORPUS: values['no-save'] ? '0' : '1',
  ...(values.seed !== undefined ? { HEARTH_FUZZ_SEED: values.seed } : {}),
  ...(values.target !== undefined ? { HEARTH_FUZZ_TARGETS: values.target } : {}),
  ...(values.replay !== undefined ? { HEARTH_FUZZ_REPLAY: resolve(values.replay) } : {}),
};
const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
const child = spawn(process.execPath, [vitest, 'run', 'test/fuzz/fuzz.test.ts'], { cwd: root, env, stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
