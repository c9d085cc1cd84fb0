// What holds Hearth's memory back (issue 12): the RSS of plain Node holding the same number of
// TLS connections as the idle scenario's sessions (bench/tls-floor-process.ts), measured in the
// same run. Hearth's RSS minus this floor is what Hearth itself costs; the floor is Node's
// binary, V8 and OpenSSL's state per connection, which no XMPP code of ours can lower.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect as connectTcp } from 'node:net';
import { connect, type TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { serverNodeFlags } from '../../server/node-flags.js';
import { readProcessUsage } from '../process-usage.js';
import { kibPerSession } from './idle.js';
import { inParallel, sleep } from './context.js';

export interface TlsFloorOptions {
  certFile: string;
  keyFile: string;
  ca: Buffer;
  /** Connection counts to read the RSS at, as the idle scenario's session counts. */
  sizes: readonly number[];
  localAddresses: readonly string[];
  settleMs: number;
}

/** Figures floor.rss.<count> (MiB) and floor.kibPerConnection. */
export async function measureTlsFloor(options: TlsFloorOptions): Promise<Record<string, number>> {
  const entry = fileURLToPath(new URL('../tls-floor-process.js', import.meta.url));
  if (!existsSync(entry)) throw new Error(`${entry} is missing: build the benchmark first (tsc -p bench/tsconfig.json)`);
  const child = spawn(process.execPath, [...serverNodeFlags, entry, options.certFile, options.keyFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  const sockets: TLSSocket[] = [];
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const ready = /ready (\d+)/.exec(out);
        if (ready) resolve(Number(ready[1]));
      });
      child.once('exit', (code) => reject(new Error(`the TLS floor process exited with ${code}`)));
    });
    const figures: Record<string, number> = {};
    const readings: Array<{ sessions: number; rssKiB: number }> = [];
    for (const size of [...options.sizes].sort((a, b) => a - b)) {
      const more = Array.from({ length: size - sockets.length }, (_, i) => sockets.length + i);
      sockets.push(...(await inParallel(more, 50, (n) => openConnection(port, options.ca, options.localAddresses[n % options.localAddresses.length]!))));
      await sleep(options.settleMs);
      const rssKiB = readProcessUsage(child.pid!).rssKiB;
      readings.push({ sessions: size, rssKiB });
      figures[`floor.rss.${size}`] = rssKiB / 1024;
    }
    figures['floor.kibPerConnection'] = kibPerSession(readings);
    return figures;
  } finally {
    for (const socket of sockets) socket.destroy();
    child.kill('SIGTERM');
  }
}

/** A TLS connection that has finished its handshake and had one stanza-sized write echoed. */
function openConnection(port: number, ca: Buffer, localAddress: string): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    // TCP from the given source address first (tls.connect has no localAddress), then TLS on it.
    const tcp = connectTcp({ host: '127.0.0.1', port, localAddress });
    tcp.once('error', reject);
    const socket = connect({ socket: tcp, ca, servername: 'localhost' }, () => {
      socket.write("<presence xmlns='jabber:client'/>");
      socket.once('data', () => resolve(socket));
    });
    socket.once('error', reject);
  });
}
