// Interop with a real Prosody (Debian's 0.12) on loopback: its own domain, a certificate from the
// same test CA (which it trusts through ssl.cafile), and a test DNS server that both servers ask
// for each other's SRV records. Once with certificates both ways (SASL EXTERNAL, Prosody's
// s2s_secure_auth), once with dialback (server-only certificates, which neither side accepts for
// SASL EXTERNAL). CI installs Prosody (.ci/run); there a missing one fails these tests.
import type { Client } from '@xmpp/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemResolver } from '../../../server/s2s/resolver.js';
import { startTestDnsServer, type TestDnsServer } from '../../support/dns-server.js';
import { recordingLogger, removeCertificates, serverCertificate, startFederatedServer, type CertificateKind } from '../../support/federation.js';
import { prosodyInstalled, startProsody, type Prosody } from '../../support/prosody.js';
import { connectClient, nextStanza, stopQuietly, xml, type TestServer } from '../../support/server.js';
import { getRoster, nextPresence, rosterItems } from '../../support/stanzas.js';

const installed = prosodyInstalled();
const prosodyPassword = 'prosody password';

afterAll(removeCertificates);

function needProsody(skip: (note: string) => never): void {
  if (installed) return;
  if (process.env.CI === 'true') throw new Error('prosody is not installed; .ci/run installs it (apt-get install prosody)');
  skip('prosody is not installed (apt-get install prosody); skipped outside CI');
}

interface Pair {
  dns: TestDnsServer;
  prosody: Prosody;
  hearth: TestServer;
  log: ReturnType<typeof recordingLogger>;
  clients: Client[];
}

/** Hearth at `hearthDomain` and Prosody at `prosodyDomain`, finding each other through the test DNS server. */
async function startPair(
  hearthDomain: string,
  prosodyDomain: string,
  certificates: CertificateKind,
  prosodyS2s: { secureAuth: boolean; modules: string[]; trustsTestCa: boolean },
): Promise<Pair> {
  const dns = await startTestDnsServer();
  const log = recordingLogger();
  const hearth = await startFederatedServer({ domain: hearthDomain, certificate: certificates, resolver: systemResolver([dns.address]), log });
  const certificate = await serverCertificate(prosodyDomain, certificates);
  const prosody = await startProsody({
    domain: prosodyDomain,
    certificate,
    ...(prosodyS2s.trustsTestCa ? { caFile: process.env.HEARTH_TEST_CA! } : {}),
    s2s: { port: 0, requireEncryption: true, secureAuth: prosodyS2s.secureAuth },
    modules: prosodyS2s.modules,
    components: [{ domain: `conference.${prosodyDomain}`, plugin: 'muc' }],
    // Prosody's resolver (libunbound) asks only the test DNS server.
    options: { unbound: { resolvconf: false, hoststxt: false, forward: `127.0.0.1@${dns.port}` }, s2s_timeout: 15 },
    logLevel: 'debug',
  });
  for (const host of [hearthDomain, `conference.${hearthDomain}`]) dns.setSrv(`_xmpp-server._tcp.${host}`, [{ priority: 0, weight: 0, port: hearth.port('s2s'), target: hearthDomain }]);
  for (const host of [prosodyDomain, `conference.${prosodyDomain}`]) dns.setSrv(`_xmpp-server._tcp.${host}`, [{ priority: 0, weight: 0, port: prosody.s2sPort!, target: prosodyDomain }]);
  return { dns, prosody, hearth, log, clients: [] };
}

async function stopPair(pair: Pair | undefined): Promise<void> {
  if (!pair) return;
  await Promise.all(pair.clients.map((c) => stopQuietly(c)));
  await pair.hearth.stop();
  await pair.prosody.stop();
  await pair.dns.stop();
}

async function prosodyLogin(pair: Pair, username: string, resource: string): Promise<Client> {
  await pair.prosody.register(username, prosodyPassword);
  const client = connectClient(pair.prosody.c2sPort, username, { domain: pair.prosody.domain, password: prosodyPassword, mechanism: 'PLAIN', resource });
  pair.clients.push(client);
  await client.start();
  await client.send(xml('presence'));
  return client;
}

