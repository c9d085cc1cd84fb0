// ACME DNS-01 (RFC 8555 §8.4): a TXT record at _acme-challenge.<name> holding the base64url
// SHA-256 of the key authorization. Hearth shows it (or has a hook command create it at the DNS
// provider), then looks it up until it can be seen, and only then tells the authority to check:
// an authority that looks too early fails the order and counts it against the rate limit.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Resolver } from 'node:dns/promises';

export interface DnsRecord {
  name: string;
  value: string;
}

/** The record for a key authorization ("token.thumbprint", RFC 8555 §8.1). */
export function dns01Record(identifier: string, keyAuthorization: string): DnsRecord {
  return dns01RecordWithValue(identifier, createHash('sha256').update(keyAuthorization).digest('base64url'));
}

/** The record when the value is already the digest (acme-client hands DNS-01 challenges that). */
export function dns01RecordWithValue(identifier: string, value: string): DnsRecord {
  return { name: `_acme-challenge.${identifier.replace(/^\*\./, '')}`, value };
}

/** Whether the TXT record with this value can be seen, asking `resolvers` (host or host:port) or the system's. */
export async function txtRecordVisible(record: DnsRecord, resolvers: readonly string[] = []): Promise<boolean> {
  const resolver = new Resolver({ timeout: 3000, tries: 2 });
  if (resolvers.length > 0) resolver.setServers([...resolvers]);
  try {
    const answers = await resolver.resolveTxt(record.name);
    // Long TXT values arrive in 255-byte pieces (RFC 1035 §3.3.14): join them.
    return answers.some((pieces) => pieces.join('') === record.value);
  } catch {
    // No such name or record yet, or no answer: not visible (yet).
    return false;
  }
}

export interface WaitOptions {
  resolvers?: readonly string[] | undefined;
  timeoutMs: number;
  pollMs: number;
  signal: AbortSignal;
  /** After each look-up of the records still missing. */
  onCheck?: (visible: DnsRecord[]) => void;
}

/** Looks the records up until every one is visible (true), or until the wait ends or is cancelled (false). */
export async function waitForTxtRecords(records: readonly DnsRecord[], options: WaitOptions): Promise<boolean> {
  const deadline = Date.now() + options.timeoutMs;
  const visible = new Set<DnsRecord>();
  for (;;) {
    for (const record of records) {
      if (!visible.has(record) && (await txtRecordVisible(record, options.resolvers))) visible.add(record);
    }
    options.onCheck?.([...visible]);
    if (visible.size === records.length) return true;
    if (options.signal.aborted || Date.now() + options.pollMs > deadline) return false;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, options.pollMs);
      options.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      }, { once: true });
    });
  }
}

/**
 * Runs the DNS hook (acme.dnsHook): `<program> add|remove <record name> <value> <domain>`, with
 * the same in HEARTH_ACME_* variables. No shell is involved, so names and values cannot be
 * taken for commands.
 */
export function runDnsHook(program: string, action: 'add' | 'remove', record: DnsRecord, domain: string, timeoutMs = 120_000): Promise<{ ok: true } | { ok: false; error: string }> {
  return new Promise((resolve) => {
    let stderr = '';
    const child = spawn(program, [action, record.name, record.value, domain], {
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: timeoutMs,
      env: { ...process.env, HEARTH_ACME_ACTION: action, HEARTH_ACME_RECORD_NAME: record.name, HEARTH_ACME_RECORD_VALUE: record.value, HEARTH_ACME_DOMAIN: domain },
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 4000) stderr += chunk.toString();
    });
    child.once('error', (error: NodeJS.ErrnoException) => {
      resolve({ ok: false, error: `the DNS hook (acme.dnsHook: ${program}) cannot be run: ${error.code === 'ENOENT' ? 'there is no such program' : error.code === 'EACCES' ? 'it is not executable' : error.message}` });
    });
    child.once('close', (code, signal) => {
      if (code === 0) return resolve({ ok: true });
      const said = stderr.trim().split('\n').pop()?.slice(0, 300);
      const how = signal ? `was stopped (${signal}${signal === 'SIGTERM' ? ', it took too long' : ''})` : `failed with exit code ${code}`;
      resolve({ ok: false, error: `the DNS hook (acme.dnsHook) ${how} while trying to ${action} the TXT record ${record.name}${said ? `: ${said}` : ''}` });
    });
  });
}
