// The results: one row per figure with each server's value and the ratio Hearth/Prosody, as a
// text table for the terminal, markdown for bench/results/*.md, and the JSON behind both.
import type { Machine } from './machine.js';
import type { BenchOptions, ScenarioName } from './options.js';
import type { PhaseCost } from './scenarios/context.js';

export interface ScenarioRecord {
  phases: Record<string, PhaseCost>;
  notes: string[];
  /** Set when the scenario failed; its figures are then missing. */
  error?: string;
}

export interface ServerRun {
  name: string;
  version: string;
  figures: Record<string, number>;
  scenarios: Partial<Record<ScenarioName, ScenarioRecord>>;
}

export interface BenchReport {
  date: string;
  /** The 1-minute load average when the run ended (machine.loadAtStart is the other end). */
  loadAtEnd?: number;
  command: string;
  machine: Machine;
  options: BenchOptions;
  servers: ServerRun[];
}

/**
 * How to read a figure: 'info' figures are about the harness, not the servers, and 'floor' ones
 * about plain Node under Hearth (bench/scenarios/tls-floor.ts); neither has a ratio.
 */
export type Better = 'higher' | 'lower' | 'zero' | 'info' | 'floor';

export interface FigureDefinition {
  label: string;
  unit: string;
  better: Better;
  decimals: number;
}

const definitions: Record<string, FigureDefinition> = {
  'login.rate': { label: 'Logins per second (TLS, SCRAM-SHA-1, bind, presence)', unit: '/s', better: 'higher', decimals: 0 },
  'login.p50': { label: 'Login latency p50', unit: 'ms', better: 'lower', decimals: 1 },
  'login.p99': { label: 'Login latency p99', unit: 'ms', better: 'lower', decimals: 1 },
  'login.failures': { label: 'Failed logins', unit: '', better: 'zero', decimals: 0 },
  'idle.kibPerSession': { label: 'Memory per idle session', unit: 'KiB', better: 'lower', decimals: 1 },
  'idle.growth': { label: 'Memory per session, largest count / next (at most 1: linear)', unit: 'x', better: 'lower', decimals: 2 },
  'floor.kibPerConnection': { label: 'Node and TLS alone: memory per connection', unit: 'KiB', better: 'floor', decimals: 1 },
  'messages.rate': { label: '1:1 messages per second', unit: '/s', better: 'higher', decimals: 0 },
  'messages.p50': { label: '1:1 latency p50, saturated', unit: 'ms', better: 'lower', decimals: 1 },
  'messages.p99': { label: '1:1 latency p99, saturated', unit: 'ms', better: 'lower', decimals: 1 },
  'messages.fixed.p50': { label: '1:1 latency p50 at a fixed rate', unit: 'ms', better: 'lower', decimals: 2 },
  'messages.fixed.p99': { label: '1:1 latency p99 at a fixed rate', unit: 'ms', better: 'lower', decimals: 2 },
  'messages.lost': { label: '1:1 messages lost', unit: '', better: 'zero', decimals: 0 },
  'messages.cpuPer1000': { label: 'Server CPU per 1,000 messages', unit: 's', better: 'lower', decimals: 3 },
  'messages.cpuGrowth': { label: 'CPU per message at a fixed rate / at half of it (at most 1: linear)', unit: 'x', better: 'lower', decimals: 2 },
  'groupchat.rate': { label: 'Group chat deliveries per second', unit: '/s', better: 'higher', decimals: 0 },
  'groupchat.p50': { label: 'Group chat delivery latency p50', unit: 'ms', better: 'lower', decimals: 1 },
  'groupchat.p99': { label: 'Group chat delivery latency p99', unit: 'ms', better: 'lower', decimals: 1 },
  'groupchat.lost': { label: 'Group chat deliveries lost', unit: '', better: 'zero', decimals: 0 },
  'groupchat.cpuPer1000': { label: 'Server CPU per 1,000 group chat deliveries', unit: 's', better: 'lower', decimals: 3 },
  'archive.fillRate': { label: 'Archive fill, messages per second', unit: '/s', better: 'higher', decimals: 0 },
  'archive.lost': { label: 'Archive fill messages lost', unit: '', better: 'zero', decimals: 0 },
  'archive.latest.p50': { label: 'MAM last page p50', unit: 'ms', better: 'lower', decimals: 1 },
  'archive.latest.p99': { label: 'MAM last page p99', unit: 'ms', better: 'lower', decimals: 1 },
  'archive.with.p50': { label: 'MAM last page with one contact p50', unit: 'ms', better: 'lower', decimals: 1 },
  'archive.with.p99': { label: 'MAM last page with one contact p99', unit: 'ms', better: 'lower', decimals: 1 },
  'archive.after.p50': { label: 'MAM page after a mid-archive id p50', unit: 'ms', better: 'lower', decimals: 1 },
  'archive.after.p99': { label: 'MAM page after a mid-archive id p99', unit: 'ms', better: 'lower', decimals: 1 },
  'archive.badPages': { label: 'MAM pages with the wrong size', unit: '', better: 'zero', decimals: 0 },
  'generator.cpu': { label: 'Load generator CPU, busiest phase', unit: '% of a core', better: 'info', decimals: 0 },
};