for (const variant of [
  {
    title: 'with certificates both ways (SASL EXTERNAL)',
    certificates: 'valid' as const,
    prosody: { secureAuth: true, modules: [], trustsTestCa: true },
    hearthDomain: 'hearth-p.example',
    prosodyDomain: 'prosody-p.example',
    mechanism: 'certificate, SASL EXTERNAL',
  },
  {
    // Prosody does not trust the test CA, so it cannot accept Hearth's certificate and wants
    // dialback; Hearth cannot accept Prosody's server-only certificate for SASL EXTERNAL either.
    title: 'with dialback both ways',
    certificates: 'server-only' as const,
    prosody: { secureAuth: false, modules: ['dialback'], trustsTestCa: false },
    hearthDomain: 'hearth-q.example',
    prosodyDomain: 'prosody-q.example',
    mechanism: 'dialback',
  },
]) {
  describe(`federation with Prosody ${variant.title}`, () => {
    let pair: Pair | undefined;
    const { hearthDomain, prosodyDomain } = variant;

    beforeAll(async () => {
      if (!installed) return;
      pair = await startPair(hearthDomain, prosodyDomain, variant.certificates, variant.prosody);
      pair.hearth.addUser('alice');
    });
    afterAll(() => stopPair(pair));

    it('delivers messages from Hearth to Prosody and back', async ({ skip }) => {
      needProsody(skip);
      const p = pair!;
      const alice = await p.hearth.connect('alice', { mechanism: 'SCRAM-SHA-256', resource: 'phone' });
      const romeo = await prosodyLogin(p, 'romeo', 'desk');

      const atRomeo = nextStanza(romeo, (s) => s.is('message') && s.getChildText('body') === 'hello Prosody', 15_000);
      await alice.send(xml('message', { to: `romeo@${prosodyDomain}`, type: 'chat' }, xml('body', {}, 'hello Prosody')));
      expect((await atRomeo).attrs.from).toBe(`alice@${hearthDomain}/phone`);

      const atAlice = nextStanza(alice, (s) => s.is('message') && s.getChildText('body') === 'hello Hearth', 15_000);
      await romeo.send(xml('message', { to: `alice@${hearthDomain}`, type: 'chat' }, xml('body', {}, 'hello Hearth')));
      expect((await atAlice).attrs.from).toBe(`romeo@${prosodyDomain}/desk`);

      const log = p.log.lines.join('\n');
      expect(log).toContain(`link to ${prosodyDomain} is up (${variant.mechanism})`);
      expect(log).toContain(`${prosodyDomain} authenticated its link to us (${variant.mechanism})`);
    });

    it('carries subscriptions both ways, and the presence they allow', async ({ skip }) => {
      needProsody(skip);
      const p = pair!;
      p.hearth.addUser('carol');
      const carol = await p.hearth.connect('carol', { mechanism: 'SCRAM-SHA-256', resource: 'phone' });
      const juliet = await prosodyLogin(p, 'juliet', 'balcony');
      await getRoster(carol);
      await getRoster(juliet);

      // Hearth user asks, Prosody user approves.
      const request = nextPresence(juliet, `carol@${hearthDomain}`, 'subscribe', 15_000);
      await carol.send(xml('presence', { to: `juliet@${prosodyDomain}`, type: 'subscribe' }));
      await request;
      const julietOnline = nextPresence(carol, `juliet@${prosodyDomain}/balcony`, undefined, 15_000);
      await juliet.send(xml('presence', { to: `carol@${hearthDomain}`, type: 'subscribed' }));
      await julietOnline;
      expect(rosterItems(await getRoster(carol)).get(`juliet@${prosodyDomain}`)?.attrs.subscription).toBe('to');

      // Prosody user asks back, Hearth user approves.
      const back = nextPresence(carol, `juliet@${prosodyDomain}`, 'subscribe', 15_000);
      await juliet.send(xml('presence', { to: `carol@${hearthDomain}`, type: 'subscribe' }));
      await back;
      const carolOnline = nextPresence(juliet, `carol@${hearthDomain}/phone`, undefined, 15_000);
      await carol.send(xml('presence', { to: `juliet@${prosodyDomain}`, type: 'subscribed' }));
      await carolOnline;
      expect(rosterItems(await getRoster(carol)).get(`juliet@${prosodyDomain}`)?.attrs.subscription).toBe('both');
      expect(rosterItems(await getRoster(juliet)).get(`carol@${hearthDomain}`)?.attrs.subscription).toBe('both');
    });

    it("lets a Hearth user into a group chat on Prosody's conference service", async ({ skip }) => {
      needProsody(skip);
      const p = pair!;
      p.hearth.addUser('erin');
      const erin = await p.hearth.connect('erin', { mechanism: 'SCRAM-SHA-256', resource: 'phone' });
      const mercutio = await prosodyLogin(p, 'mercutio', 'square');
      const room = `verona@conference.${prosodyDomain}`;
      // Prosody's own user makes the room.
      const created = nextStanza(mercutio, (s) => s.is('presence') && s.attrs.from === `${room}/Mercutio`, 15_000);
      await mercutio.send(xml('presence', { to: `${room}/Mercutio` }, xml('x', { xmlns: 'http://jabber.org/protocol/muc' })));
      await created;
      // XEP-0045 §10.1.2: an instant room, unlocked with the default configuration.
      await mercutio.iqCaller.request(
        xml('iq', { type: 'set', to: room }, xml('query', { xmlns: 'http://jabber.org/protocol/muc#owner' }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' }))),
      );

      const erinJoined = nextStanza(erin, (s) => s.is('presence') && s.attrs.from === `${room}/Erin`, 15_000);
      const mercutioSeesErin = nextStanza(mercutio, (s) => s.is('presence') && s.attrs.from === `${room}/Erin`, 15_000);
      await erin.send(xml('presence', { to: `${room}/Erin` }, xml('x', { xmlns: 'http://jabber.org/protocol/muc' })));
      await erinJoined;
      await mercutioSeesErin;

      const atErin = nextStanza(erin, (s) => s.is('message') && s.getChildText('body') === 'welcome to Verona', 15_000);
      await mercutio.send(xml('message', { to: room, type: 'groupchat' }, xml('body', {}, 'welcome to Verona')));
      expect((await atErin).attrs.from).toBe(`${room}/Mercutio`);
      const atMercutio = nextStanza(mercutio, (s) => s.is('message') && s.getChildText('body') === 'glad to be here', 15_000);
      await erin.send(xml('message', { to: room, type: 'groupchat' }, xml('body', {}, 'glad to be here')));
      expect((await atMercutio).attrs.from).toBe(`${room}/Erin`);
    });
  });
}
