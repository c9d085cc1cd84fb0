// ACME TLS-ALPN-01 (RFC 8737) on the ports that speak TLS from the first byte (direct-TLS c2s
// and HTTPS). While a challenge for a name is pending, a handshake that offers the "acme-tls/1"
// protocol for that name gets the validation certificate instead of the server's own
// (RFC 8737 §3), and the connection ends right after it (nothing else is spoken on it).
//
// The TLS library picks the certificate before it looks at ALPN, so the choice is made by
// reading the ClientHello first and handing the socket on afterwards. With no challenge pending
// (nearly always) connections go straight to the listener, untouched.
import type { Socket } from 'node:net';
import { createSecureContext, TLSSocket, type SecureContext, type Server as TlsServer } from 'node:tls';
import { firstRecordLength, looksLikeTlsHandshake, parseClientHello } from './client-hello.js';
import { secureContextOptions, type CertificatePair } from './tls.js';

export const acmeTlsAlpnProtocol = 'acme-tls/1';

/** A client that sends nothing for this long is handed on; real clients speak at once. */
const clientHelloWaitMs = 5000;
/** A TLS record is at most 2^14 bytes plus its header (RFC 8446 §5.1). */
const maxRecordBytes = 16_384 + 5;

export class TlsAlpnChallenges {
  private readonly contexts = new Map<string, SecureContext>();

  /** Answers acme-tls/1 for `name` with this validation certificate until `delete(name)`. */
  set(name: string, pair: CertificatePair): void {
    this.contexts.set(name.toLowerCase(), createSecureContext(secureContextOptions(pair)));
  }

  delete(name: string): void {
    this.contexts.delete(name.toLowerCase());
  }

  get pending(): number {
    return this.contexts.size;
  }

  /** Puts this in front of a TLS server's handshakes. */
  intercept(server: TlsServer): void {
    // A TLS server has exactly one 'connection' listener: the one that starts the handshake.
    const listeners = server.listeners('connection');
    if (listeners.length !== 1) throw new Error(`cannot answer ACME TLS-ALPN-01 challenges on this server: it has ${listeners.length} connection listeners`);
    const startHandshake = listeners[0] as (this: TlsServer, socket: Socket) => void;
    server.removeListener('connection', startHandshake);
    server.on('connection', (socket: Socket) => {
      if (this.contexts.size === 0) return startHandshake.call(server, socket);
      void readFirstRecord(socket).then((record) => {
        if (socket.destroyed) return;
        if (record.length > 0) socket.unshift(record);
        const hello = parseClientHello(record);
        const context = hello?.alpnProtocols.includes(acmeTlsAlpnProtocol) && hello.serverName ? this.contexts.get(hello.serverName) : undefined;
        if (context) answerChallenge(socket, context);
        else startHandshake.call(server, socket);
      });
    });
  }
}

/** The validation handshake: acme-tls/1 with the challenge certificate, then the connection ends. */
function answerChallenge(socket: Socket, context: SecureContext): void {
  const tls = new TLSSocket(socket, { isServer: true, secureContext: context, ALPNProtocols: [acmeTlsAlpnProtocol] });
  tls.setTimeout(10_000, () => tls.destroy());
  tls.on('error', () => tls.destroy());
  tls.once('secure', () => tls.end());
}

/** The bytes of the first TLS record (or whatever arrived before the client stopped or the wait ended). */
function readFirstRecord(socket: Socket): Promise<Buffer> {
  return new Promise((resolve) => {
    let received = Buffer.alloc(0);
    const done = () => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', done);
      socket.off('error', done);
      socket.pause();
      resolve(received);
    };
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const needed = firstRecordLength(received);
      if (!looksLikeTlsHandshake(received) || (needed !== undefined && received.length >= needed) || received.length >= maxRecordBytes) done();
    };
    const timer = setTimeout(done, clientHelloWaitMs);
    socket.on('data', onData);
    socket.once('end', done);
    socket.once('error', done);
  });
}
