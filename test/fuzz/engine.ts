// A small coverage-guided fuzzer for the parsers that read what strangers send (the XML stream,
// SCRAM messages, JIDs). Jazzer.js would be the usual choice, but its native addon ships only as
// a prebuilt binary that needs glibc 2.38 (Debian 12 has 2.36) and its npm package has no sources
// to rebuild from; this is the same idea on V8's own block coverage.
//
// How it works: V8 precise coverage (the inspector's Profiler domain, in this same process) counts
// how often every block ran. After each input the counts are read and reset; an input that made
// some block run for the first time, or fall into a new bucket of run counts (1, 2, 3, 4-7, ...),
// joins the corpus and is mutated further. Mutations are byte-level (flips, inserts, deletes,
// copies), dictionary tokens (XML/XMPP/SCRAM syntax) and splices with other corpus entries.
// Everything random comes from one seeded generator, so a seed and a run count replay exactly.
import { createHash } from 'node:crypto';
import { Session } from 'node:inspector';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A fuzz target: runs one input and throws (any error) when an invariant is broken. */
export interface FuzzTarget {
  name: string;
  /** Source files (URL substrings) whose coverage guides the search: the code under test and its parsers. */
  coverage: RegExp;
  /** Tokens the mutator inserts whole: the syntax of the format. */
  dictionary: string[];
  /** Inputs longer than this are cut: big inputs are slow and rarely find more. */
  maxLength: number;
  run(input: Buffer): void;
}

export interface FuzzOptions {
  /** Stop after this long... */
  durationMs: number;
  /** ...or after this many executions, whichever comes first (for replayable runs). */
  maxRuns?: number;
  seed: number;
  /**
   * Seed inputs, one file each. With saveCorpus the generated ones are minimized at the end and
   * the new inputs that add coverage are written here (see saveMinimized).
   */
  corpusDir: string;
  saveCorpus?: boolean;
  /** Where a failing input is written. */
  crashDir: string;
  /** An input that runs longer than this counts as a hang. */
  slowMs?: number;
}

export interface FuzzCrash {
  file: string;
  input: Buffer;
  error: string;
}

export interface FuzzResult {
  target: string;
  runs: number;
  corpusSize: number;
  /** Distinct coverage features (block, count bucket) seen. */
  features: number;
  crash: FuzzCrash | undefined;
}

/** mulberry32: small, fast, and good enough to drive mutations. */
export function randomGenerator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** V8 block coverage read through the inspector, reset on every read. */
class BlockCoverage {
  private readonly session = new Session();

  start(): void {
    this.session.connect();
    // Calls on a same-thread session answer synchronously, which keeps the loop simple and fast.
    this.session.post('Profiler.enable');
    this.session.post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
    this.take(/$^/);
  }

  stop(): void {
    this.session.post('Profiler.stopPreciseCoverage');
    this.session.post('Profiler.disable');
    this.session.disconnect();
  }

  /** The features hit since the last call, in scripts whose URL matches `filter`. */
  take(filter: RegExp): string[] {
    let scripts: Array<{ url: string; functions: Array<{ ranges: Array<{ startOffset: number; endOffset: number; count: number }> }> }> = [];
    this.session.post('Profiler.takePreciseCoverage', (error, result) => {
      if (error) throw error;
      scripts = result.result;
    });
    const features: string[] = [];
    for (const script of scripts) {
      if (!filter.test(script.url)) continue;
      for (const fn of script.functions) {
        for (const range of fn.ranges) {
          if (range.count > 0) features.push(`${script.url}:${range.startOffset}:${range.endOffset}:${bucket(range.count)}`);
        }
      }
    }
    return features;
  }
}

/** AFL's hit-count buckets: a loop running 5 times instead of 4 is not news, 8 instead of 4 is. */
function bucket(count: number): number {
  if (count <= 3) return count;
  return Math.min(8, 32 - Math.clz32(count));
}

const interestingBytes = [0, 1, 0x7f, 0x80, 0xff, 0x20, 0x3c, 0x3e, 0x26, 0x3b, 0x22, 0x27, 0x3d, 0x2f, 0x40, 0x2c, 0x0a, 0x0d, 0xc0, 0xe0, 0xf0, 0xf4];