/** Figure definitions, including the RSS readings named after their session count (idle.rss.1000, idle.private.1000). */
export function describeFigure(key: string, options?: Pick<BenchOptions, 'rate' | 'archive' | 'occupants'>): FigureDefinition {
  const rss = /^idle\.rss\.(\d+)$/.exec(key);
  if (rss) return { label: `Server RSS with ${Number(rss[1]).toLocaleString('en')} idle sessions`, unit: 'MiB', better: 'lower', decimals: 1 };
  const own = /^idle\.private\.(\d+)$/.exec(key);
  if (own) return { label: `  of which the server's own (RssAnon), ${Number(own[1]).toLocaleString('en')} sessions`, unit: 'MiB', better: 'lower', decimals: 1 };
  const floor = /^floor\.rss\.(\d+)$/.exec(key);
  if (floor) return { label: `Node and TLS alone: RSS with ${Number(floor[1]).toLocaleString('en')} TLS connections`, unit: 'MiB', better: 'floor', decimals: 1 };
  const known = definitions[key];
  if (!known) return { label: key, unit: '', better: 'lower', decimals: 2 };
  if (!options) return known;
  // The sizes that make the figure mean something, in its label.
  const label = known.label
    .replace('at a fixed rate', `at ${options.rate.toLocaleString('en')} msg/s`)
    .replace('Group chat deliveries per second', `Group chat deliveries per second (${options.occupants} occupants)`)
    .replace(/^MAM (.*) (p\d\d)$/, `MAM $1 of ${options.archive.toLocaleString('en')}, $2`);
  return { ...known, label };
}

export interface Row {
  key: string;
  definition: FigureDefinition;
  values: Array<number | undefined>;
  /** First server / second server, when that means something. */
  ratio: number | undefined;
}

/** Known figures first, in the catalogue's order; RSS readings by session count after login. */
export function rows(report: BenchReport): Row[] {
  const keys = new Set<string>();
  for (const server of report.servers) for (const key of Object.keys(server.figures)) keys.add(key);
  const order = (key: string) => {
    const rss = /^idle\.rss\.(\d+)$/.exec(key);
    if (rss) return Object.keys(definitions).indexOf('idle.kibPerSession') - 0.5 + Number(rss[1]) / 1e9;
    const own = /^idle\.private\.(\d+)$/.exec(key);
    // Right under the RSS reading it is part of.
    if (own) return Object.keys(definitions).indexOf('idle.kibPerSession') - 0.5 + (Number(own[1]) + 0.5) / 1e9;
    const floor = /^floor\.rss\.(\d+)$/.exec(key);
    if (floor) return Object.keys(definitions).indexOf('floor.kibPerConnection') - 0.5 + Number(floor[1]) / 1e9;
    const index = Object.keys(definitions).indexOf(key);
    return index === -1 ? 1e6 : index;
  };
  return [...keys]
    .sort((a, b) => order(a) - order(b))
    .map((key) => {
      const definition = describeFigure(key, report.options);
      const values = report.servers.map((server) => server.figures[key]);
      const [first, second] = values;
      const ratio =
        (definition.better === 'higher' || definition.better === 'lower') && values.length === 2 && first !== undefined && second !== undefined && Number.isFinite(first) && Number.isFinite(second) && second !== 0
          ? first / second
          : undefined;
      return { key, definition, values, ratio };
    });
}

