// Happy Eyeballs (RFC 8305): connect over IPv6 and IPv4 without waiting for a broken family to
// time out. Addresses alternate between the families, IPv6 first (§4); a new attempt starts when
// the previous one fails or after the connection attempt delay (§5, 250 ms), and the first
// connection to succeed wins while the others are dropped.
import { connect, type Socket } from 'node:net';
import type { ResolvedAddress } from './resolver.js';

export interface HappyEyeballsOptions {
  /** §5: how long an attempt runs alone before the next one starts. */
  attemptDelayMs?: number;
  /** How long one attempt may take before it counts as failed. */
  attemptTimeoutMs: number;
  /** Aborting stops every attempt. */
  signal?: AbortSignal;
}

/** §4: the address list with the families interleaved, starting with IPv6. */
export function interleaveFamilies(addresses: ResolvedAddress[]): ResolvedAddress[] {
  const v6 = addresses.filter((a) => a.family === 6);
  const v4 = addresses.filter((a) => a.family === 4);
  const ordered: ResolvedAddress[] = [];
  for (let i = 0; i < Math.max(v6.length, v4.length); i++) {
    if (i < v6.length) ordered.push(v6[i]!);
    if (i < v4.length) ordered.push(v4[i]!);
  }
  return ordered;
}

export function connectHappyEyeballs(addresses: ResolvedAddress[], port: number, options: HappyEyeballsOptions): Promise<Socket> {
  const ordered = interleaveFamilies(addresses);
  const attemptDelayMs = options.attemptDelayMs ?? 250;
  return new Promise((resolve, reject) => {
    const active = new Set<Socket>();
    let next = 0;
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    let lastError: Error = new Error('no address to connect to');

    const finish = (winner?: Socket, error?: Error) => {
      done = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      for (const socket of active) if (socket !== winner) socket.destroy();
      active.clear();
      if (winner) resolve(winner);
      else reject(error ?? lastError);
    };
    const onAbort = () => finish(undefined, new Error('the connection attempt was abandoned'));

    const startNext = () => {
      clearTimeout(timer);
      if (done) return;
      if (next >= ordered.length) {
        if (active.size === 0) finish();
        return;
      }
      const { address } = ordered[next++]!;
      const socket = connect({ host: address, port });
      active.add(socket);
      socket.setTimeout(options.attemptTimeoutMs, () => socket.destroy(new Error(`no answer within ${options.attemptTimeoutMs} ms`)));
      socket.once('connect', () => {
        if (done) return socket.destroy();
        socket.setTimeout(0);
        socket.removeAllListeners('timeout');
        finish(socket);
      });
      // Stays attached to the winner too (ignored then), so an early error never goes unheard.
      socket.once('error', (error) => {
        if (done) return;
        active.delete(socket);
        lastError = error;
        startNext();
      });
      timer = setTimeout(startNext, attemptDelayMs);
    };

    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort);
    startNext();
  });
}
