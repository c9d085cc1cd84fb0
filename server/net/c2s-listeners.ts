// Client listeners: STARTTLS on ports.c2s (RFC 6120 §5) and direct TLS on ports.c2sTls
// (XEP-0368, ALPN "xmpp-client"). Each accepted connection becomes a transport for a session.
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { TcpTransport, type TcpTransportOptions } from './tcp-transport.js';
import type { TlsCredentials } from './tls.js';
import type { StreamTransport } from './transport.js';

export interface ListenerInfo {
  name: string;
  address: string;
  port: number;
}

export interface ListenOptions {
  /** '*' means every interface. */
  bind: string;
  port: number;
}

export function listenAddress(bind: string): string | undefined {
  return bind === '*' ? undefined : bind;
}

export async function listenStartTls(
  options: ListenOptions,
  credentials: TlsCredentials,
  streamOptions: TcpTransportOptions,
  onTransport: (transport: StreamTransport) => void,
): Promise<Server> {
  const server = createTcpServer((socket: Socket) => onTransport(new TcpTransport(socket, credentials, streamOptions)));
  return listen(server, options);
}

export async function listenDirectTls(
  options: ListenOptions,
  credentials: TlsCredentials,
  streamOptions: TcpTransportOptions,
  onTransport: (transport: StreamTransport) => void,
): Promise<Server> {
  const server = createTlsServer(
    { ...credentials.options, SNICallback: credentials.sniCallback, ALPNProtocols: ['xmpp-client'] },
    (socket) => onTransport(new TcpTransport(socket, credentials, streamOptions)),
  );
  // Handshake failures (scanners, old clients) are the client's problem, not ours to log.
  server.on('tlsClientError', (_error, socket) => socket.destroy());
  // Certificate renewal swaps the certificate in place; ACME TLS-ALPN-01 is answered here too.
  credentials.attach(server);
  return listen(server, options);
}

function listen(server: Server, options: ListenOptions): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: options.port, host: listenAddress(options.bind) }, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

export function describeListener(name: string, server: Server): ListenerInfo {
  const address = server.address();
  if (address === null || typeof address === 'string') return { name, address: String(address), port: 0 };
  return { name, address: address.address, port: address.port };
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
