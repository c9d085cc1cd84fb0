// ACME TLS-ALPN-01 (RFC 8737): the authority opens TLS to <name> on port 443 offering only the
// "acme-tls/1" protocol and expects a self-signed certificate for that name alone, with the
// critical acmeIdentifier extension holding the SHA-256 of the key authorization (§3). The
// listeners answer it through TlsCredentials.alpnChallenges (server/net/tls-alpn-challenges.ts).
import type { CertificatePair } from '../../../net/tls.js';
import { loadAcmeClient, type AcmeClient } from './acme-client.js';

export async function tlsAlpnValidationCertificate(identifier: string, keyAuthorization: string): Promise<CertificatePair> {
  const acme = await loadAcmeClient();
  const key = await acme.crypto.createPrivateEcdsaKey('P-256');
  const authorization = { identifier: { type: 'dns', value: identifier } } as unknown as AcmeClient.Authorization;
  const [, cert] = await acme.crypto.createAlpnCertificate(authorization, keyAuthorization, key);
  return { cert: cert.toString(), key: key.toString() };
}
