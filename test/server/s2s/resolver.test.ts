// Finding another server: SRV records of both services merged in RFC 2782 order with direct TLS
// first among equals (XEP-0368 §3), the domain on 5269 without any, and "." meaning "no service".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveTargets, systemResolver, weightedOrder, type S2sResolver, type SrvRecord } from '../../../server/s2s/resolver.js';
import { startTestDnsServer, type TestDnsServer } from '../../support/dns-server.js';

function fakeResolver(records: Record<string, SrvRecord[]>): S2sResolver {
  return {
    srv: async (name) => records[name] ?? [],
    addresses: async () => [{ address: '127.0.0.1', family: 4 }],
  };
}

const srv = (name: string, port: number, priority = 0, weight = 0): SrvRecord => ({ name, port, priority, weight });

describe('the targets for a domain', () => {
  it('fall back to the domain itself on port 5269 without SRV records (RFC 6120 §3.2.2)', async () => {
    expect(await resolveTargets(fakeResolver({}), 'plain.example')).toEqual([{ host: 'plain.example', port: 5269, directTls: false }]);
  });

  it('merge both services by priority, direct TLS first at equal priority', async () => {
    const resolver = fakeResolver({
      '_xmpp-server._tcp.example.org': [srv('starttls-backup.example.org', 5270, 20), srv('starttls.example.org', 5269, 10)],
      '_xmpps-server._tcp.example.org': [srv('tls.example.org', 5270, 10), srv('tls-last.example.org', 443, 30)],
    });
    expect(await resolveTargets(resolver, 'example.org')).toEqual([
      { host: 'tls.example.org', port: 5270, directTls: true },
      { host: 'starttls.example.org', port: 5269, directTls: false },
      { host: 'starttls-backup.example.org', port: 5270, directTls: false },
      { host: 'tls-last.example.org', port: 443, directTls: true },
    ]);
  });

  it('take a target of "." as "this service is not offered" (RFC 2782)', async () => {
    const noDirect = fakeResolver({ '_xmpps-server._tcp.a.example': [srv('.', 0)], '_xmpp-server._tcp.a.example': [srv('xmpp.a.example', 5269)] });
    expect(await resolveTargets(noDirect, 'a.example')).toEqual([{ host: 'xmpp.a.example', port: 5269, directTls: false }]);
    const none = fakeResolver({ '_xmpps-server._tcp.b.example': [srv('.', 0)], '_xmpp-server._tcp.b.example': [srv('.', 0)] });
    expect(await resolveTargets(none, 'b.example')).toBeUndefined();
  });

  it('look up internationalised domains by their A-labels', async () => {
    const resolver = fakeResolver({ '_xmpp-server._tcp.xn--bcher-kva.example': [srv('xmpp.xn--bcher-kva.example', 5269)] });
    expect(await resolveTargets(resolver, 'bücher.example')).toEqual([{ host: 'xmpp.xn--bcher-kva.example', port: 5269, directTls: false }]);
  });
});

describe('weighted order within a priority (RFC 2782)', () => {
  it('picks by running sums of the weights, heavier first more often', () => {
    const records = [srv('light', 1, 0, 10), srv('heavy', 2, 0, 90)];
    // A uniform pick of 0..100 against running sums 10 and 100.
    expect(weightedOrder(records, () => 0.05).map((r) => r.name)).toEqual(['light', 'heavy']);
    expect(weightedOrder(records, () => 0.5).map((r) => r.name)).toEqual(['heavy', 'light']);
  });

  it('keeps every record, zero weights included', () => {
    const records = [srv('a', 1, 0, 0), srv('b', 2, 0, 0), srv('c', 3, 0, 5)];
    expect(weightedOrder(records, Math.random).map((r) => r.name).sort()).toEqual(['a', 'b', 'c']);
  });
});

describe("the system resolver, asking a DNS server of the test's own", () => {
  let dns: TestDnsServer;

  beforeAll(async () => {
    dns = await startTestDnsServer();
    dns.setSrv('_xmpp-server._tcp.dns.example', [{ priority: 5, weight: 0, port: 15269, target: 'xmpp.dns.example' }]);
  });
  afterAll(() => dns?.stop());

  it('reads SRV records and addresses over real DNS', async () => {
    const resolver = systemResolver([dns.address]);
    expect(await resolveTargets(resolver, 'dns.example')).toEqual([{ host: 'xmpp.dns.example', port: 15269, directTls: false }]);
    expect(await resolver.addresses('xmpp.dns.example')).toEqual([{ address: '127.0.0.1', family: 4 }]);
    expect(dns.queries).toEqual(expect.arrayContaining(['_xmpps-server._tcp.dns.example', '_xmpp-server._tcp.dns.example', 'xmpp.dns.example']));
  });

  it('takes IP literals as they are', async () => {
    expect(await systemResolver([dns.address]).addresses('::1')).toEqual([{ address: '::1', family: 6 }]);
  });
});
