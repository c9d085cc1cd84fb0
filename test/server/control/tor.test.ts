// The control API's Tor requests against the real server with Debian's real tor on loopback:
// the switch (saved, applied at once, kept across a restart), the onion ports leading to the
// real listeners, advertising in disco#info, the onion name in the self-signed certificate,
// backup and rotation.
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import type { Client, Element } from '@xmpp/client';
import { afterEach, describe, expect, it } from 'vitest';
import type { ControlResult, TorStatus } from '../../../server/control/contract.js';
import { onionFormType } from '../../../server/services/tor/advertise.js';
import { startServer } from '../../../server/main.js';
import { silentLogger } from '../../../server/util/log.js';
import { domain, startTestServer, stopQuietly, testConfig, xml, type TestServer } from '../../support/server.js';
import { login } from '../../support/stanzas.js';
import { needTor, processAlive, torBinary, torStatusWhere, waitUntil } from '../../support/tor.js';

let t: TestServer | undefined;
let dataDir: string | undefined;
const clients: Client[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) await stopQuietly(client);
  await t?.stop();
  t = undefined;
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  dataDir = undefined;
});

function value<T>(result: ControlResult<T>): T {
  if (!result.ok) throw new Error(`expected success, got: ${result.error}`);
  return result.value;
}

async function server(overrides: Record<string, unknown> = {}): Promise<TestServer> {
  dataDir ??= mkdtempSync(join(tmpdir(), 'hearth-tor-control-'));
  t = await startTestServer({ tor: { binary: torBinary }, ...overrides }, dataDir);
  return t;
}

const request: TestServer['server']['control']['request'] = (name, input) => t!.server.control.request(name, input);
const saved = () => JSON.parse(readFileSync(join(t!.dataDir, 'hearth.json'), 'utf8')) as { domain?: string; tor?: Record<string, unknown> };
const running = () => torStatusWhere(t!.server.tor, (s) => s.state === 'running');

