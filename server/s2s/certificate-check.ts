// Is the other server's certificate good enough? RFC 7590 §3.2 and RFC 6120 §13.7.2: the chain
// must lead to an authority we trust (the public ones, plus s2s.caFile) and be in date, and the
// certificate must name the server's domain (certificate-identity.ts). OpenSSL checks the chain
// during the handshake (sockets are made with rejectUnauthorized: false so that a failure can be
// explained and the allow-list applied); the name is checked here.
import type { TLSSocket } from 'node:tls';
import { certificateNamesServer, certificateServerNames } from './certificate-identity.js';

export type CertificateProblem = 'missing' | 'self-signed' | 'expired' | 'not-yet-valid' | 'untrusted' | 'wrong-name' | 'unusable';

export type CertificateVerdict = { valid: true } | { valid: false; problem: CertificateProblem; text: string };

/** OpenSSL's verification results (as Node names them) and what they mean for an admin. */
const chainProblems: Record<string, { problem: CertificateProblem; text: string }> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: { problem: 'self-signed', text: 'its certificate is self-signed' },
  SELF_SIGNED_CERT_IN_CHAIN: { problem: 'self-signed', text: 'its certificate was issued by a self-signed authority nobody here trusts' },
  CERT_HAS_EXPIRED: { problem: 'expired', text: 'its certificate has expired' },
  CERT_NOT_YET_VALID: { problem: 'not-yet-valid', text: 'its certificate is not valid yet' },
  UNABLE_TO_GET_ISSUER_CERT: { problem: 'untrusted', text: 'its certificate was not issued by a trusted authority' },
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: { problem: 'untrusted', text: 'its certificate was not issued by a trusted authority' },
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: { problem: 'untrusted', text: 'its certificate was not issued by a trusted authority' },
  CERT_UNTRUSTED: { problem: 'untrusted', text: 'its certificate was not issued by a trusted authority' },
  CERT_REVOKED: { problem: 'untrusted', text: 'its certificate was revoked' },
  INVALID_PURPOSE: { problem: 'unusable', text: 'its certificate is not meant for this use (extended key usage)' },
};

/** The verdict on the certificate the peer presented on `socket`, for the server `domain`. */
export function checkPeerCertificate(socket: TLSSocket, domain: string): CertificateVerdict {
  const certificate = socket.getPeerX509Certificate();
  if (!certificate) return { valid: false, problem: 'missing', text: 'it presented no certificate' };
  if (!socket.authorized) {
    const code = String(socket.authorizationError ?? '');
    return { valid: false, ...(chainProblems[code] ?? { problem: 'untrusted', text: `its certificate could not be verified (${code || 'unknown reason'})` }) };
  }
  if (!certificateNamesServer(certificate, domain)) {
    const names = certificateServerNames(certificate);
    return { valid: false, problem: 'wrong-name', text: `its certificate is for ${names.length > 0 ? names.slice(0, 5).join(', ') : 'no server name'}, not ${domain}` };
  }
  return { valid: true };
}
