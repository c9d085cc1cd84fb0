// Which chat apps accept a certificate, told plainly. Apps check the certificate like a browser:
// a public authority is accepted everywhere; a self-signed one (or one from a private authority)
// only by apps that let a person compare the fingerprint and pin it; iOS apps refuse both.
import type { CertificateTrust, ClientVerdict } from '../../control/contract.js';

interface CertificateFacts {
  trust: CertificateTrust;
  expired: boolean;
  /** The domain is among the certificate's names. */
  coversDomain: boolean;
}

const pinning = [
  { client: 'Conversations', platform: 'Android' },
  { client: 'Gajim', platform: 'Windows, Linux' },
  { client: 'Dino', platform: 'Linux' },
];
const strict = [
  { client: 'Monal', platform: 'iPhone, Mac' },
  { client: 'Siskin', platform: 'iPhone' },
];

export function clientVerdicts(facts: CertificateFacts): ClientVerdict[] {
  const all = [...pinning, ...strict];
  if (facts.expired) {
    return all.map((app) => ({ ...app, verdict: 'refuses' as const, note: 'The certificate has expired: apps refuse it until it is renewed.' }));
  }
  if (!facts.coversDomain) {
    return all.map((app) => ({ ...app, verdict: 'refuses' as const, note: 'The certificate is for another name than the server: apps refuse it.' }));
  }
  if (facts.trust === 'public') {
    return all.map((app) => ({ ...app, verdict: 'accepts' as const, note: 'Connects without asking anything.' }));
  }
  const what = facts.trust === 'self-signed' ? 'a self-signed certificate' : 'a certificate from an authority phones do not know';
  return [
    ...pinning.map((app) => ({
      ...app,
      verdict: 'asks' as const,
      note: `Shows ${what} once: compare its fingerprint with the one on this page, then accept it. Later connections are checked against it.`,
    })),
    ...strict.map((app) => ({
      ...app,
      verdict: 'refuses' as const,
      note:
        facts.trust === 'self-signed'
          ? 'Refuses self-signed certificates: it needs one from a public authority such as Let’s Encrypt.'
          : 'Refuses it unless that authority’s certificate is installed and trusted on the device; a public authority such as Let’s Encrypt just works.',
    })),
  ];
}
