// TLS for server-to-server streams. Both sides present this server's certificate (the credentials
// main.ts holds, which certificate renewal replaces at run time) and both check the peer's: as a
// TLS client we verify the server we dialled; as a TLS server we ask the connecting server for its
// certificate (requestCert) so that SASL EXTERNAL can rely on it (XEP-0178 §3). Verification never
// aborts the handshake here (rejectUnauthorized: false): certificate-check.ts decides, so that a
// refusal can say why and s2s.insecureDomains can make exceptions.
import { readFileSync } from 'node:fs';
import { isIP, type Socket } from 'node:net';
import { connect, createSecureContext, createServer, rootCertificates, type SecureContext, type TLSSocket, type TlsOptions } from 'node:tls';
import { domainToASCII } from 'node:url';
import type { TlsUpgrade } from '../net/tcp-transport.js';
import type { TlsCredentials } from '../net/tls.js';

/** XEP-0368 §3: the ALPN protocol of direct TLS server-to-server connections. */
export const s2sAlpn = 'xmpp-server';

export class S2sTls {
  /** The trusted authorities; undefined keeps Node's default store (which NODE_EXTRA_CA_CERTS extends). */
  private readonly ca: string[] | undefined;
  private cached: { source: SecureContext; context: SecureContext } | undefined;

  constructor(
    private readonly credentials: TlsCredentials,
    caFile: string | undefined,
  ) {
    this.ca = caFile === undefined ? undefined : [...rootCertificates, readCaFile(caFile)];
  }

  /** Our certificate and key with the trusted authorities, rebuilt when the credentials change. */
  context(): SecureContext {
    const source = this.credentials.secureContext;
    if (this.cached?.source !== source) {
      this.cached = { source, context: createSecureContext({ ...this.credentials.options, ...(this.ca ? { ca: this.ca } : {}) }) };
    }
    return this.cached.context;
  }

  /**
   * Incoming STARTTLS (RFC 6120 §5.4.3.3): the server side, asking for the peer's certificate.
   * Only a tls.Server works out whether a client certificate is trusted (socket.authorized), so the
   * connection is handed to one made for it, which never listens on a port.
   */
  readonly serverUpgrade: TlsUpgrade = (plain) => {
    const server = createServer(this.serverOptions());
    return new Promise<TLSSocket>((resolve, reject) => {
      server.once('secureConnection', resolve);
      server.once('tlsClientError', reject);
      plain.once('close', () => reject(new Error('the connection closed during the TLS handshake')));
      server.emit('connection', plain);
    });
  };

  /** Options for the direct TLS listener and incoming STARTTLS: a tls.Server needs the certificate itself for clients without SNI. */
  serverOptions(): TlsOptions {
    return {
      ...this.credentials.options,
      ...(this.ca ? { ca: this.ca } : {}),
      SNICallback: (_name: string, callback: (error: Error | null, context?: SecureContext) => void) => callback(null, this.context()),
      requestCert: true,
      rejectUnauthorized: false,
      ALPNProtocols: [s2sAlpn],
    };
  }

  /** Outgoing STARTTLS to `domain`: the client side, with SNI for the domain (RFC 6120 §13.7.1.2). */
  clientUpgrade(domain: string): TlsUpgrade {
    return (plain) => secureConnect(connect({ socket: plain, ...this.clientOptions(domain) }));
  }

  /** Outgoing direct TLS (XEP-0368) over an open TCP connection. */
  connectDirect(plain: Socket, domain: string): Promise<TLSSocket> {
    return secureConnect(connect({ socket: plain, ...this.clientOptions(domain), ALPNProtocols: [s2sAlpn] }));
  }

  private clientOptions(domain: string) {
    const servername = isIP(domain) === 0 ? domainToASCII(domain) : undefined;
    // Node's own name check is skipped (it knows neither SRV-IDs nor XmppAddr): certificate-check.ts does it.
    return { secureContext: this.context(), rejectUnauthorized: false, checkServerIdentity: () => undefined, ...(servername ? { servername } : {}) };
  }
}

function secureConnect(socket: TLSSocket): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      socket.destroy();
      reject(error);
    };
    socket.once('error', onError);
    socket.once('secureConnect', () => {
      socket.off('error', onError);
      resolve(socket);
    });
    socket.once('close', () => reject(new Error('the connection closed during the TLS handshake')));
  });
}

function readCaFile(file: string): string {
  try {
    const pem = readFileSync(file, 'utf8');
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no PEM certificate in it');
    return pem;
  } catch (error) {
    throw new Error(`s2s.caFile: cannot read ${file}: ${(error as Error).message}`);
  }
}
