import { describe, expect, it } from 'vitest';
import { fullSizes, parseOptions, smokeSizes, UsageError } from '../../bench/options.js';
import { markdown, rows, textTable, type BenchReport } from '../../bench/report.js';
import { kibPerSession, memoryGrowth } from '../../bench/scenarios/idle.js';

function report(hearth: Record<string, number>, prosody: Record<string, number>): BenchReport {
  return {
    date: '2025-01-01T00:00:00.000Z',
    command: 'npm run bench',
    machine: { cpu: 'Test CPU', cores: 2, memoryGiB: 4, os: 'Debian', node: 'v20', hearth: '0.1.0', prosody: '0.12.3', loadAtStart: 0.5 },
    options: parseOptions([], {}),
    servers: [
      { name: 'Hearth', version: '0.1.0', figures: hearth, scenarios: {} },
      { name: 'Prosody', version: '0.12.3', figures: prosody, scenarios: { messages: { phases: {}, notes: ['saturated: 1 of 10 deliveries lost (e.g. a0.3)'] } } },
    ],
  };
}

describe('the results table', () => {
  it('gives the ratio Hearth/Prosody for figures to compare, and none for counts that must be zero', () => {
    const table = rows(report({ 'messages.rate': 3000, 'messages.lost': 0, 'generator.cpu': 40 }, { 'messages.rate': 1500, 'messages.lost': 1, 'generator.cpu': 20 }));
    expect(table.find((r) => r.key === 'messages.rate')!.ratio).toBe(2);
    expect(table.find((r) => r.key === 'messages.lost')!.ratio).toBeUndefined();
    expect(table.find((r) => r.key === 'generator.cpu')!.ratio).toBeUndefined();
  });

  it('shows a figure a server did not produce as failed', () => {
    const text = textTable(report({ 'login.rate': 100 }, {}));
    expect(text).toMatch(/Logins per second.*100\s+failed\s+-/);
  });

  it('orders RSS readings by session count, before the per-session figure', () => {
    const keys = rows(report({ 'idle.kibPerSession': 1, 'idle.rss.5000': 3, 'idle.private.1000': 1.5, 'idle.rss.0': 1, 'idle.rss.1000': 2, 'login.rate': 1 }, {})).map((r) => r.key);
    expect(keys).toEqual(['login.rate', 'idle.rss.0', 'idle.rss.1000', 'idle.private.1000', 'idle.rss.5000', 'idle.kibPerSession']);
  });

  it('puts the Node and TLS floor after the idle figures, by connection count, without a ratio', () => {
    const figures = { 'floor.kibPerConnection': 30, 'floor.rss.1000': 79, 'floor.rss.0': 46, 'idle.growth': 1, 'idle.rss.1000': 110, 'idle.kibPerSession': 40 };
    const all = rows(report(figures, {}));
    expect(all.map((r) => r.key)).toEqual(['idle.rss.1000', 'idle.kibPerSession', 'idle.growth', 'floor.rss.0', 'floor.rss.1000', 'floor.kibPerConnection']);
    expect(all.filter((r) => r.key.startsWith('floor.')).every((r) => r.ratio === undefined)).toBe(true);
    expect(textTable(report(figures, {}))).toMatch(/Node and TLS alone: RSS with 1,000 TLS connections \(MiB\)\s+79\.0\s+-\s+-\s+the floor under Hearth's memory/);
  });

  it('writes markdown with the machine, the command and the notes', () => {
    const text = markdown(report({ 'messages.rate': 3000 }, { 'messages.rate': 1500 }));
    expect(text).toContain('Command: `npm run bench`');
    expect(text).toContain('Test CPU, 2 cores, 4 GiB RAM');
    expect(text).toMatch(/\| 1:1 messages per second \(\/s\) \| 3,000 \| 1,500 \| 2\.00x \| higher is better \|/);
    expect(text).toContain('- Prosody, messages: saturated: 1 of 10 deliveries lost');
  });
});

describe('memory per idle session', () => {
  it('is the slope between the two largest readings', () => {
    expect(kibPerSession([{ sessions: 0, rssKiB: 50_000 }, { sessions: 1000, rssKiB: 90_000 }, { sessions: 5000, rssKiB: 250_000 }])).toBe(40);
    expect(kibPerSession([{ sessions: 0, rssKiB: 1 }])).toBeNaN();
  });

  it('grows linearly when each session costs as much at 5,000 as at 1,000 above the server alone', () => {
    // 40 KiB a session at both counts: linear.
    expect(memoryGrowth([{ sessions: 0, rssKiB: 50_000 }, { sessions: 1000, rssKiB: 90_000 }, { sessions: 5000, rssKiB: 250_000 }])).toBe(1);
    // 40 KiB a session at 1,000, 60 at 5,000: each session costs more the more there are.
    expect(memoryGrowth([{ sessions: 0, rssKiB: 50_000 }, { sessions: 1000, rssKiB: 90_000 }, { sessions: 5000, rssKiB: 350_000 }])).toBe(1.5);
    // Without the server alone, or with one count above it, there is nothing to compare.
    expect(memoryGrowth([{ sessions: 1000, rssKiB: 90_000 }, { sessions: 5000, rssKiB: 250_000 }])).toBeNaN();
    expect(memoryGrowth([{ sessions: 0, rssKiB: 50_000 }, { sessions: 1000, rssKiB: 90_000 }])).toBeNaN();
  });
});

describe('benchmark options', () => {
  it('uses the full sizes by default and replaces latest.md only then', () => {
    const options = parseOptions([], {});
    expect(options).toMatchObject({ ...fullSizes, smoke: false, updateLatest: true, servers: ['hearth', 'prosody'], streamManagement: true });
  });

  it('shrinks everything with --smoke and does not touch latest.md', () => {
    expect(parseOptions(['--smoke'], {})).toMatchObject({ ...smokeSizes, smoke: true, updateLatest: false });
  });

  it('takes sizes from flags first, then BENCH_ variables', () => {
    const options = parseOptions(['--room-messages', '500', '--idle', '5000,0'], { BENCH_ROOM_MESSAGES: '9', BENCH_PAIRS: '7' });
    expect(options).toMatchObject({ roomMessages: 500, pairs: 7, idle: [0, 5000], updateLatest: false });
  });

  it('keeps servers and scenarios in their canonical order', () => {
    expect(parseOptions(['--servers', 'prosody,hearth', '--scenarios', 'archive,login'], {})).toMatchObject({ servers: ['hearth', 'prosody'], scenarios: ['login', 'archive'] });
  });

  it('explains a bad value', () => {
    expect(() => parseOptions(['--messages', 'many'], {})).toThrow(UsageError);
    expect(() => parseOptions(['--servers', 'ejabberd'], {})).toThrow(/ejabberd/);
  });
});
