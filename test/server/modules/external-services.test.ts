// XEP-0215: STUN and TURN services for calls, with TURN credentials made like coturn's
// use-auth-secret expects them, checked by our own HMAC and by a real coturn.
import type { Client, Element } from '@xmpp/client';
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../server/config/load.js';
import { coturnInstalled, startCoturn, type Coturn } from '../../support/coturn.js';
import { domain, startTestServer, stopQuietly, xml, type TestServer } from '../../support/server.js';
import { freshAccounts, login } from '../../support/stanzas.js';

const extdiscoNs = 'urn:xmpp:extdisco:2';
const discoInfoNs = 'http://jabber.org/protocol/disco#info';
const secret = 'family-turn-secret-0123456789';

function services(client: Client, type?: string): Promise<Element> {
  return client.iqCaller.request(xml('iq', { type: 'get', to: domain }, xml('services', { xmlns: extdiscoNs, type })));
}

function serviceList(result: Element): Element[] {
  return result.getChild('services', extdiscoNs)!.getChildren('service');
}

async function serverFeatures(client: Client): Promise<string[]> {
  const result = await client.iqCaller.request(xml('iq', { type: 'get', to: domain }, xml('query', { xmlns: discoInfoNs })));
  return result.getChild('query', discoInfoNs)!.getChildren('feature').map((f) => String(f.attrs.var));
}

/** The TURN REST API check coturn does with use-auth-secret, written here from its description. */
function expectedPassword(turnSecret: string, username: string): string {
  return createHmac('sha1', turnSecret).update(username, 'utf8').digest('base64');
}

describe('external services without a TURN server', () => {
  let t: TestServer;
  let client: Client;
  beforeAll(async () => {
    t = await startTestServer();
    const [alice] = freshAccounts(t, 'alice');
    client = await login(t, alice);
  });
  afterAll(async () => {
    await stopQuietly(client);
    await t.stop();
  });

  it('are not announced', async () => {
    expect(await serverFeatures(client)).not.toContain(extdiscoNs);
  });

  it('are not listed', async () => {
    await expect(services(client)).rejects.toMatchObject({ condition: 'service-unavailable' });
  });
});

describe('external services with a TURN server', () => {
  let t: TestServer;
  let client: Client;
  let alice: string;
  beforeAll(async () => {
    t = await startTestServer({ turn: { host: 'turn.example.org', secret, tlsPort: 5349, ttlSeconds: 600 } });
    [alice] = freshAccounts(t, 'alice');
    client = await login(t, alice);
  });
  afterAll(async () => {
    await stopQuietly(client);
    await t.stop();
  });

  it('are announced in the server disco#info', async () => {
    expect(await serverFeatures(client)).toContain(extdiscoNs);
  });

  it('list STUN, TURN over UDP and TCP, and TURN over TLS on the configured host', async () => {
    const list = serviceList(await services(client)).map((s) => ({
      type: s.attrs.type,
      host: s.attrs.host,
      port: s.attrs.port,
      transport: s.attrs.transport,
      restricted: s.attrs.restricted,
    }));
    expect(list).toEqual([
      { type: 'stun', host: 'turn.example.org', port: '3478', transport: 'udp', restricted: undefined },
      { type: 'turn', host: 'turn.example.org', port: '3478', transport: 'udp', restricted: 'true' },
      { type: 'turn', host: 'turn.example.org', port: '3478', transport: 'tcp', restricted: 'true' },
      { type: 'turns', host: 'turn.example.org', port: '5349', transport: 'tcp', restricted: 'true' },
    ]);
  });

  it('give STUN no credentials', async () => {
    const stun = serviceList(await services(client)).find((s) => s.attrs.type === 'stun')!;
    expect(stun.attrs.username).toBeUndefined();
    expect(stun.attrs.password).toBeUndefined();
  });

  it('give TURN credentials that coturn checks with use-auth-secret, expiring after turn.ttlSeconds', async () => {
    const before = Math.floor(Date.now() / 1000);
    const turn = serviceList(await services(client, 'turn'))[0]!;
    const after = Math.floor(Date.now() / 1000);
    const username = String(turn.attrs.username);
    // "<expiry as Unix time>:<user>", the password base64(HMAC-SHA1(secret, username)).
    const match = /^(\d+):(.+)$/.exec(username);
    expect(match?.[2]).toBe(alice);
    const expiry = Number(match![1]);
    expect(expiry).toBeGreaterThanOrEqual(before + 600);
    expect(expiry).toBeLessThanOrEqual(after + 600);
    expect(turn.attrs.password).toBe(expectedPassword(secret, username));
    // XEP-0082 DateTime in UTC, the same moment.
    expect(turn.attrs.expires).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(Date.parse(String(turn.attrs.expires)) / 1000).toBe(expiry);
  });

  it('list only the services of the type asked for', async () => {
    const result = await services(client, 'stun');
    expect(result.getChild('services', extdiscoNs)!.attrs.type).toBe('stun');
    expect(serviceList(result).map((s) => s.attrs.type)).toEqual(['stun']);
  });

  it('give fresh credentials for a TURN service the client names', async () => {
    const result = await client.iqCaller.request(
      xml('iq', { type: 'get', to: domain }, xml('credentials', { xmlns: extdiscoNs }, xml('service', { host: 'turn.example.org', type: 'turns' }))),
    );
    const list = result.getChild('credentials', extdiscoNs)!.getChildren('service');
    expect(list.map((s) => [s.attrs.type, s.attrs.port])).toEqual([['turns', '5349']]);
    expect(list[0]!.attrs.password).toBe(expectedPassword(secret, String(list[0]!.attrs.username)));
  });

  it('answer credentials for a service they do not know with item-not-found', async () => {
    await expect(
      client.iqCaller.request(
        xml('iq', { type: 'get', to: domain }, xml('credentials', { xmlns: extdiscoNs }, xml('service', { host: 'turn.elsewhere.example', type: 'turn' }))),
      ),
    ).rejects.toMatchObject({ condition: 'item-not-found' });
  });
});