export function formatValue(value: number | undefined, decimals: number): string {
  if (value === undefined) return 'failed';
  if (!Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

function ratioText(row: Row): string {
  return row.ratio === undefined ? '-' : `${row.ratio.toFixed(2)}x`;
}

function betterText(better: Better): string {
  if (better === 'zero') return 'must be 0';
  if (better === 'info') return 'below 100: not the bottleneck';
  if (better === 'floor') return "the floor under Hearth's memory";
  return `${better} is better`;
}

function tableCells(report: BenchReport): { header: string[]; body: string[][] } {
  const header = ['Figure', ...report.servers.map((s) => s.name), ...(report.servers.length === 2 ? [`${report.servers[0]!.name}/${report.servers[1]!.name}`] : []), ''];
  const body = rows(report).map((row) => [
    `${row.definition.label}${row.definition.unit ? ` (${row.definition.unit})` : ''}`,
    // The floor is measured once, beside Hearth: the other column has nothing missing, just nothing.
    ...row.values.map((value) => (value === undefined && row.definition.better === 'floor' ? '-' : formatValue(value, row.definition.decimals))),
    ...(report.servers.length === 2 ? [ratioText(row)] : []),
    betterText(row.definition.better),
  ]);
  return { header, body };
}

/** The terminal table: columns padded, numbers right-aligned. */
export function textTable(report: BenchReport): string {
  const { header, body } = tableCells(report);
  const widths = header.map((_, column) => Math.max(...[header, ...body].map((cells) => cells[column]!.length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === 0 || column === cells.length - 1 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

export function markdown(report: BenchReport): string {
  const { header, body } = tableCells(report);
  const escape = (cell: string) => cell.replace(/\|/g, '\\|');
  const machine = report.machine;
  const lines = [
    `# Hearth and Prosody, ${report.date}${report.options.smoke ? ' (smoke sizes: not figures to compare)' : ''}`,
    '',
    `Command: \`${report.command}\``,
    '',
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB RAM; ${machine.os}; Node ${machine.node}; Hearth ${machine.hearth}; Prosody ${machine.prosody}. ` +
      `Load average (1 min) ${machine.loadAtStart} at the start${report.loadAtEnd === undefined ? '' : `, ${report.loadAtEnd} at the end`}.`,
    '',
    `| ${header.map(escape).join(' | ')} |`,
    `| ${header.map((_, i) => (i === 0 || i === header.length - 1 ? '---' : '---:')).join(' | ')} |`,
    ...body.map((cells) => `| ${cells.map(escape).join(' | ')} |`),
    '',
    sizesLine(report.options),
    '',
  ];
  const notes = report.servers.flatMap((server) =>
    Object.entries(server.scenarios).flatMap(([scenario, record]) => [
      ...(record!.error ? [`- ${server.name}, ${scenario}: failed: ${record!.error}`] : []),
      ...record!.notes.map((note) => `- ${server.name}, ${scenario}: ${note}`),
    ]),
  );
  if (notes.length) lines.push('Notes:', '', ...notes, '');
  return lines.join('\n');
}

/** What was run, in words, under the table. */
export function sizesLine(options: BenchOptions): string {
  return (
    `Sizes: ${options.logins} logins, ${options.loginConcurrency} at a time; idle readings at ${options.idle.join(', ')} sessions; ` +
    `${options.messages.toLocaleString('en')} messages over ${options.pairs} pairs with ${options.window} in flight per pair, then ${options.rate / 2} and ${options.rate} msg/s for ${options.rateSeconds} s each; ` +
    `${options.roomMessages.toLocaleString('en')} messages to a room of ${options.occupants} from ${options.roomSenders} senders; ` +
    `${options.archive.toLocaleString('en')} archived messages from ${options.archiveContacts} contacts, ${options.queries} queries of each kind. ` +
    `Sessions ${options.streamManagement ? 'enable' : 'do not enable'} stream management; the login scenario's do not. ` +
    `Prosody runs ${options.prosodyNagle ? "with Nagle's algorithm on, as it ships" : 'with TCP_NODELAY (network_settings nagle = false)'}, ` +
    `its archives in ${options.prosodyStorage === 'sql' ? 'SQLite (storage archive and muc_log = "sql")' : 'its own files (storage "internal", as it ships)'}.`
  );
}
