// Operator logs: short lines on stderr. By convention (DESIGN.md) they never carry message
// content, other people's JIDs or IP addresses; callers pass only what an operator needs.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string, error?: unknown): void;
  child(name: string): Logger;
}

export type LogSink = (level: LogLevel, name: string, message: string) => void;

const stderrSink: LogSink = (level, name, message) => {
  process.stderr.write(`${new Date().toISOString()} ${level.padEnd(5)} ${name}: ${message}\n`);
};

export function createLogger(level: LogLevel, name = 'hearth', sink: LogSink = stderrSink): Logger {
  const threshold = rank[level];
  const emit = (at: LogLevel, message: string) => {
    if (rank[at] >= threshold) sink(at, name, message);
  };
  return {
    debug: (m) => emit('debug', m),
    info: (m) => emit('info', m),
    warn: (m) => emit('warn', m),
    error: (m, error) => emit('error', error instanceof Error ? `${m}: ${error.stack ?? error.message}` : m),
    child: (child) => createLogger(level, `${name}/${child}`, sink),
  };
}

/** A logger that drops everything, for tests and tools that print their own output. */
export const silentLogger: Logger = createLogger('error', 'silent', () => {});