describe('the turn settings', () => {
  const parse = (turn: Record<string, unknown>) => parseConfig({ domain: 'example.org', dataDir: '/tmp/hearth-config-test', turn });

  it('need a secret with a host, and a host with a secret', () => {
    expect(parse({ host: 'turn.example.org' })).toMatchObject({ ok: false, errors: ['turn.secret: required when turn.host is set'] });
    expect(parse({ secret })).toMatchObject({ ok: false, errors: ['turn.host: required when turn.secret is set'] });
  });

  it('default to port 3478, UDP and TCP, and a day of validity', () => {
    const result = parse({ host: '192.0.2.7', secret });
    expect(result.ok && result.config.turn).toEqual({ host: '192.0.2.7', secret, port: 3478, transports: ['udp', 'tcp'], ttlSeconds: 86_400 });
  });

  it('refuse a host that is neither a name nor an address, and a short secret', () => {
    expect(parse({ host: 'turn server', secret }).ok).toBe(false);
    expect(parse({ host: 'turn.example.org', secret: 'short' }).ok).toBe(false);
  });
});

describe('TURN credentials at a real coturn', () => {
  const installed = coturnInstalled();
  const required = process.env.CI === 'true';
  let coturn: Coturn | undefined;
  let t: TestServer | undefined;
  let client: Client | undefined;

  beforeAll(async () => {
    if (!installed) return;
    coturn = await startCoturn(secret);
    t = await startTestServer({ turn: { host: '127.0.0.1', port: coturn.port, secret, ttlSeconds: 300 } });
    const [alice] = freshAccounts(t, 'alice');
    client = await login(t, alice);
  });
  afterAll(async () => {
    if (client) await stopQuietly(client);
    await t?.stop();
    await coturn?.stop();
  });

  function needCoturn(skip: (note: string) => never): void {
    if (installed) return;
    // CI installs coturn (.ci/run): there its absence is a failure, not a reason to skip.
    if (required) throw new Error('coturn (turnserver, turnutils_uclient) is not installed; .ci/run installs it');
    skip('coturn is not installed (apt-get install coturn); skipped outside CI');
  }

  for (const transport of ['udp', 'tcp'] as const) {
    it(`are accepted for a relay over ${transport.toUpperCase()}`, async ({ skip }) => {
      needCoturn(skip);
      const turn = serviceList(await services(client!, 'turn')).find((s) => s.attrs.transport === transport)!;
      expect(turn.attrs).toMatchObject({ host: '127.0.0.1', port: String(coturn!.port) });
      const result = await coturn!.allocate(String(turn.attrs.username), String(turn.attrs.password), transport);
      expect(result.accepted, result.output + coturn!.log()).toBe(true);
    });
  }

  it('are refused by coturn when the password is not the one derived from the secret', async ({ skip }) => {
    needCoturn(skip);
    const turn = serviceList(await services(client!, 'turn'))[0]!;
    const forged = expectedPassword('some-other-secret-0123456789', String(turn.attrs.username));
    expect((await coturn!.allocate(String(turn.attrs.username), forged, 'udp')).accepted).toBe(false);
  });
});
