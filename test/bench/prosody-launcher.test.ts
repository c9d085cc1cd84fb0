// The shared Prosody launcher (test/support/prosody.ts), which the benchmark and the federation
// tests start Prosody with. CI installs Prosody (.ci/run): there its absence fails these tests.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSession } from '../../bench/client/session.js';
import { accountFile, encodePathPart, luaValue, prosodyInstalled, prosodyVersion, startProsody, type Prosody } from '../support/prosody.js';

const installed = prosodyInstalled();
const required = process.env.CI === 'true';

describe('Lua values in the generated config', () => {
  it('escapes quotes, backslashes and control characters in strings', () => {
    expect(luaValue('a"b\\c\nd')).toBe('"a\\034b\\092c\\010d"');
    expect(luaValue(['x', 1, true])).toBe('{ "x", 1, true }');
    expect(luaValue({ min: 'warn', to: 'file' })).toBe('{ ["min"] = "warn"; ["to"] = "file" }');
  });

  it('names data files as Prosody does (every non-alphanumeric byte as %xx)', () => {
    expect(encodePathPart('conference.localhost')).toBe('conference%2elocalhost');
    expect(encodePathPart('user_1')).toBe('user%5f1');
  });

  it('writes accounts as SCRAM keys, never the password', () => {
    const file = accountFile('a secret password', 4096);
    expect(file).toMatch(/^return \{ \["iteration_count"\] = 4096; \["salt"\] = "[0-9a-f-]{36}"; \["stored_key"\] = "[0-9a-f]{40}"; \["server_key"\] = "[0-9a-f]{40}" \};\n$/);
    expect(file).not.toContain('secret');
  });
});

describe('a Prosody started by the launcher', () => {
  let prosody: Prosody | undefined;

  beforeAll(async () => {
    if (!installed) return;
    prosody = await startProsody({
      domain: 'localhost',
      bind: '127.0.0.1',
      certificate: { certFile: process.env.HEARTH_TEST_CERT!, keyFile: process.env.HEARTH_TEST_KEY! },
      modules: ['smacks'],
      s2s: { port: 0, requireEncryption: true },
    });
  });
  afterAll(() => prosody?.stop());

  function needProsody(skip: (note: string) => never): void {
    if (installed) return;
    if (required) throw new Error('prosody is not installed; .ci/run installs it (apt-get install prosody)');
    skip('prosody is not installed (apt-get install prosody); skipped outside CI');
  }

  const login = (username: string, password: string) =>
    openSession({ host: prosody!.bind, port: prosody!.c2sPort, domain: 'localhost', ca: readFileSync(process.env.HEARTH_TEST_CA!), username, password, resource: 'test', streamManagement: true });

  it('is Prosody 0.12, listening for clients and servers', ({ skip }) => {
    needProsody(skip);
    expect(prosodyVersion()).toMatch(/^0\.12\./);
    expect(prosody!.c2sPort).toBeGreaterThan(0);
    expect(prosody!.s2sPort).toBeGreaterThan(0);
    expect(readFileSync(prosody!.configFile, 'utf8')).toContain(`s2s_ports = { ${prosody!.s2sPort} }`);
  });

  it('logs in an account registered with prosodyctl, over STARTTLS with SCRAM-SHA-1', async ({ skip }) => {
    needProsody(skip);
    await prosody!.register('alice', 'alice password');
    const session = await login('alice', 'alice password');
    expect(session.jid).toBe('alice@localhost/test');
    await session.close();
  });

  it('logs in accounts written straight into its data directory', async ({ skip }) => {
    needProsody(skip);
    prosody!.writeAccounts([{ username: 'bob', password: 'bob password' }]);
    const session = await login('bob', 'bob password');
    expect(session.bareJid).toBe('bob@localhost');
    await session.close();
    await expect(login('bob', 'wrong password')).rejects.toThrow(/authentication failed/);
  });
});
