// The process supervisor with small stand-in programs (node itself), so crashes can be made on
// purpose; the same with the real tor is in tor-service.test.ts.
import { describe, expect, it } from 'vitest';
import { ProcessSupervisor, restartDelay, type SupervisorEvent } from '../../../../server/services/tor/supervisor.js';
import { processAlive, waitUntil } from '../../../support/tor.js';

describe('restart pauses', () => {
  it('double after each crash in a row, up to the longest pause', () => {
    const backoff = { initialMs: 1000, maxMs: 60_000, stableAfterMs: 60_000 };
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => restartDelay(n, backoff))).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000]);
  });
});

describe('the process supervisor', { timeout: 20_000 }, () => {
  it('starts a process that crashes again after growing pauses', async () => {
    const events: SupervisorEvent[] = [];
    const supervisor = new ProcessSupervisor({ command: process.execPath, args: ['-e', 'process.exit(3)'], backoff: { initialMs: 50, maxMs: 1000 } });
    supervisor.on((event) => events.push(event));
    await supervisor.start();
    await waitUntil(() => events.filter((e) => e.type === 'spawned').length >= 3, 10_000, 'three starts');
    await supervisor.stop();
    const delays = events.filter((e) => e.type === 'restart-scheduled').map((e) => (e as { delayMs: number }).delayMs);
    expect(delays.slice(0, 2)).toEqual([50, 100]);
    expect(events.find((e) => e.type === 'exited')).toEqual({ type: 'exited', code: 3, signal: null, expected: false });
  });

  it('stops with SIGTERM and starts nothing more', async () => {
    const events: SupervisorEvent[] = [];
    const supervisor = new ProcessSupervisor({ command: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'] });
    supervisor.on((event) => events.push(event));
    const pid = await supervisor.start();
    expect(processAlive(pid)).toBe(true);
    await supervisor.stop();
    expect(processAlive(pid)).toBe(false);
    expect(events.at(-1)).toEqual({ type: 'exited', code: null, signal: 'SIGTERM', expected: true });
    expect(supervisor.running).toBe(false);
    expect(supervisor.restartPending).toBe(false);
  });

  it('kills a process that ignores SIGTERM after the timeout', async () => {
    const supervisor = new ProcessSupervisor({
      command: process.execPath,
      args: ['-e', "process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000)"],
      stopTimeoutMs: 300,
      onLine: (line) => lines.push(line),
    });
    const lines: string[] = [];
    const pid = await supervisor.start();
    await waitUntil(() => lines.includes('ready'), 5000, 'the program to set its handler');
    await supervisor.stop();
    expect(processAlive(pid)).toBe(false);
  });

  it('reports a program that does not exist, and does not try again', async () => {
    const events: SupervisorEvent[] = [];
    const supervisor = new ProcessSupervisor({ command: '/nonexistent/tor', args: [] });
    supervisor.on((event) => events.push(event));
    await expect(supervisor.start()).rejects.toMatchObject({ code: 'ENOENT' });
    expect(events.map((e) => e.type)).toEqual(['spawn-failed']);
    expect(supervisor.running).toBe(false);
  });
});
