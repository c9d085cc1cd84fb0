// Dialing through Tor's SOCKS port (SOCKS5, RFC 1928, no authentication), as federation does for
// *.onion servers (federation.ts says when). The host name goes to tor as a name (ATYP 3), never
// resolved here: an onion address has no DNS, and a clearnet name resolved locally would leak.
import { connect, type Socket } from 'node:net';

export interface SocksTarget {
  /** Tor's SOCKS endpoint (TorService.socksEndpoint). */
  socks: { host: string; port: number };
  host: string;
  port: number;
  timeoutMs?: number;
}

/** RFC 1928 §6 replies, and tor's own for onion services (tor's socks-extensions.txt). */
const replies: Record<number, string> = {
  0x01: 'general SOCKS server failure',
  0x02: 'connection not allowed by ruleset',
  0x03: 'network unreachable',
  0x04: 'host unreachable',
  0x05: 'connection refused',
  0x06: 'TTL expired',
  0x07: 'command not supported',
  0x08: 'address type not supported',
  0xf0: 'onion service descriptor can not be found',
  0xf1: 'onion service descriptor is invalid',
  0xf2: 'onion service introduction failed',
  0xf3: 'onion service rendezvous failed',
  0xf4: 'onion service needs client authorization',
  0xf5: 'onion service client authorization is wrong',
  0xf6: 'onion address is invalid',
  0xf7: 'onion service introduction timed out',
};

export class SocksError extends Error {
  constructor(
    message: string,
    /** The SOCKS reply code, when the proxy answered with one. */
    readonly reply?: number,
  ) {
    super(message);
  }
}

/**
 * A TCP connection to host:port through the SOCKS5 proxy, ready for the protocol (XMPP, TLS),
 * paused: the caller resumes it once it listens. (In XMPP the dialing side speaks first, so
 * nothing from the far end is waiting then.)
 */
export function connectViaSocks(target: SocksTarget): Promise<Socket> {
  const name = Buffer.from(target.host, 'utf8');
  if (name.length === 0 || name.length > 255) return Promise.reject(new SocksError('the host name must be 1 to 255 bytes'));
  return new Promise((resolve, reject) => {
    const socket = connect({ host: target.socks.host, port: target.socks.port });
    let buffer = Buffer.alloc(0);
    let stage: 'greeting' | 'connect' | 'done' = 'greeting';
    const fail = (error: SocksError) => {
      if (stage === 'done') return;
      stage = 'done';
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    const timer = setTimeout(() => fail(new SocksError(`no answer through Tor from ${target.host} in time`)), target.timeoutMs ?? 60_000);
    socket.once('error', (error: NodeJS.ErrnoException) => fail(new SocksError(`cannot reach Tor's SOCKS port: ${error.code ?? error.message}`)));
    socket.once('close', () => fail(new SocksError("Tor's SOCKS port closed the connection")));
    socket.once('connect', () => socket.write(Buffer.from([0x05, 0x01, 0x00]))); // version 5, one method: no authentication
    const onData = (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (stage === 'greeting') {
        if (buffer.length < 2) return;
        if (buffer[0] !== 0x05 || buffer[1] !== 0x00) return fail(new SocksError('the SOCKS proxy wants an authentication Hearth does not offer'));
        buffer = buffer.subarray(2);
        stage = 'connect';
        const port = Buffer.alloc(2);
        port.writeUInt16BE(target.port);
        socket.write(Buffer.concat([Buffer.from([0x05, 0x01, 0x00, 0x03, name.length]), name, port]));
      }
      if (stage === 'connect') {
        if (buffer.length < 5) return;
        if (buffer[1] !== 0x00) return fail(new SocksError(`Tor could not connect to ${target.host}: ${replies[buffer[1]!] ?? `SOCKS reply ${buffer[1]}`}`, buffer[1]));
        // The bound address that follows: IPv4, a name, or IPv6, then the port.
        const addressLength = buffer[3] === 0x01 ? 4 : buffer[3] === 0x04 ? 16 : buffer[3] === 0x03 ? 1 + buffer[4]! : -1;
        if (addressLength < 0) return fail(new SocksError('the SOCKS proxy answered with an unknown address type'));
        const length = 4 + addressLength + 2;
        if (buffer.length < length) return;
        stage = 'done';
        clearTimeout(timer);
        socket.off('data', onData);
        socket.pause();
        socket.removeAllListeners('close');
        socket.removeAllListeners('error');
        // Whatever the far end sent right after belongs to the caller's protocol.
        const rest = buffer.subarray(length);
        if (rest.length > 0) socket.unshift(rest);
        resolve(socket);
      }
    };
    socket.on('data', onData);
  });
}
