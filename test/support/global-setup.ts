// Runs once in the main Vitest process, before any worker exists.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestPki } from './test-ca.js';

export const testDomain = 'localhost';

export default async function setup(): Promise<() => void> {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-pki-'));
  const pki = await createTestPki(dir, [testDomain, `conference.${testDomain}`, `upload.${testDomain}`]);
  // Workers are forked after this and inherit the environment: Node reads this at start-up.
  process.env.NODE_EXTRA_CA_CERTS = pki.caFile;
  process.env.HEARTH_TEST_CA = pki.caFile;
  process.env.HEARTH_TEST_CA_KEY = pki.caKeyFile;
  process.env.HEARTH_TEST_CERT = pki.certFile;
  process.env.HEARTH_TEST_KEY = pki.keyFile;
  return () => rmSync(dir, { recursive: true, force: true });
}
