// `npm run bench`: Hearth, then Prosody, each in its own process with a private configuration on
// loopback, the same accounts and the same scenarios; then the side-by-side table.
// Run with --help for the options; bench/README.md explains what each figure measures.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestPki } from '../test/support/test-ca.js';
import { prosodyInstalled } from '../test/support/prosody.js';
import { describeMachine, loadAverage } from './machine.js';
import { parseOptions, usage, UsageError, type BenchOptions, type ScenarioName, type ServerName } from './options.js';
import { openFileLimit } from './process-usage.js';
import { formatHotFunctions, hotFunctions, readProfile } from './profile-summary.js';
import { markdown, textTable, type BenchReport, type ScenarioRecord, type ServerRun } from './report.js';
import { archiveScenario } from './scenarios/archive.js';
import type { ScenarioContext } from './scenarios/context.js';
import { groupchatScenario } from './scenarios/groupchat.js';
import { idleScenario } from './scenarios/idle.js';
import { loginScenario } from './scenarios/login.js';
import { messagesScenario } from './scenarios/messages.js';
import { measureTlsFloor } from './scenarios/tls-floor.js';
import type { ScenarioResult } from './scenarios/result.js';
import type { BenchServer, ServerSetup } from './servers/bench-server.js';
import { startHearth } from './servers/hearth.js';
import { startProsodyForBench } from './servers/prosody.js';

const domain = 'localhost';
const password = 'benchmark password';
const progress = (line: string) => process.stderr.write(`${line}\n`);

/** The loopback source addresses connections are spread over (--sources), so ephemeral ports never run out. */
function sourceAddresses(options: BenchOptions): string[] {
  return Array.from({ length: options.sources }, (_, i) => `127.0.0.${i + 1}`);
}

/** The accounts every server gets: user1..userN for the scenarios, and the archive's own. */
function accountsFor(options: BenchOptions): { users: string[]; archiveReader: string; archiveSenders: string[] } {
  const count = Math.max(...options.idle, 2 * options.pairs, options.occupants, options.loginUsers);
  return {
    users: Array.from({ length: count }, (_, i) => `user${i + 1}`),
    archiveReader: 'mamreader',
    archiveSenders: Array.from({ length: options.archiveContacts }, (_, i) => `mamsender${i + 1}`),
  };
}

async function runScenario(name: ScenarioName, context: ScenarioContext, options: BenchOptions, accounts: ReturnType<typeof accountsFor>): Promise<ScenarioResult> {
  const stallMs = options.stall;
  switch (name) {
    case 'idle':
      return idleScenario(context, { sizes: options.idle, usernames: accounts.users, settleMs: options.settle });
    case 'login':
      return loginScenario(context, { logins: options.logins, concurrency: options.loginConcurrency, usernames: accounts.users.slice(0, options.loginUsers) });
    case 'messages':
      return messagesScenario(context, { pairs: options.pairs, messages: options.messages, window: options.window, rate: options.rate, rateSeconds: options.rateSeconds, stallMs, usernames: accounts.users });
    case 'groupchat':
      return groupchatScenario(context, { occupants: options.occupants, senders: options.roomSenders, messages: options.roomMessages, window: options.roomWindow, stallMs, usernames: accounts.users });
    case 'archive':
      return archiveScenario(context, { archived: options.archive, senders: accounts.archiveSenders, reader: accounts.archiveReader, queries: options.queries, queryBudgetMs: options.querySeconds * 1000, window: options.archiveWindow, stallMs });
  }
}

async function benchServer(
  name: ServerName,
  setup: ServerSetup,
  options: BenchOptions,
  accounts: ReturnType<typeof accountsFor>,
  ca: Buffer,
  onStarted: (server: BenchServer) => void,
): Promise<ServerRun> {
  progress(`== ${name}: starting`);
  const server = name === 'hearth' ? await startHearth(setup) : await startProsodyForBench(setup);
  onStarted(server);
  const run: ServerRun = { name: server.name, version: server.version, figures: {}, scenarios: {} };
  const context: ScenarioContext = {
    host: server.host,
    port: server.port,
    domain: server.domain,
    mucDomain: server.mucDomain,
    pid: server.pid,
    ca,
    password,
    localAddresses: sourceAddresses(options),
    streamManagement: options.streamManagement,
    progress,
  };
  let busiestGenerator = 0;
  try {
    for (const scenario of options.scenarios) {
      progress(`== ${server.name}: ${scenario}`);
      const record: ScenarioRecord = { phases: {}, notes: [] };
      try {
        const result = await runScenario(scenario, context, options, accounts);
        Object.assign(run.figures, result.figures);
        record.phases = result.phases;
        record.notes = result.notes;
      } catch (error) {
        record.error = (error as Error).message;
        progress(`   failed: ${record.error}`);
        const log = server.log().trim();
        if (log) record.notes.push(`server log: ${log.slice(-2000)}`);
      }
      for (const note of record.notes) progress(`   ${note}`);
      for (const [phase, cost] of Object.entries(record.phases)) {
        progress(
          `   ${phase}: ${cost.wallSeconds.toFixed(1)} s, server CPU ${cost.serverCpuSeconds.toFixed(1)} s, load generator CPU ${cost.generatorCpuSeconds.toFixed(1)} s`,
        );
        // Short phases say little about saturation: only phases of a second or more count.
        if (cost.wallSeconds >= 1) busiestGenerator = Math.max(busiestGenerator, (100 * cost.generatorCpuSeconds) / cost.wallSeconds);
      }
      run.scenarios[scenario] = record;
    }
  } finally {
    progress(`== ${server.name}: stopping`);
    await server.stop();
  }
  run.figures['generator.cpu'] = busiestGenerator;
  return run;
}

