// Checks a certificate, its key and its chain before Hearth uses them (import, and ACME's result):
// the key belongs to the certificate, the chain is in order (the server's certificate first, then
// each authority that signed the one before, RFC 8446 §4.4.2), the domain is among its names, and
// it is valid today. Every refusal is a sentence that says what to do.
import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { certificateTrust, coversName, dnsNames, isSelfIssued, pemBlocks, splitCertificates } from './certificate-info.js';

export interface BundleInput {
  /** The certificate in PEM, possibly followed by its chain. */
  certificate: string;
  key: string;
  /** The chain, when it comes separately. */
  chain?: string | undefined;
}

export interface BundleRequirements {
  domain: string;
  /** Names the certificate should cover too (conference., upload., proxy.); missing ones are noted, not refused. */
  serviceNames: readonly string[];
  now: number;
}

export interface ValidBundle {
  /** The server's certificate first, then its chain, in PEM. */
  certificatePem: string;
  /** The private key in PKCS #8 PEM. */
  keyPem: string;
  notes: string[];
  notAfter: number;
}

export type BundleResult = { ok: true; bundle: ValidBundle } | { ok: false; error: string };

const fail = (error: string): { ok: false; error: string } => ({ ok: false, error });
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const ordinal = (index: number) => ['first', 'second', 'third', 'fourth', 'fifth'][index] ?? `${index + 1}th`;

export function validateBundle(input: BundleInput, requirements: BundleRequirements): BundleResult {
  const key = readKey(input.key);
  if (!key.ok) return key;

  const texts = [input.certificate, input.chain ?? ''];
  const pems = texts.flatMap((text) => splitCertificates(text));
  if (pems.length === 0) {
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(input.certificate)) {
      return fail('the certificate field holds a private key: put the key in the key field, and the certificate (-----BEGIN CERTIFICATE-----) in this one');
    }
    return fail('that is not a certificate in PEM form: it should start with -----BEGIN CERTIFICATE----- (a .crt or .pem file; .der and .pfx files need converting first)');
  }
  const certificates: X509Certificate[] = [];
  for (const [index, pem] of pems.entries()) {
    try {
      const certificate = new X509Certificate(pem);
      // The same certificate twice (pasted with the chain and in it) is no problem.
      if (!certificates.some((c) => c.fingerprint256 === certificate.fingerprint256)) certificates.push(certificate);
    } catch {
      return fail(`the ${ordinal(index)} certificate cannot be read: it is damaged, or only part of it was copied`);
    }
  }

  const publicKey = spki(key.key);
  const leaf = certificates.find((certificate) => spki(certificate.publicKey).equals(publicKey));
  if (!leaf) {
    return fail(
      'the private key does not belong to this certificate: choose the key that was made together with it (for Let’s Encrypt, privkey.pem from the same folder as fullchain.pem)',
    );
  }
  if (leaf.ca) return fail('this is the certificate of an authority, not of a server: choose the certificate issued for your domain');

  // The chain, link by link from the server's certificate up.
  const chain = [leaf];
  for (;;) {
    const current = chain[chain.length - 1]!;
    if (isSelfIssued(current)) break;
    const issuer = certificates.find((candidate) => !chain.includes(candidate) && current.checkIssued(candidate) && current.verify(candidate.publicKey));
    if (!issuer) break;
    chain.push(issuer);
  }
  const stray = certificates.find((certificate) => !chain.includes(certificate));
  if (stray) {
    return fail(
      `the ${ordinal(certificates.indexOf(stray))} certificate (${commonName(stray)}) does not belong to this certificate's chain: it signed neither it nor an authority above it. Remove it, or use the chain file that came with the certificate`,
    );
  }
  const notes: string[] = [];
  if (chain.some((certificate, index) => certificates[index] !== certificate)) {
    notes.push('The certificates were put in the right order: the server’s own first, then each authority that signed the one before.');
  }

  const notBefore = Date.parse(leaf.validFrom);
  const notAfter = Date.parse(leaf.validTo);
  if (requirements.now > notAfter) return fail(`this certificate expired on ${day(notAfter)}: get a new one from its authority (or ask Let’s Encrypt on this page)`);
  if (requirements.now < notBefore) return fail(`this certificate is only valid from ${day(notBefore)}: check this computer's date and time, or try again then`);
  for (const authority of chain.slice(1)) {
    const until = Date.parse(authority.validTo);
    if (requirements.now > until) return fail(`the authority certificate “${commonName(authority)}” in the chain expired on ${day(until)}: use the current chain from your certificate authority`);
  }

  const { domain } = requirements;
  if (!coversName(leaf, domain)) {
    const names = dnsNames(leaf);
    return fail(
      names.length === 0
        ? `this certificate names no domain at all: it must name ${domain}, the server's domain`
        : `this certificate is for ${names.join(', ')}, not for ${domain}: it must name ${domain}, the server's domain`,
    );
  }
  const missing = requirements.serviceNames.filter((name) => !coversName(leaf, name));
  if (missing.length > 0) {
    notes.push(`It does not cover ${missing.join(', ')}: other servers cannot check those services (group chats, file upload) when federating. Apps on this server are not affected.`);
  }
  const top = chain[chain.length - 1]!;
  const fullchain = chain.map((certificate) => certificate.toString()).join('');
  if (!isSelfIssued(top) && certificateTrust(fullchain) !== 'public') {
    notes.push(
      `The certificate of the authority that signed “${commonName(top)}” is not included: apps that do not know it already will refuse the certificate. Add the chain (for Let’s Encrypt, use fullchain.pem).`,
    );
  }
  const keyPem = key.key.export({ type: 'pkcs8', format: 'pem' }).toString();
  return { ok: true, bundle: { certificatePem: fullchain, keyPem, notes, notAfter } };
}

