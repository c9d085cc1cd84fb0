// TLS settings shared by every listener (STARTTLS and direct TLS c2s, HTTPS, s2s), after Mozilla's
// server-side TLS guidelines (https://wiki.mozilla.org/Security/Server_Side_TLS, version 5.7):
// "intermediate" by default, for phones and desktops of the last several years; "modern" (TLS 1.3
// only) when every device is recent. Both are checked against testssl.sh in CI
// (test/server/tls-profile.test.ts).
import { constants } from 'node:crypto';
import { createSecureContext, type SecureContext, type SecureContextOptions, type Server as TlsServer } from 'node:tls';
import { TlsAlpnChallenges } from './tls-alpn-challenges.js';

export type TlsProfile = 'intermediate' | 'modern';

/** RFC 8446 §9.1 makes TLS_AES_128_GCM_SHA256 mandatory; the other two are Mozilla's choice. */
const tls13Suites = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'];

/** Forward-secret AEAD suites only: no CBC (Lucky13, BEAST), no RSA key exchange (ROBOT), no 3DES or RC4. */
const tls12Ciphers = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'DHE-RSA-AES128-GCM-SHA256',
  'DHE-RSA-AES256-GCM-SHA384',
  'DHE-RSA-CHACHA20-POLY1305',
];

interface ProfileSettings {
  minVersion: 'TLSv1.2' | 'TLSv1.3';
  /** OpenSSL's one list carries both the TLS 1.3 suites and the TLS 1.2 ciphers. */
  ciphers: string;
}

const profiles: Record<TlsProfile, ProfileSettings> = {
  intermediate: { minVersion: 'TLSv1.2', ciphers: [...tls13Suites, ...tls12Ciphers].join(':') },
  modern: { minVersion: 'TLSv1.3', ciphers: tls13Suites.join(':') },
};

export interface CertificatePair {
  cert: string | Buffer;
  key: string | Buffer;
}

export function secureContextOptions(pair: CertificatePair, profile: TlsProfile = 'intermediate'): SecureContextOptions {
  const settings = profiles[profile];
  return {
    cert: pair.cert,
    key: pair.key,
    minVersion: settings.minVersion,
    ciphers: settings.ciphers,
    // Mozilla's curves; X25519 first as clients prefer it.
    ecdhCurve: 'X25519:prime256v1:secp384r1',
    // The DHE suites use the RFC 7919 group matching the key's strength (ffdhe2048 for RSA 2048):
    // well-known parameters, never small or home-made ones (Logjam).
    dhparam: 'auto',
    honorCipherOrder: false, // every offered suite is strong; let clients without AES hardware pick ChaCha20
    // TLS 1.2 renegotiation serves no XMPP or HTTPS client, and client-initiated renegotiation
    // costs the server a handshake per request (a denial of service testssl.sh reports).
    // TLS 1.3 has none (RFC 8446 §4.6.3 replaces it with KeyUpdate).
    secureOptions: constants.SSL_OP_NO_RENEGOTIATION,
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

  constructor(
    private pair: CertificatePair,
    /** Mozilla's profile every listener uses (config tls.profile). */
    readonly profile: TlsProfile = 'intermediate',
  ) {
    this.context = createSecureContext(secureContextOptions(pair, profile));
  }

  get secureContext(): SecureContext {
    return this.context;
  }

  get options(): SecureContextOptions {
    return secureContextOptions(this.pair, this.profile);
  }

  replace(pair: CertificatePair): void {
    // Built first: a bad pair throws here and leaves everything as it was.
    const options = secureContextOptions(pair, this.profile);
    const context = createSecureContext(options);
    for (const server of this.servers) server.setSecureContext(options);
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