/** "2025-06-01T12-30-05Z": sortable, and valid in file names everywhere. */
function fileStamp(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

export async function main(argv: string[]): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseOptions(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message ? `${error.message}\n\n` : ''}${usage}\n`);
    return error.message ? 2 : 0;
  }
  if (options.servers.includes('prosody') && !prosodyInstalled()) {
    progress('Prosody is not installed: `apt-get install prosody` (Debian), or run with --servers hearth.');
    return 1;
  }
  const largest = Math.max(...options.idle, 2 * options.pairs, options.occupants) + 200;
  const limit = openFileLimit();
  if (limit !== undefined && limit < largest) {
    progress(`This process may open only ${limit} files and the largest scenario needs about ${largest}: raise the limit (ulimit -n ${largest * 2}) or lower --idle.`);
    return 1;
  }

  const started = new Date();
  const root = mkdtempSync(join(tmpdir(), 'hearth-bench-'));
  let current: BenchServer | undefined;
  const interrupt = () => {
    progress('interrupted: stopping the server under test');
    void (current?.stop() ?? Promise.resolve()).finally(() => {
      rmSync(root, { recursive: true, force: true });
      process.exit(130);
    });
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  try {
    const pki = await createTestPki(join(root, 'pki'), [domain, `conference.${domain}`]);
    const ca = readFileSync(pki.caFile);
    const accounts = accountsFor(options);
    const profileDir = options.profile ? join(root, 'profile') : undefined;
    const report: BenchReport = {
      date: started.toISOString(),
      command: `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
      machine: describeMachine(),
      options,
      servers: [],
    };
    for (const name of options.servers) {
      const setup: ServerSetup = {
        dir: join(root, name),
        domain,
        bind: '127.0.0.1',
        certFile: pki.certFile,
        keyFile: pki.keyFile,
        caFile: pki.caFile,
        usernames: [...accounts.users, accounts.archiveReader, ...accounts.archiveSenders],
        password,
        maxOccupants: options.occupants,
        archiveItems: options.archive,
        profileDir: name === 'hearth' ? profileDir : undefined,
        prosodyNagle: options.prosodyNagle,
        prosodyStorage: options.prosodyStorage,
      };
      report.servers.push(await benchServer(name, setup, options, accounts, ca, (server) => (current = server)));
      current = undefined;
    }
    const hearthRun = report.servers.find((server) => server.name === 'Hearth');
    if (hearthRun && options.scenarios.includes('idle')) {
      // Beside Hearth's idle figures: plain Node holding as many TLS connections (what holds them back).
      progress('== Node and TLS alone: idle');
      try {
        const floor = await measureTlsFloor({
          certFile: pki.certFile,
          keyFile: pki.keyFile,
          ca,
          sizes: options.idle,
          localAddresses: sourceAddresses(options),
          settleMs: options.settle,
        });
        for (const [key, value] of Object.entries(floor)) if (key.startsWith('floor.rss.')) progress(`  ${key.slice('floor.rss.'.length)} TLS connections: RSS ${value.toFixed(1)} MiB`);
        Object.assign(hearthRun.figures, floor);
      } catch (error) {
        hearthRun.scenarios.idle?.notes.push(`the Node and TLS floor could not be measured: ${(error as Error).message}`);
      }
    }

    report.loadAtEnd = loadAverage();
    process.stdout.write(`\n${textTable(report)}\n`);
    mkdirSync(options.out, { recursive: true });
    const base = join(options.out, fileStamp(started) + (options.smoke ? '-smoke' : ''));
    writeFileSync(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
    const text = markdown(report);
    writeFileSync(`${base}.md`, text);
    if (options.updateLatest) writeFileSync(join(options.out, 'latest.md'), text);
    progress(`\nresults: ${base}.json, ${base}.md${options.updateLatest ? `, ${join(options.out, 'latest.md')}` : ''}`);

    if (profileDir) {
      for (const file of readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile'))) {
        const kept = `${base}-hearth.cpuprofile`;
        writeFileSync(kept, readFileSync(join(profileDir, file)));
        process.stdout.write(`\nHearth's hottest functions (self time; open ${kept} in Chrome DevTools for the flame graph):\n`);
        process.stdout.write(`${formatHotFunctions(hotFunctions(readProfile(kept), 25))}\n`);
      }
    }
    // A lost message or a failed scenario is a failed run, whatever the speed.
    const failed = report.servers.some(
      (server) =>
        Object.values(server.scenarios).some((record) => record?.error) ||
        Object.entries(server.figures).some(([key, value]) => /\.(lost|failures|badPages)$/.test(key) && value !== 0),
    );
    return failed ? 1 : 0;
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
    rmSync(root, { recursive: true, force: true });
  }
}

process.exitCode = await main(process.argv.slice(2));
