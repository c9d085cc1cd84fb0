// Which names a server certificate is good for (RFC 6125 §6 as RFC 6120 §13.7.1.2 and RFC 7590
// use it). The fixtures are self-signed certificates made once with openssl, e.g.
//   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 36500 \
//     -subj /CN=cn-ignored.example -addext 'subjectAltName=otherName:1.3.6.1.5.5.7.8.5;UTF8:XMPP-Only.example'
// (1.3.6.1.5.5.7.8.5 is id-on-xmppAddr, 1.3.6.1.5.5.7.8.7 id-on-dnsSRV); chains are not checked here.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { certificateNamesServer, certificateServerNames, subjectAltNames } from '../../../server/s2s/certificate-identity.js';

const fixture = (name: string) => new X509Certificate(readFileSync(new URL(`./fixtures/${name}.pem`, import.meta.url)));

describe('a DNS-ID', () => {
  const certificate = fixture('dns-and-wildcard');

  it('names exactly its domain, case-insensitively', () => {
    expect(certificateNamesServer(certificate, 'hearth.example')).toBe(true);
    expect(certificateNamesServer(certificate, 'other.example')).toBe(false);
    expect(certificateNamesServer(certificate, 'sub.hearth.example')).toBe(false);
  });

  it('with a wildcard names one label below it, and not the parent', () => {
    expect(certificateNamesServer(certificate, 'chat.wild.example')).toBe(true);
    expect(certificateNamesServer(certificate, 'a.b.wild.example')).toBe(false);
    expect(certificateNamesServer(certificate, 'wild.example')).toBe(false);
  });

  it('leaves the common name out when there are subjectAltNames', () => {
    expect(certificateNamesServer(certificate, 'cn-ignored.example')).toBe(false);
  });
});

describe('an XmppAddr', () => {
  it('names the domain it holds, compared as a prepared JID domain', () => {
    const certificate = fixture('xmppaddr-only');
    expect(certificateNamesServer(certificate, 'xmpp-only.example')).toBe(true);
    expect(certificateNamesServer(certificate, 'cn-ignored.example')).toBe(false);
    expect(subjectAltNames(certificate)).toEqual([{ type: 'othername:XmppAddr', value: 'XMPP-Only.example' }]);
  });
});

describe('an SRV-ID', () => {
  it('names the domain of its _xmpp-server service only', () => {
    const certificate = fixture('srv-id');
    expect(certificateNamesServer(certificate, 'srv.example')).toBe(true);
    expect(certificateNamesServer(certificate, 'client-only.example')).toBe(false);
    expect(certificateServerNames(certificate)).toEqual(['srv.example', '_xmpp-client.client-only.example']);
  });
});

describe('the common name', () => {
  it('counts when the certificate has no subjectAltName at all', () => {
    expect(certificateNamesServer(fixture('cn-only'), 'cn-only.example')).toBe(true);
    expect(certificateServerNames(fixture('cn-only'))).toEqual(['cn-only.example']);
  });
});

describe('names that try to smuggle another', () => {
  const certificate = fixture('quoted-and-idn');

  it('are read whole, so ", DNS:victim.example" inside a name names nothing', () => {
    expect(certificateNamesServer(certificate, 'victim.example')).toBe(false);
    expect(subjectAltNames(certificate)).toEqual([
      { type: 'DNS', value: 'a, DNS:victim.example' },
      { type: 'othername:XmppAddr', value: 'b, DNS:victim.example' },
      { type: 'DNS', value: 'xn--bcher-kva.example' },
    ]);
  });

  it('and an internationalised domain matches its A-label', () => {
    expect(certificateNamesServer(certificate, 'bücher.example')).toBe(true);
  });
});
