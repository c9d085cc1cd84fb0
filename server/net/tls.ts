// TLS settings shared by every listener: TLS 1.2 and up, forward-secret AEAD ciphers only
// (the Mozilla "intermediate" profile without DHE, which needs custom parameters).
import { createSecureContext, type SecureContext, type SecureContextOptions } from 'node:tls';

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

/** The certificates a server presents, replaceable at run time (renewal comes with the certificates issue). */
export class TlsCredentials {
  private context: SecureContext;

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
    this.context = createSecureContext(secureContextOptions(pair));
    this.pair = pair;
  }

  /** SNI: every name we serve shares one certificate for now. */
  sniCallback = (_servername: string, callback: (error: Error | null, context?: SecureContext) => void): void => {
    callback(null, this.context);
  };
}
