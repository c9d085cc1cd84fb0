// What a running server keeps loaded (issue 12): libraries for rare work (talking to an ACME
// authority, making a certificate, drawing a QR code, SASLprep of non-ASCII text) are loaded
// when that work comes, not at every start. Runs the built server (dist/) in a process of its
// own, so nothing the tests themselves load counts.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const lazy = ['acme-client', 'selfsigned', 'qrcode', '@mongodb-js/saslprep'];

// Starts the server on the test certificate and lists the packages in Node's module cache.
const script = `
import { createRequire } from 'node:module';
import { parseConfig } from './dist/server/config/load.js';
import { startServer } from './dist/server/main.js';
import { silentLogger } from './dist/server/util/log.js';
const parsed = parseConfig({
  domain: 'localhost', dataDir: process.env.DATA_DIR, bind: '127.0.0.1',
  ports: { c2s: 0, c2sTls: 0, s2s: 0, http: 0, https: 0, admin: 0, proxy65: 0 },
  tls: { certFile: process.env.HEARTH_TEST_CERT, keyFile: process.env.HEARTH_TEST_KEY },
});
if (!parsed.ok) throw new Error(parsed.errors.join('; '));
const server = await startServer(parsed.config, { log: silentLogger, uiDir: null });
const packages = new Set(Object.keys(createRequire(import.meta.url).cache).map((file) => /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(file)?.[1]).filter(Boolean));
await server.stop();
process.stdout.write(JSON.stringify([...packages]));
`;

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'hearth-lazy-'));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

describe('libraries for rare work', () => {
  it('are not loaded by a server that starts on its certificate', () => {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, env: { ...process.env, DATA_DIR: dataDir }, encoding: 'utf8' });
    const loaded = JSON.parse(out) as string[];
    expect(loaded).toContain('better-sqlite3'); // the listing works
    for (const name of lazy) expect(loaded, name).not.toContain(name);
  });
});