function readKey(text: string): { ok: true; key: KeyObject } | { ok: false; error: string } {
  const blocks = pemBlocks(text).filter((block) => block.label.endsWith('PRIVATE KEY'));
  if (blocks.some((block) => block.label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type: *4,ENCRYPTED/.test(block.pem))) {
    return fail('the private key is protected by a passphrase: Hearth needs it without one (openssl pkey -in key.pem -out plain-key.pem removes it)');
  }
  if (blocks.length === 0) {
    if (/-----BEGIN CERTIFICATE-----/.test(text)) return fail('the key field holds a certificate, not a private key: choose the key file (often privkey.pem or a .key file)');
    return fail('that is not a private key in PEM form: it should start with -----BEGIN PRIVATE KEY----- (or BEGIN EC PRIVATE KEY, BEGIN RSA PRIVATE KEY)');
  }
  if (blocks.length > 1) return fail(`the key field holds ${blocks.length} private keys: keep only the one that belongs to the certificate`);
  let key: KeyObject;
  try {
    key = createPrivateKey(blocks[0]!.pem);
  } catch {
    return fail('the private key cannot be read: it is damaged, or only part of it was copied');
  }
  if (key.asymmetricKeyType === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < 2048) return fail(`the key is an RSA key of ${bits} bits, which is too weak: use at least 2048 bits`);
  } else if (key.asymmetricKeyType !== 'ec') {
    return fail(`the key is of type ${key.asymmetricKeyType ?? 'unknown'}, which most chat apps do not understand: use an RSA or ECDSA (P-256) key`);
  }
  return { ok: true, key };
}

/** The public key in DER SubjectPublicKeyInfo: equal for a certificate and its own private key. */
function spki(key: KeyObject): Buffer {
  return (key.type === 'private' ? createPublicKey(key) : key).export({ type: 'spki', format: 'der' });
}

function commonName(certificate: X509Certificate): string {
  const line = certificate.subject.split('\n').find((part) => part.startsWith('CN='));
  return line ? line.slice(3) : certificate.subject.replace(/\n/g, ', ');
}
