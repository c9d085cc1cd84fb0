// Tor's bootstrap status as the control port reports it (control-spec §5.4 "status/bootstrap-phase"
// and the STATUS_CLIENT BOOTSTRAP event, §4.1.10):
//   NOTICE BOOTSTRAP PROGRESS=5 TAG=conn SUMMARY="Connecting to a relay"
//   WARN BOOTSTRAP PROGRESS=5 TAG=conn SUMMARY="Connecting to a relay" WARNING="Connection refused" REASON=CONNECTREFUSED COUNT=3 RECOMMENDATION=ignore HOSTADDR=...
// HOSTADDR (a relay's IP address) is never kept: logs and status carry no IP addresses.

export interface BootstrapPhase {
  /** 0 to 100; 100 means tor is connected to the Tor network. */
  progress: number;
  tag: string;
  summary: string;
  /** Why tor is stuck, when it says so (a WARN event): "Connection refused", "No route to host". */
  warning?: string;
}

/** `KEY=value` and `KEY="quoted \"value\""` arguments, keyed by name; bare words are skipped. */
export function parseKeywords(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  const pattern = /([A-Za-z_][A-Za-z0-9_]*)=(?:"((?:[^"\\]|\\.)*)"|(\S*))/g;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    result[match[1]!.toUpperCase()] = match[2] !== undefined ? unescapeQuoted(match[2]) : match[3]!;
  }
  return result;
}

function unescapeQuoted(value: string): string {
  return value.replace(/\\(.)/g, (_, char: string) => (char === 'n' ? '\n' : char === 't' ? '\t' : char === 'r' ? '\r' : char));
}

/**
 * The phase in a `status/bootstrap-phase` value or in a `STATUS_CLIENT` event line (with or
 * without the leading "STATUS_CLIENT"); undefined for any other status event.
 */
export function parseBootstrapPhase(text: string): BootstrapPhase | undefined {
  const words = text.trim().split(/\s+/);
  const start = words[0] === 'STATUS_CLIENT' ? 1 : 0;
  if (words[start + 1] !== 'BOOTSTRAP') return undefined;
  const keywords = parseKeywords(text);
  const progress = Number(keywords.PROGRESS);
  if (!Number.isFinite(progress)) return undefined;
  const phase: BootstrapPhase = { progress: Math.max(0, Math.min(100, progress)), tag: keywords.TAG ?? '', summary: keywords.SUMMARY ?? '' };
  if (words[start] !== 'NOTICE' && keywords.WARNING) phase.warning = keywords.WARNING;
  return phase;
}
