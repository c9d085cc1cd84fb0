// The whole harness end to end, as `npm run bench -- --smoke` runs it: build, Hearth then Prosody
// in their own processes, every scenario at tiny sizes, the table and the result files.
// Not a timed test: it only checks that the harness works. CI installs Prosody (.ci/run).
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { BenchReport } from '../../bench/report.js';
import { prosodyInstalled } from '../support/prosody.js';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;
const installed = prosodyInstalled();

describe('npm run bench -- --smoke', () => {
  const out = mkdtempSync(join(tmpdir(), 'hearth-bench-results-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('measures Hearth and Prosody and writes the table, JSON and markdown', { timeout: 120_000 }, async ({ skip }) => {
    if (!installed) {
      if (process.env.CI === 'true') throw new Error('prosody is not installed; .ci/run installs it (apt-get install prosody)');
      skip('prosody is not installed (apt-get install prosody); skipped outside CI');
    }
    await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'bench/tsconfig.json')], { cwd: root, timeout: 60_000 });
    const { stdout } = await run(process.execPath, [join(root, 'dist-bench/bench/main.js'), '--smoke', '--out', out], { cwd: root, timeout: 60_000 });

    expect(stdout).toMatch(/Figure\s+Hearth\s+Prosody\s+Hearth\/Prosody/);
    const files = readdirSync(out);
    expect(files.filter((f) => f.endsWith('-smoke.md'))).toHaveLength(1);
    expect(existsSync(join(out, 'latest.md'))).toBe(false);
    const report = JSON.parse(readFileSync(join(out, files.find((f) => f.endsWith('-smoke.json'))!), 'utf8')) as BenchReport;
    expect(report.servers.map((s) => s.name)).toEqual(['Hearth', 'Prosody']);
    expect(report.machine.prosody).toMatch(/^0\.12\./);
    for (const server of report.servers) {
      for (const scenario of Object.values(server.scenarios)) expect(scenario!.error).toBeUndefined();
      const { figures } = server;
      for (const key of ['login.rate', 'idle.rss.20', 'messages.rate', 'groupchat.rate', 'archive.fillRate', 'archive.latest.p50']) expect(figures[key], `${server.name} ${key}`).toBeGreaterThan(0);
      for (const key of ['login.failures', 'messages.lost', 'groupchat.lost', 'archive.lost']) expect(figures[key], `${server.name} ${key}`).toBe(0);
      // The server's own memory is part of its RSS.
      expect(figures['idle.private.20'], `${server.name} idle.private.20`).toBeGreaterThan(0);
      expect(figures['idle.private.20']).toBeLessThan(figures['idle.rss.20']!);
    }
    // Beside Hearth's idle readings: plain Node holding as many TLS connections.
    const hearth = report.servers[0]!.figures;
    expect(hearth['floor.rss.20']).toBeGreaterThan(0);
    expect(hearth['floor.rss.20']).toBeLessThan(hearth['idle.rss.20']!);
  });
});
