// Runs every fuzz target (test/fuzz/targets) for a bounded time: about 12 s each in CI, longer
// with `npm run fuzz` (scripts/fuzz.mjs), which also keeps new interesting inputs in the corpus.
// A failing input is written to test/fuzz/crashes/ and fails the test; replay it with
// `npm run fuzz -- --replay test/fuzz/crashes/<file>`.
//
// Environment: HEARTH_FUZZ_SECONDS (per target), HEARTH_FUZZ_SEED, HEARTH_FUZZ_TARGETS (names,
// comma-separated), HEARTH_FUZZ_SAVE_CORPUS=1, HEARTH_FUZZ_REPLAY=<file>.
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fuzz, type FuzzTarget } from './engine.js';
import { jidTarget } from './targets/jid.js';
import { scramTarget } from './targets/scram.js';
import { xmlStreamTarget } from './targets/xml-stream.js';

const targets: FuzzTarget[] = [xmlStreamTarget, scramTarget, jidTarget];

const seconds = Number(process.env.HEARTH_FUZZ_SECONDS ?? 12);
const seed = process.env.HEARTH_FUZZ_SEED !== undefined ? Number(process.env.HEARTH_FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
const only = process.env.HEARTH_FUZZ_TARGETS?.split(',').filter(Boolean);
const replay = process.env.HEARTH_FUZZ_REPLAY;
const fuzzDir = import.meta.dirname;

const selected = targets.filter((t) => (only ? only.includes(t.name) : replay ? basename(replay).startsWith(`${t.name}-`) : true));

describe.skipIf(replay !== undefined)('fuzzing', () => {
  it.each(selected.map((t) => [t.name, t] as const))('finds no failing input for %s in the time given', (_name, target) => {
    const result = fuzz(target, {
      durationMs: seconds * 1000,
      seed,
      corpusDir: join(fuzzDir, 'corpus', target.name),
      saveCorpus: process.env.HEARTH_FUZZ_SAVE_CORPUS === '1',
      crashDir: join(fuzzDir, 'crashes'),
    });
    console.log(`fuzz ${target.name}: ${result.runs} runs, ${result.features} coverage features, ${result.corpusSize} inputs kept (seed ${seed})`);
    if (result.crash) {
      expect.fail(`${target.name} failed on the input saved as ${result.crash.file} (seed ${seed}):\n${result.crash.error}\nReplay: npm run fuzz -- --replay ${result.crash.file}`);
    }
    // Far fewer runs than this means the harness is broken, not that the code is robust.
    expect(result.runs).toBeGreaterThan(seconds * 20);
  }, seconds * 1000 + 30_000);
});

describe.skipIf(replay === undefined)('replaying a saved input', () => {
  it('runs it through its target without a failure', () => {
    expect(selected.length, `no target named like ${replay}`).toBe(1);
    selected[0]!.run(readFileSync(replay!));
  });
});