async function discoForms(client: Client): Promise<Element[]> {
  const result = await client.iqCaller.request(xml('iq', { type: 'get', to: domain }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
  return result.getChild('query')!.getChildren('x', 'jabber:x:data');
}
const onionForms = (forms: Element[]) =>
  forms.filter((form) => form.getChildren('field').some((f) => f.attrs.var === 'FORM_TYPE' && f.getChildText('value') === onionFormType));

describe('Tor through the control API', { timeout: 30_000 }, () => {
  it('switches Tor on at once, saves the switch, and leads the onion ports to the real listeners', async ({ skip }) => {
    needTor(skip);
    await server();
    const events: TorStatus[] = [];
    const unsubscribe = t!.server.control.subscribe('tor', (status) => events.push(status));
    expect(value(await request('tor.status', {}))).toMatchObject({ enabled: false, state: 'off', running: false, federation: 'onions', advertise: false });

    const status = value(await request('tor.setEnabled', { enabled: true }));

    expect(status).toMatchObject({ enabled: true, state: 'running', running: true });
    expect(status.onionAddress).toMatch(/^[a-z2-7]{56}\.onion$/);
    expect(saved()).toMatchObject({ domain: 'localhost', tor: { enabled: true } });
    const torrc = readFileSync(join(t!.dataDir, 'tor', 'torrc'), 'utf8');
    expect(torrc).toContain(`HiddenServicePort 5222 127.0.0.1:${t!.port('c2s')}`);
    expect(torrc).toContain(`HiddenServicePort 5223 127.0.0.1:${t!.port('c2sTls')}`);
    expect(torrc).toContain(`HiddenServicePort 443 127.0.0.1:${t!.server.listeners.find((l) => l.name === 'https')!.port}`);
    expect(events.map((e) => e.state)).toEqual(expect.arrayContaining(['starting', 'running']));
    unsubscribe();
    // The status carries Tor too, for the tray and the dashboard.
    expect(value(await request('status', {})).tor).toMatchObject({ enabled: true, state: 'running' });
  });

  it('switches Tor off: the process ends and the switch is saved off', async ({ skip }) => {
    needTor(skip);
    await server({ tor: { binary: torBinary, enabled: true } });
    await running();
    const pid = t!.server.tor.pid!;

    expect(value(await request('tor.setEnabled', { enabled: false }))).toMatchObject({ enabled: false, state: 'off', running: false });

    await waitUntil(() => !processAlive(pid), 5000, 'tor to exit');
    expect(saved().tor).toMatchObject({ enabled: false });
  });

  it('starts Tor with the server when it was left on, with the same address', async ({ skip }) => {
    needTor(skip);
    await server();
    const first = value(await request('tor.setEnabled', { enabled: true })).onionAddress;
    const pid = t!.server.tor.pid!;
    await t!.stop();
    await waitUntil(() => !processAlive(pid), 5000, 'tor to stop with the server');

    t = await startTestServer({ tor: { binary: torBinary, ...saved().tor } }, dataDir);
    expect((await running()).onionAddress).toBe(first);
  });

  it('refuses to switch on without tor, with install hints, and saves nothing', async () => {
    await server({ tor: { binary: '/nonexistent/tor' } });
    const result = await request('tor.setEnabled', { enabled: true });
    expect(result).toMatchObject({ ok: false });
    expect((result as { error: string }).error).toMatch(/^Tor was not found at \/nonexistent\/tor \(the tor\.binary setting\)\. Install it.*sudo apt install tor/);
    expect(value(await request('tor.status', {}))).toMatchObject({ enabled: false, state: 'off' });
    expect(() => saved()).toThrow(/ENOENT/);
  });

  it('warns on the dashboard when Tor is on but cannot run', async () => {
    await server({ tor: { binary: '/nonexistent/tor', enabled: true } });
    await torStatusWhere(t!.server.tor, (s) => s.state === 'failed');
    const warning = value(await request('status', {})).warnings.find((w) => w.id === 'tor');
    expect(warning?.message).toMatch(/^Tor: Tor was not found at \/nonexistent\/tor/);
  });

  it('saves the federation policy and applies it at once', async () => {
    await server();
    expect(value(await request('tor.setOptions', { federation: 'all' }))).toMatchObject({ federation: 'all' });
    expect(t!.server.tor.federationPolicy).toBe('all');
    expect(saved().tor).toMatchObject({ federation: 'all' });
    expect(await request('tor.setOptions', { federation: 'everything' as never })).toEqual({ ok: false, error: 'choose how federation uses Tor: clearnet, onions or all' });
  });

  it('publishes the onion address in disco#info only while advertising is on', async ({ skip }) => {
    needTor(skip);
    await server({ tor: { binary: torBinary, enabled: true } });
    const address = (await running()).onionAddress!;
    t!.addUser('mum');
    const mum = await login(t!, 'mum');
    clients.push(mum);
    expect(onionForms(await discoForms(mum))).toEqual([]);

    value(await request('tor.setOptions', { advertise: true }));
    const [form] = onionForms(await discoForms(mum));
    expect(form!.getChildren('field').find((f) => f.attrs.var === 'onion-address')!.getChildText('value')).toBe(address);
    expect(saved().tor).toMatchObject({ advertise: true });

    value(await request('tor.setOptions', { advertise: false }));
    expect(onionForms(await discoForms(mum))).toEqual([]);
  });

  it('backs up the onion key and rotates it to a new address', async ({ skip }) => {
    needTor(skip);
    await server({ tor: { binary: torBinary, enabled: true } });
    const before = (await running()).onionAddress!;

    const backup = value(await request('tor.backupKey', {}));
    expect(backup).toMatchObject({ onionAddress: before, fileName: 'hs_ed25519_secret_key' });
    expect(Buffer.from(backup.keyBase64, 'base64').subarray(0, 32).toString()).toBe('== ed25519v1-secret: type0 ==\0\0\0');

    const rotated = value(await request('tor.rotate', {}));
    expect(rotated.previousOnionAddress).toBe(before);
    expect(rotated.state).toBe('running');
    expect(rotated.onionAddress).toMatch(/^[a-z2-7]{56}\.onion$/);
    expect(rotated.onionAddress).not.toBe(before);
  });

  it('has no key to back up before Tor has run once', async () => {
    await server();
    expect(await request('tor.backupKey', {})).toEqual({ ok: false, error: 'there is no onion key yet: switch Tor on once, and tor makes one' });
  });
});

describe('the onion name in the self-signed certificate', { timeout: 30_000 }, () => {
  it('is added once tor has made the address, and the listeners present the new certificate', async ({ skip }) => {
    needTor(skip);
    dataDir = mkdtempSync(join(tmpdir(), 'hearth-tor-cert-'));
    // No test certificate: Hearth makes its own self-signed one.
    const base = testConfig(dataDir, { tor: { binary: torBinary } });
    const config = { ...base, tls: { profile: base.tls.profile } };
    const hearth = await startServer(config, { log: silentLogger, uiDir: null });
    t = { stop: () => hearth.stop() } as TestServer;
    expect(hearth.certificate.selfSigned).toBe(true);

    const onion = value(await hearth.control.request('tor.setEnabled', { enabled: true })).onionAddress!;

    await waitUntil(() => new X509Certificate(hearth.certificate.cert).subjectAltName!.includes(`DNS:${onion}`), 10_000, 'the certificate to name the onion');
    expect(new X509Certificate(readFileSync(hearth.certificate.certFile)).subjectAltName).toContain(`DNS:${onion}`);
    const port = hearth.listeners.find((l) => l.name === 'c2sTls')!.port;
    const presented = await new Promise<string>((resolve, reject) => {
      const socket = tlsConnect({ host: '127.0.0.1', port, servername: onion, rejectUnauthorized: false, ALPNProtocols: ['xmpp-client'] }, () => {
        resolve(socket.getPeerX509Certificate()!.subjectAltName ?? '');
        socket.destroy();
      });
      socket.once('error', reject);
    });
    expect(presented).toContain(`DNS:${onion}`);
    expect(presented).toContain('DNS:localhost');
  });
});
