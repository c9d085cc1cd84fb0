// Where other servers connect: ports.s2s with STARTTLS (RFC 6120 §5), and optionally
// ports.s2sTls with TLS from the first byte (XEP-0368, ALPN xmpp-server). Both ask for the
// connecting server's certificate, for SASL EXTERNAL.
import { createServer as createTcpServer, type Server } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { listenAddress } from '../net/c2s-listeners.js';
import { TcpTransport, type TcpTransportOptions } from '../net/tcp-transport.js';
import type { TlsCredentials } from '../net/tls.js';
import type { S2sTls } from './tls-contexts.js';

export interface S2sListenOptions {
  bind: string;
  port: number;
  credentials: TlsCredentials;
  tls: S2sTls;
  streamOptions: TcpTransportOptions;
  onTransport(transport: TcpTransport): void;
}

export function listenS2s(options: S2sListenOptions): Promise<Server> {
  const streamOptions = { ...options.streamOptions, tlsUpgrade: options.tls.serverUpgrade };
  const server = createTcpServer((socket) => options.onTransport(new TcpTransport(socket, options.credentials, streamOptions)));
  return listen(server, options.bind, options.port);
}

export function listenS2sDirectTls(options: S2sListenOptions): Promise<Server> {
  const server = createTlsServer(options.tls.serverOptions(), (socket) => options.onTransport(new TcpTransport(socket, options.credentials, options.streamOptions)));
  // A failed handshake is the connecting side's problem (and its address is not ours to log).
  server.on('tlsClientError', (_error, socket) => socket.destroy());
  return listen(server, options.bind, options.port);
}

function listen(server: Server, bind: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host: listenAddress(bind) }, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