export class Mutator {
  private readonly tokens: Buffer[];

  constructor(
    private readonly random: () => number,
    dictionary: string[],
    private readonly maxLength: number,
  ) {
    this.tokens = dictionary.map((t) => Buffer.from(t, 'utf8'));
  }

  private below(n: number): number {
    return Math.floor(this.random() * n);
  }

  /** One to eight stacked mutations of `input`; `other` is a corpus entry for splicing. */
  mutate(input: Buffer, other: Buffer): Buffer {
    let data = input;
    const rounds = 1 << this.below(4);
    for (let i = 0; i < rounds; i++) data = this.once(data, other);
    return data.length > this.maxLength ? data.subarray(0, this.maxLength) : data;
  }

  private once(data: Buffer, other: Buffer): Buffer {
    const at = this.below(data.length + 1);
    switch (this.below(10)) {
      case 0: {
        // Flip one bit.
        if (data.length === 0) return data;
        const copy = Buffer.from(data);
        const index = this.below(copy.length);
        copy[index] = copy[index]! ^ (1 << this.below(8));
        return copy;
      }
      case 1: {
        // Set a byte to a value parsers care about.
        if (data.length === 0) return data;
        const copy = Buffer.from(data);
        copy[this.below(copy.length)] = interestingBytes[this.below(interestingBytes.length)]!;
        return copy;
      }
      case 2:
        // Insert a random byte.
        return Buffer.concat([data.subarray(0, at), Buffer.from([this.below(256)]), data.subarray(at)]);
      case 3: {
        // Delete a range.
        const length = 1 + this.below(Math.min(16, Math.max(1, data.length - at)));
        return Buffer.concat([data.subarray(0, at), data.subarray(at + length)]);
      }
      case 4:
      case 5: {
        // Insert a dictionary token.
        if (this.tokens.length === 0) return data;
        return Buffer.concat([data.subarray(0, at), this.tokens[this.below(this.tokens.length)]!, data.subarray(at)]);
      }
      case 6: {
        // Copy a range of the input elsewhere in it (repeats nest elements, lengthen attributes).
        if (data.length === 0) return data;
        const from = this.below(data.length);
        const length = 1 + this.below(Math.min(64, data.length - from));
        return Buffer.concat([data.subarray(0, at), data.subarray(from, from + length), data.subarray(at)]);
      }
      case 7: {
        // Splice: the head of this input, the tail of another.
        const cut = this.below(other.length + 1);
        return Buffer.concat([data.subarray(0, at), other.subarray(cut)]);
      }
      case 8: {
        // Insert a range of another input.
        if (other.length === 0) return data;
        const from = this.below(other.length);
        const length = 1 + this.below(Math.min(64, other.length - from));
        return Buffer.concat([data.subarray(0, at), other.subarray(from, from + length), data.subarray(at)]);
      }
      default: {
        // Replace a range with a dictionary token.
        if (this.tokens.length === 0 || data.length === 0) return data;
        const length = 1 + this.below(Math.min(8, Math.max(1, data.length - at)));
        return Buffer.concat([data.subarray(0, at), this.tokens[this.below(this.tokens.length)]!, data.subarray(at + length)]);
      }
    }
  }
}

export function readCorpus(dir: string): Buffer[] {
  mkdirSync(dir, { recursive: true });
  return readdirSync(dir)
    .filter((name) => !name.startsWith('.'))
    .sort()
    .map((name) => readFileSync(join(dir, name)));
}

function contentName(input: Buffer): string {
  return createHash('sha1').update(input).digest('hex').slice(0, 16);
}

export function saveCrash(dir: string, target: string, input: Buffer): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${target}-${contentName(input)}`);
  writeFileSync(file, input);
  return file;
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ''}` : String(error);
}

/** Files the fuzzer wrote (named by content); any other name is a hand-written seed, always kept. */
const generatedName = /^[0-9a-f]{16}$/;

/**
 * Keeps the corpus small: the hand-written seeds stay, and of the generated inputs (those from
 * earlier runs and the ones found now) only those that reach blocks nothing kept before them
 * reaches are written, the most covering first; the other generated files are removed. Hit-count
 * buckets guide the search but are not worth a file each.
 */
