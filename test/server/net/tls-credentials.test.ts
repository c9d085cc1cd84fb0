// TlsCredentials on real listeners: a replaced certificate is served to new handshakes at once
// (with and without SNI) while open connections keep going, and ACME's acme-tls/1 handshakes get
// the validation certificate only while a challenge is pending for that name.
import { X509Certificate } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import type { Server } from 'node:net';
import { connect, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeServer, listenDirectTls } from '../../../server/net/c2s-listeners.js';
import { HttpRoutes, listenHttps } from '../../../server/net/http-server.js';
import { TlsCredentials } from '../../../server/net/tls.js';
import type { StreamTransport } from '../../../server/net/transport.js';
import { generateSelfSigned } from '../../../server/services/certs/self-signed.js';
import { silentLogger } from '../../../server/util/log.js';

const streamOptions = { limits: { maxStanzaBytes: 100_000, maxDepth: 32, maxAttributes: 32 }, idleTimeoutMs: 60_000, bytesPerSecond: 0 };

function portOf(server: Server): number {
  return (server.address() as { port: number }).port;
}

interface Handshake {
  fingerprint: string;
  protocol: string | false | null;
  socket: TLSSocket;
}

function handshake(port: number, options: { servername?: string; ALPNProtocols?: string[] } = {}): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...options }, () => {
      resolve({ fingerprint: socket.getPeerX509Certificate()!.fingerprint256, protocol: socket.alpnProtocol, socket });
    });
    socket.once('error', reject);
  });
}

const fingerprintOf = (pem: string) => new X509Certificate(pem).fingerprint256;

describe('TlsCredentials on the direct-TLS and HTTPS listeners', () => {
  let first: { cert: string; key: string };
  let second: { cert: string; key: string };
  let challenge: { cert: string; key: string };
  let credentials: TlsCredentials;
  let direct: Server;
  let https: Server;
  const transports: StreamTransport[] = [];

  beforeAll(async () => {
    [first, second, challenge] = await Promise.all([generateSelfSigned('localhost', 30), generateSelfSigned('localhost', 60), generateSelfSigned('localhost', 1)]);
    credentials = new TlsCredentials(first);
    direct = await listenDirectTls({ bind: '127.0.0.1', port: 0 }, credentials, streamOptions, (t) => transports.push(t));
    const routes = new HttpRoutes(silentLogger);
    routes.add({ path: '/hello', handle: (_request, response) => void response.end('hello') });
    https = await listenHttps({ bind: '127.0.0.1', port: 0, log: silentLogger }, credentials, routes);
  });

  afterAll(async () => {
    for (const transport of transports) transport.close();
    await Promise.all([closeServer(direct), closeServer(https)]);
  });

  it('serves a replaced certificate to new handshakes, with and without SNI, while open connections keep going', async () => {
    const before = await handshake(portOf(direct), { servername: 'localhost' });
    expect(before.fingerprint).toBe(fingerprintOf(first.cert));

    credentials.replace(second);

    for (const port of [portOf(direct), portOf(https)]) {
      const withSni = await handshake(port, { servername: 'localhost' });
      const withoutSni = await handshake(port);
      expect(withSni.fingerprint).toBe(fingerprintOf(second.cert));
      expect(withoutSni.fingerprint).toBe(fingerprintOf(second.cert));
      withSni.socket.destroy();
      withoutSni.socket.destroy();
    }
    // The connection from before the change is still open and carries data.
    await new Promise<void>((resolve, reject) => before.socket.write('<?xml version="1.0"?>', (error) => (error ? reject(error) : resolve())));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(before.socket.destroyed).toBe(false);
    expect(before.fingerprint).toBe(fingerprintOf(first.cert));
    before.socket.destroy();
  });

  it('answers acme-tls/1 with the validation certificate only for a name with a pending challenge', async () => {
    credentials.alpnChallenges.set('localhost', challenge);
    try {
      for (const port of [portOf(direct), portOf(https)]) {
        const validation = await handshake(port, { servername: 'localhost', ALPNProtocols: ['acme-tls/1'] });
        expect(validation.fingerprint).toBe(fingerprintOf(challenge.cert));
        expect(validation.protocol).toBe('acme-tls/1');
        // RFC 8737 §3: nothing follows the handshake; the server ends the connection.
        await new Promise<void>((resolve) => validation.socket.once('close', () => resolve()).resume());

        const otherName = await handshake(port, { servername: 'example.org', ALPNProtocols: ['acme-tls/1', 'http/1.1', 'xmpp-client'] });
        expect(otherName.fingerprint).toBe(fingerprintOf(credentials.options.cert as string));
        otherName.socket.destroy();
      }
      // Ordinary clients are not affected while the challenge is pending.
      const body = await new Promise<string>((resolve, reject) => {
        const request = httpsRequest({ host: '127.0.0.1', port: portOf(https), path: '/hello', servername: 'localhost', rejectUnauthorized: false }, (response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString()));
          response.on('end', () => resolve(text));
        });
        request.on('error', reject);
        request.end();
      });
      expect(body).toBe('hello');
      const client = await handshake(portOf(direct), { servername: 'localhost', ALPNProtocols: ['xmpp-client'] });
      expect(client.fingerprint).toBe(fingerprintOf(second.cert));
      expect(client.protocol).toBe('xmpp-client');
      client.socket.destroy();
    } finally {
      credentials.alpnChallenges.delete('localhost');
    }
    const after = await handshake(portOf(https), { servername: 'localhost', ALPNProtocols: ['acme-tls/1', 'http/1.1'] });
    expect(after.fingerprint).toBe(fingerprintOf(second.cert));
    after.socket.destroy();
  });
});
