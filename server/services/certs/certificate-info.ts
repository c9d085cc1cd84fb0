// What a certificate says, read the way the Certificates page shows it: who issued it, the names
// it covers, its validity and its SHA-256 fingerprint, and whether phones trust its issuer.
import { X509Certificate } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import type { CertificateDetails, CertificateTrust } from '../../control/contract.js';

const pemBlock = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/** The PEM blocks in a text, with their labels ("CERTIFICATE", "PRIVATE KEY", ...), in order. */
export function pemBlocks(text: string): Array<{ label: string; pem: string }> {
  return [...text.matchAll(pemBlock)].map((match) => ({ label: match[1]!, pem: `${match[0]}\n` }));
}

/** The certificates of a PEM bundle, in order; blocks that are not certificates are left out. */
export function splitCertificates(text: string): string[] {
  return pemBlocks(text)
    .filter((block) => block.label === 'CERTIFICATE')
    .map((block) => block.pem);
}

/** The DNS names of a certificate's subjectAltName (RFC 5280 §4.2.1.6), lower-cased. */
export function dnsNames(certificate: X509Certificate): string[] {
  return (certificate.subjectAltName ?? '')
    .split(', ')
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice(4).toLowerCase());
}

/** Whether the certificate is valid for `name`, wildcards included (RFC 6125 §6.4.3). */
export function coversName(certificate: X509Certificate, name: string): boolean {
  return certificate.checkHost(name, { subject: 'never', wildcards: true, partialWildcards: false }) !== undefined;
}

/** "CN" and "O" of a distinguished name as Node prints it (one "KEY=value" per line). */
function nameParts(dn: string): Record<string, string> {
  const parts: Record<string, string> = {};
  for (const line of dn.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) parts[line.slice(0, at)] = line.slice(at + 1);
  }
  return parts;
}

function readableName(dn: string): string {
  const { CN, O } = nameParts(dn);
  if (CN && O && O !== CN) return `${CN} (${O})`;
  return CN ?? O ?? (dn.replace(/\n/g, ', ') || 'unknown');
}

/**
 * Issued by itself: the issuer is the subject, and its own key signed it. (Not checkIssued: a
 * server's self-signed certificate has no keyCertSign usage, which OpenSSL's check demands.)
 */
export function isSelfIssued(certificate: X509Certificate): boolean {
  return certificate.issuer === certificate.subject && certificate.verify(certificate.publicKey);
}

export function describeCertificate(chainPem: string): CertificateDetails {
  const chain = splitCertificates(chainPem);
  if (chain.length === 0) throw new Error('there is no certificate in that text');
  const leaf = new X509Certificate(chain[0]!);
  const names = dnsNames(leaf);
  return {
    subject: readableName(leaf.subject),
    issuer: isSelfIssued(leaf) ? `${names[0] ?? readableName(leaf.subject)} (self-signed)` : readableName(leaf.issuer),
    names,
    notBefore: Date.parse(leaf.validFrom),
    notAfter: Date.parse(leaf.validTo),
    fingerprintSha256: leaf.fingerprint256,
    serialNumber: leaf.serialNumber,
    chainLength: chain.length,
  };
}

/**
 * The authorities Node trusts by default (Mozilla's list): the ones phones trust too. Parsed
 * for each check and not kept: 144 parsed certificates hold about 1 MiB outside the JavaScript
 * heap, and a check runs once per certificate in use (issue 12).
 */
function trustedRoots(): X509Certificate[] {
  return rootCertificates.map((pem) => new X509Certificate(pem));
}

function issuedBy(child: X509Certificate, parent: X509Certificate): boolean {
  return child.checkIssued(parent) && child.verify(parent.publicKey);
}

/**
 * Public when the chain leads to an authority in Mozilla's list (what Android, iOS and desktop
 * systems ship too), self-signed when the certificate issued itself, private otherwise.
 */
export function certificateTrust(chainPem: string): CertificateTrust {
  const chain = splitCertificates(chainPem).map((pem) => new X509Certificate(pem));
  const leaf = chain[0];
  if (!leaf) return 'private';
  if (isSelfIssued(leaf)) return 'self-signed';
  const roots = trustedRoots();
  // Up the chain, link by link, until an authority on the list signed the current certificate.
  let current: X509Certificate | undefined = leaf;
  const seen = new Set<string>();
  while (current && !seen.has(current.fingerprint256)) {
    seen.add(current.fingerprint256);
    const child: X509Certificate = current;
    if (roots.some((root) => root.fingerprint256 === child.fingerprint256 || issuedBy(child, root))) return 'public';
    current = chain.find((candidate) => candidate !== child && issuedBy(child, candidate));
  }
  return 'private';
}