function saveMinimized(target: FuzzTarget, coverage: BlockCoverage, dir: string, found: Buffer[]): void {
  const blocksOf = (input: Buffer) => {
    target.run(input);
    return [...new Set(coverage.take(target.coverage).map((feature) => feature.slice(0, feature.lastIndexOf(':'))))];
  };
  const names = readdirSync(dir).filter((name) => !name.startsWith('.'));
  const covered = new Set<string>();
  for (const name of names.filter((n) => !generatedName.test(n))) for (const block of blocksOf(readFileSync(join(dir, name)))) covered.add(block);
  const generated = names.filter((n) => generatedName.test(n));
  const candidates = [...generated.map((name) => readFileSync(join(dir, name))), ...found]
    .map((input) => ({ input, blocks: blocksOf(input) }))
    .sort((a, b) => b.blocks.length - a.blocks.length || a.input.length - b.input.length);
  const keep = new Set<string>();
  for (const { input, blocks } of candidates) {
    const adds = blocks.filter((block) => !covered.has(block));
    if (adds.length === 0) continue;
    for (const block of adds) covered.add(block);
    keep.add(contentName(input));
    writeFileSync(join(dir, contentName(input)), input);
  }
  for (const name of generated) if (!keep.has(name)) rmSync(join(dir, name));
}

/** Runs `target` until the time or run budget is spent, or until the first failing input. */
export function fuzz(target: FuzzTarget, options: FuzzOptions): FuzzResult {
  const random = randomGenerator(options.seed);
  const mutator = new Mutator(random, target.dictionary, target.maxLength);
  const coverage = new BlockCoverage();
  const seen = new Set<string>();
  const corpus: Buffer[] = [];
  /** Inputs this run added (the seeds aside). */
  const found: Buffer[] = [];
  const slowMs = options.slowMs ?? 2000;
  let runs = 0;

  /** Runs one input; a failure is returned, new coverage adds the input to the corpus. */
  const execute = (input: Buffer, isSeed = false): FuzzCrash | undefined => {
    runs++;
    const started = performance.now();
    try {
      target.run(input);
    } catch (error) {
      coverage.take(/$^/);
      return { file: saveCrash(options.crashDir, target.name, input), input, error: describeError(error) };
    }
    const elapsed = performance.now() - started;
    if (elapsed > slowMs) {
      coverage.take(/$^/);
      return { file: saveCrash(options.crashDir, target.name, input), input, error: `took ${Math.round(elapsed)} ms (a hang?)` };
    }
    let fresh = false;
    for (const feature of coverage.take(target.coverage)) {
      if (!seen.has(feature)) {
        seen.add(feature);
        fresh = true;
      }
    }
    if (fresh) {
      corpus.push(input);
      if (!isSeed) found.push(input);
    }
    return undefined;
  };

  coverage.start();
  try {
    const deadline = Date.now() + options.durationMs;
    const maxRuns = options.maxRuns ?? Number.POSITIVE_INFINITY;
    const seeds = readCorpus(options.corpusDir);
    for (const seed of seeds.length > 0 ? seeds : [Buffer.alloc(0)]) {
      const crash = execute(seed.length > target.maxLength ? seed.subarray(0, target.maxLength) : seed, true);
      if (crash) return { target: target.name, runs, corpusSize: corpus.length, features: seen.size, crash };
    }
    if (corpus.length === 0) corpus.push(seeds[0] ?? Buffer.alloc(0));
    while (runs < maxRuns && Date.now() < deadline) {
      // Newer entries are picked more often: they sit at the frontier of what has been reached.
      const pick = corpus[Math.floor(corpus.length * Math.sqrt(random()))] ?? corpus[0]!;
      const other = corpus[Math.floor(random() * corpus.length)]!;
      const crash = execute(mutator.mutate(pick, other));
      if (crash) return { target: target.name, runs, corpusSize: corpus.length, features: seen.size, crash };
    }
    if (options.saveCorpus) saveMinimized(target, coverage, options.corpusDir, found);
    return { target: target.name, runs, corpusSize: corpus.length, features: seen.size, crash: undefined };
  } finally {
    coverage.stop();
  }
}
