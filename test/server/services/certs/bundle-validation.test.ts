// Checking a certificate, its key and chain before Hearth uses them: a good bundle is accepted
// (and its chain put in order), and each kind of mistake is refused with its own plain message.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateBundle } from '../../../../server/services/certs/bundle-validation.js';
import { generateSelfSigned } from '../../../../server/services/certs/self-signed.js';
import { issueTestCertificate } from '../../../support/test-ca.js';

/** PEM blocks one after the other, each ending in a line break (as Hearth writes them). */
const joined = (...blocks: string[]) => blocks.map((block) => `${block.trim()}\n`).join('');

const requirements = { domain: 'localhost', serviceNames: ['conference.localhost', 'upload.localhost', 'proxy.localhost'], now: Date.now() };

describe('validateBundle', () => {
  let dir: string;
  let ca: string;
  let good: { cert: string; key: string };
  let other: { cert: string; key: string };
  let expired: { cert: string; key: string };
  let wrongName: { cert: string; key: string };

  const read = (files: { certFile: string; keyFile: string }) => ({ cert: readFileSync(files.certFile, 'utf8'), key: readFileSync(files.keyFile, 'utf8') });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hearth-bundles-'));
    ca = readFileSync(process.env.HEARTH_TEST_CA!, 'utf8');
    const all = ['localhost', 'conference.localhost', 'upload.localhost', 'proxy.localhost'];
    good = read(await issueTestCertificate({ dir, name: 'good', dnsNames: all }));
    other = read(await issueTestCertificate({ dir, name: 'other', dnsNames: all }));
    expired = read(await issueTestCertificate({ dir, name: 'expired', dnsNames: all, validity: 'expired' }));
    wrongName = read(await issueTestCertificate({ dir, name: 'wrong', dnsNames: ['chat.example.org', 'www.example.org'] }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts a good certificate with its chain, key in PKCS #8 and no notes', () => {
    const result = validateBundle({ certificate: good.cert + ca, key: good.key }, requirements);
    expect(result).toMatchObject({ ok: true, bundle: { certificatePem: joined(good.cert, ca), notes: [] } });
    if (result.ok) expect(result.bundle.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });

  it('accepts the chain from its own field, and puts a chain given in the wrong order right', () => {
    expect(validateBundle({ certificate: good.cert, key: good.key, chain: ca }, requirements)).toMatchObject({ ok: true, bundle: { certificatePem: joined(good.cert, ca) } });
    const reordered = validateBundle({ certificate: ca + good.cert, key: good.key }, requirements);
    expect(reordered).toMatchObject({ ok: true, bundle: { certificatePem: joined(good.cert, ca) } });
    if (reordered.ok) expect(reordered.bundle.notes).toEqual([expect.stringMatching(/^The certificates were put in the right order/)]);
  });

  it('notes a missing chain and missing service names without refusing', async () => {
    const only = read(await issueTestCertificate({ dir, name: 'only-domain', dnsNames: ['localhost'] }));
    const result = validateBundle({ certificate: only.cert, key: only.key }, requirements);
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.bundle.notes).toEqual([
        expect.stringMatching(/^It does not cover conference\.localhost, upload\.localhost, proxy\.localhost: /),
        expect.stringMatching(/^The certificate of the authority that signed “localhost” is not included/),
      ]);
    }
  });

  it('refuses a key that belongs to another certificate', () => {
    expect(validateBundle({ certificate: good.cert + ca, key: other.key }, requirements)).toEqual({
      ok: false,
      error:
        'the private key does not belong to this certificate: choose the key that was made together with it (for Let’s Encrypt, privkey.pem from the same folder as fullchain.pem)',
    });
  });

  it('refuses an expired certificate, saying when it expired', () => {
    const result = validateBundle({ certificate: expired.cert + ca, key: expired.key }, requirements);
    expect(result).toEqual({ ok: false, error: expect.stringMatching(/^this certificate expired on \d{4}-\d{2}-\d{2}: get a new one from its authority/) });
  });

  it('refuses a certificate for other names, naming them and the domain', () => {
    expect(validateBundle({ certificate: wrongName.cert + ca, key: wrongName.key }, requirements)).toEqual({
      ok: false,
      error: "this certificate is for chat.example.org, www.example.org, not for localhost: it must name localhost, the server's domain",
    });
  });

  it('refuses a certificate that does not belong to the chain', async () => {
    const stranger = await generateSelfSigned('stranger.example', 10);
    expect(validateBundle({ certificate: good.cert + ca + stranger.cert, key: good.key }, requirements)).toEqual({
      ok: false,
      error: expect.stringMatching(/^the third certificate \(stranger\.example\) does not belong to this certificate's chain/),
    });
  });

  it('says what is wrong with text that is not PEM, swapped fields and protected keys', () => {
    expect(validateBundle({ certificate: 'hello', key: good.key }, requirements)).toMatchObject({ ok: false, error: expect.stringMatching(/^that is not a certificate in PEM form/) });
    expect(validateBundle({ certificate: good.key, key: good.key }, requirements)).toMatchObject({ ok: false, error: expect.stringMatching(/^the certificate field holds a private key/) });
    expect(validateBundle({ certificate: good.cert, key: good.cert }, requirements)).toMatchObject({ ok: false, error: expect.stringMatching(/^the key field holds a certificate/) });
    const encrypted = '-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n';
    expect(validateBundle({ certificate: good.cert, key: encrypted }, requirements)).toMatchObject({ ok: false, error: expect.stringMatching(/^the private key is protected by a passphrase/) });
    const damaged = good.cert.replace(/\n[A-Za-z0-9+/]{20}/, '\n');
    expect(validateBundle({ certificate: damaged, key: good.key }, requirements)).toMatchObject({ ok: false, error: expect.stringMatching(/^the first certificate cannot be read/) });
  });
});
