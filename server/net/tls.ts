// TLS settings shared by every listener: TLS 1.2 and up, forward-secret AEAD ciphers only
// (the Mozilla "intermediate" profile without DHE, which needs custom parameters).
import { createSecureContext, type SecureContext, type SecureContextOptions, type Server as TlsServer } from 'node:tls';
import { TlsAlpnChallenges } from './tls-alpn-challenges.js';

const tls12Ciphers = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

export interface CertificatePair {
  cert: string | Buffer;
  key: string | Buffer;
}

export function secureContextOptions(pair: CertificatePair): SecureContextOptions {
  return {
    cert: pair.cert,
    key: pair.key,
    minVersion: 'TLSv1.2',
    ciphers: tls12Ciphers,
    honorCipherOrder: false, // every offered suite is strong; let clients without AES hardware pick ChaCha20
  };
}

/**
 * The certificates a server presents, replaceable at run time: `replace()` swaps them in place for
 * every listener (new handshakes get the new certificate, open connections keep going).
 */
export class TlsCredentials {
  private context: SecureContext;
  private readonly servers = new Set<TlsServer>();
  private readonly replaceListeners = new Set<(pair: CertificatePair) => void>();
  /** ACME TLS-ALPN-01 validation certificates, answered on every attached server. */
  readonly alpnChallenges = new TlsAlpnChallenges();

  constructor(private pair: CertificatePair) {
    this.context = createSecureContext(secureContextOptions(pair));
  }

  get secureContext(): SecureContext {
    return this.context;
  }

  get options(): SecureContextOptions {
    return secureContextOptions(this.pair);
  }

  replace(pair: CertificatePair): void {
    // Built first: a bad pair throws here and leaves everything as it was.
    const context = createSecureContext(secureContextOptions(pair));
    for (const server of this.servers) server.setSecureContext(secureContextOptions(pair));
    this.context = context;
    this.pair = pair;
    for (const listener of [...this.replaceListeners]) listener(pair);
  }

  /**
   * A TLS server (direct TLS, HTTPS, s2s) that presents these credentials: `replace()` updates its
   * default context too (clients without SNI), and it answers ACME TLS-ALPN-01 challenges.
   */
  attach(server: TlsServer): void {
    this.servers.add(server);
    server.once('close', () => this.servers.delete(server));
    this.alpnChallenges.intercept(server);
  }

  /** Called after every `replace()`; returns the unsubscribe. */
  onReplace(listener: (pair: CertificatePair) => void): () => void {
    this.replaceListeners.add(listener);
    return () => this.replaceListeners.delete(listener);
  }

  /** SNI: every name we serve shares one certificate for now. */
  sniCallback = (_servername: string, callback: (error: Error | null, context?: SecureContext) => void): void => {
    callback(null, this.context);
  };
}
