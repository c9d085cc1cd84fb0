// Small helpers for protocol tests on top of server.ts: fresh accounts, quick logins, waiting
// for (or ruling out) stanzas without sleeping, and the roster requests most tests need.
import type { Client, Element } from '@xmpp/client';
import { afterAll, beforeAll } from 'vitest';
import { connectClient, domain, nextStanza, startTestServer, stopQuietly, xml, type ConnectOptions, type TestServer } from './server.js';

export const rosterNs = 'jabber:iq:roster';
export const stanzaErrorsNs = 'urn:ietf:params:xml:ns:xmpp-stanzas';

let accountCounter = 0;

/**
 * Creates accounts named after `names` with a suffix unique in this worker, so tests sharing one
 * server never see each other's rosters or offline messages.
 */
export function freshAccounts<const N extends readonly string[]>(t: TestServer, ...names: N): { [K in keyof N]: string } {
  accountCounter++;
  return names.map((name) => {
    const username = `${name}${accountCounter}`;
    t.addUser(username);
    return username;
  }) as { [K in keyof N]: string };
}

export function bare(username: string): string {
  return `${username}@${domain}`;
}

/**
 * Logs in with SCRAM-SHA-256: the same security as SCRAM-SHA-1 but with Node's own PBKDF2, where
 * @xmpp/client's SCRAM-SHA-1 spends half a second in JavaScript on every login.
 */
export function login(t: TestServer, username: string, options: ConnectOptions = {}): Promise<Client> {
  return t.connect(username, { mechanism: 'SCRAM-SHA-256', ...options });
}

/** A ping to the server and its answer: everything the server wrote before it has arrived. */
export async function roundTrip(client: Client): Promise<void> {
  await client.iqCaller.request(xml('iq', { type: 'get', to: domain }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
}

/**
 * Waits until the server has processed what each client sent so far and each client has
 * received what the server sent it by then. The server routes synchronously, so after this a
 * stanza that has not arrived is not coming.
 */
export async function settle(...clients: Client[]): Promise<void> {
  for (const client of clients) await roundTrip(client);
}

/** Records every stanza a client receives from now on (or only those matching `match`). */
export function record(client: Client, match: (stanza: Element) => boolean = () => true) {
  const stanzas: Element[] = [];
  const listener = (stanza: Element) => {
    if (match(stanza)) stanzas.push(stanza);
  };
  client.on('stanza', listener);
  return {
    stanzas,
    stop: () => client.off('stanza', listener),
  };
}

/** Waits for a presence of the given type (undefined: available) from the given address (bare or full). */
export function nextPresence(client: Client, from: string, type?: string, ms?: number): Promise<Element> {
  return nextStanza(client, (s) => isPresence(s, from, type), ms);
}

export function isPresence(stanza: Element, from: string, type?: string): boolean {
  if (!stanza.is('presence') || stanza.attrs.type !== type) return false;
  const sender = String(stanza.attrs.from ?? '');
  return from.includes('/') ? sender === from : sender === from || sender.startsWith(`${from}/`);
}

export function isRosterPush(stanza: Element, contact?: string): boolean {
  if (!stanza.is('iq') || stanza.attrs.type !== 'set') return false;
  const item = stanza.getChild('query', rosterNs)?.getChild('item');
  return item !== undefined && (contact === undefined || item.attrs.jid === contact);
}

/** Waits for a roster push about `contact` and returns its <item/>. */
export async function nextRosterPush(client: Client, contact: string, ms?: number): Promise<Element> {
  const push = await nextStanza(client, (s) => isRosterPush(s, contact), ms);
  return push.getChild('query', rosterNs)!.getChild('item')!;
}

/** A roster get (RFC 6121 §2.2); resolves with the whole result iq. It also makes the client "interested". */
export function getRoster(client: Client, ver?: string): Promise<Element> {
  return client.iqCaller.request(xml('iq', { type: 'get' }, xml('query', { xmlns: rosterNs, ver })));
}

/** The items of a roster result, by JID. */
export function rosterItems(result: Element): Map<string, Element> {
  const items = result.getChild('query', rosterNs)?.getChildren('item') ?? [];
  return new Map(items.map((item) => [String(item.attrs.jid), item]));
}

/** A roster set with one item (RFC 6121 §2.3); resolves with the result iq, rejects with the stanza error. */
export function setRosterItem(client: Client, attrs: Record<string, string>, groups: string[] = []): Promise<Element> {
  const item = xml('item', attrs, ...groups.map((group) => xml('group', {}, group)));
  return client.iqCaller.request(xml('iq', { type: 'set' }, xml('query', { xmlns: rosterNs }, item)));
}

export function groupsOf(item: Element): string[] {
  return item.getChildren('group').map((g) => g.getText());
}

/** The defined condition of a stanza error, e.g. "service-unavailable". */
export function errorCondition(stanza: Element): string | undefined {
  const error = stanza.getChild('error');
  return error?.getChildElements().find((child) => child.attrs.xmlns === stanzaErrorsNs && child.name !== 'text')?.name;
}

/** Resolves when the client's connection is gone (the server closed it). */
export function disconnected(client: Client, ms = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const listener = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      client.off('disconnect', listener);
      reject(new Error('the connection was not closed'));
    }, ms);
    client.on('disconnect', listener);
  });
}

/**
 * Logs in like `login` and also returns the stream features of the authenticated stream (the
 * last <stream:features/> before the session went online).
 */
export async function loginWithFeatures(t: TestServer, username: string, options: ConnectOptions = {}): Promise<{ client: Client; features: Element }> {
  const client = connectClient(t.port('c2s'), username, { mechanism: 'SCRAM-SHA-256', ...options });
  let features: Element | undefined;
  client.on('nonza', (element: Element) => {
    if (element.is('features', 'http://etherx.jabber.org/streams')) features = element;
  });
  try {
    await client.start();
  } catch (error) {
    await stopQuietly(client);
    throw error;
  }
  if (!features) throw new Error('no stream features seen');
  return { client, features };
}

/** A server and one signed-in client, shared by the tests of one file. */
export function serverWithOneClient(): { readonly server: TestServer; readonly client: Client } {
  const context = {} as { server: TestServer; client: Client };
  beforeAll(async () => {
    context.server = await startTestServer();
    const [alice] = freshAccounts(context.server, 'alice');
    context.client = await login(context.server, alice);
  });
  afterAll(async () => {
    await stopQuietly(context.client);
    await context.server.stop();
  });
  return context;
}
