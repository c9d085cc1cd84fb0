import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadCertificate } from '../../../server/services/certs/self-signed.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hearth-certs-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('first-run certificate', () => {
  it('makes a self-signed certificate for the domain and its service names', async () => {
    const loaded = await loadCertificate({ domain: 'home.example', dataDir: dir });
    const cert = new X509Certificate(loaded.cert);
    expect(loaded.selfSigned).toBe(true);
    expect(cert.subjectAltName).toBe('DNS:home.example, DNS:conference.home.example, DNS:upload.home.example, DNS:proxy.home.example');
    expect(cert.checkPrivateKey(createPrivateKey(loaded.key))).toBe(true);
    expect(statSync(loaded.keyFile).mode & 0o777).toBe(0o600);
  });

  it('keeps the same certificate across restarts', async () => {
    const first = await loadCertificate({ domain: 'home.example', dataDir: dir });
    const second = await loadCertificate({ domain: 'home.example', dataDir: dir });
    expect(second.cert).toBe(first.cert);
  });

  it('is made anew when it lacks an extra name (the onion address), and kept while it has them', async () => {
    const onion = 'eqw62flwrfqw4fxjhsrfwsjfzikdhxgubh4vqslj2nwlsjxb6uwinvad.onion';
    const plain = await loadCertificate({ domain: 'home.example', dataDir: dir });
    const withOnion = await loadCertificate({ domain: 'home.example', dataDir: dir, extraNames: [onion] });
    expect(withOnion.cert).not.toBe(plain.cert);
    expect(new X509Certificate(withOnion.cert).subjectAltName).toContain(`DNS:${onion}`);
    expect((await loadCertificate({ domain: 'home.example', dataDir: dir, extraNames: [onion] })).cert).toBe(withOnion.cert);
    // Tor switched off later: the certificate still covers the domain, so it stays.
    expect((await loadCertificate({ domain: 'home.example', dataDir: dir })).cert).toBe(withOnion.cert);
  });

  it('names the setting when a configured file cannot be read', async () => {
    await expect(loadCertificate({ domain: 'x.example', dataDir: dir, certFile: '/missing.pem', keyFile: '/missing.key' })).rejects.toThrow(
      'tls.certFile: cannot read /missing.pem: ENOENT',
    );
  });
});
