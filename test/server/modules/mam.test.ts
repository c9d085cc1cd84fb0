// XEP-0313 message archive management with XEP-0059 paging and XEP-0359 stanza ids: what is
// archived for whom, how clients page through it, preferences, and retention.
import type { Client, Element } from '@xmpp/client';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openStorage } from '../../../server/core/storage/index.js';
import { archiveStoreName, clock, expireArchive } from '../../../server/modules/mam.js';
import { rawLogin } from '../../support/raw-streams.js';
import { defaultPassword, nextStanza, startTestServer, stopQuietly, xml, type TestServer } from '../../support/server.js';
import { bare, freshAccounts, login, record, settle } from '../../support/stanzas.js';

const mamNs = 'urn:xmpp:mam:2';
const sidNs = 'urn:xmpp:sid:0';
const rsmNs = 'http://jabber.org/protocol/rsm';
const forwardNs = 'urn:xmpp:forward:0';
const delayNs = 'urn:xmpp:delay';
const dataNs = 'jabber:x:data';
const discoInfoNs = 'http://jabber.org/protocol/disco#info';
const chatStatesNs = 'http://jabber.org/protocol/chatstates';
const hintsNs = 'urn:xmpp:hints';
const day = 24 * 60 * 60 * 1000;
const realClock = clock.now;

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.stop());
afterEach(() => {
  clock.now = realClock;
});

interface QueryOptions {
  ns?: string;
  with?: string;
  start?: string;
  end?: string;
  beforeId?: string;
  afterId?: string;
  ids?: string[];
  /** Any other form field, as the client would send it. */
  extraField?: string;
  max?: number;
  after?: string;
  /** '' for the last page. */
  before?: string;
  index?: number;
  flip?: boolean;
}

let queryCounter = 0;

/** A MAM query of the client's own archive: the result messages for it, and the <fin/>. */
async function queryArchive(client: Client, options: QueryOptions = {}): Promise<{ results: Element[]; fin: Element }> {
  const ns = options.ns ?? mamNs;
  const queryid = `q${++queryCounter}`;
  const fields: Element[] = [xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, ns))];
  const field = (name: string, values: string[]) => fields.push(xml('field', { var: name }, ...values.map((v) => xml('value', {}, v))));
  if (options.with !== undefined) field('with', [options.with]);
  if (options.start !== undefined) field('start', [options.start]);
  if (options.end !== undefined) field('end', [options.end]);
  if (options.beforeId !== undefined) field('before-id', [options.beforeId]);
  if (options.afterId !== undefined) field('after-id', [options.afterId]);
  if (options.ids !== undefined) field('ids', options.ids);
  if (options.extraField !== undefined) field(options.extraField, ['x']);
  const set: Element[] = [];
  if (options.max !== undefined) set.push(xml('max', {}, String(options.max)));
  if (options.after !== undefined) set.push(xml('after', {}, options.after));
  if (options.before !== undefined) set.push(options.before === '' ? xml('before') : xml('before', {}, options.before));
  if (options.index !== undefined) set.push(xml('index', {}, String(options.index)));
  const children = [xml('x', { xmlns: dataNs, type: 'submit' }, ...fields)];
  if (set.length > 0) children.push(xml('set', { xmlns: rsmNs }, ...set));
  if (options.flip) children.push(xml('flip-page'));

  const results = record(client, (s) => s.is('message') && s.getChild('result', ns)?.attrs.queryid === queryid);
  try {
    const answer = await client.iqCaller.request(xml('iq', { type: 'set' }, xml('query', { xmlns: ns, queryid }, ...children)));
    return { results: results.stanzas, fin: answer.getChild('fin', ns)! };
  } finally {
    results.stop();
  }
}

function resultIds(results: Element[], ns = mamNs): string[] {
  return results.map((m) => String(m.getChild('result', ns)!.attrs.id));
}

/** The archived message inside a result. */
function forwardedMessage(result: Element, ns = mamNs): Element {
  return result.getChild('result', ns)!.getChild('forwarded', forwardNs)!.getChild('message')!;
}

function bodies(results: Element[]): string[] {
  return results.map((m) => forwardedMessage(m).getChildText('body') ?? '');
}

function rsm(fin: Element) {
  const set = fin.getChild('set', rsmNs)!;
  return {
    complete: fin.attrs.complete,
    first: set.getChildText('first') ?? undefined,
    index: set.getChild('first')?.attrs.index,
    last: set.getChildText('last') ?? undefined,
    count: set.getChildText('count'),
  };
}

/** The stanza-ids the account's server put on a message it delivered. */
function stanzaIdsBy(message: Element, by: string): string[] {
  return message.getChildren('stanza-id', sidNs).filter((s) => s.attrs.by === by).map((s) => String(s.attrs.id));
}

function chat(to: string, body: string, ...extra: Element[]): Element {
  return xml('message', { type: 'chat', to }, xml('body', {}, body), ...extra);
}

/** Sends a message and waits until the recipient has it; returns what arrived. */
async function exchange(from: Client, to: Client, message: Element): Promise<Element> {
  const body = message.getChildText('body');
  const arrived = nextStanza(to, (s) => s.is('message') && s.getChildText('body') === body);
  await from.send(message);
  return arrived;
}

describe('a conversation of 60 messages', () => {
  const base = Date.now() - 2 * day;
  const at = (i: number) => base + i * 60_000;
  let alice: string;
  let bob: string;
  let carol: string;
  let a: Client;
  let b: Client;
  let c: Client;
  /** The stanza-ids on what bob received, in order. */
  const received: string[] = [];
  /** Which of the 60 messages carol sent. */
  const fromCarol = (i: number) => i % 3 === 2;

  beforeAll(async () => {
    [alice, bob, carol] = freshAccounts(t, 'alice', 'bob', 'carol');
    a = await login(t, alice, { resource: 'phone' });
    b = await login(t, bob, { resource: 'laptop' });
    c = await login(t, carol, { resource: 'tablet' });
    for (let i = 0; i < 60; i++) {
      clock.now = () => at(i);
      const message = await exchange(fromCarol(i) ? c : a, b, chat(bare(bob), `message ${i}`));
      received.push(...stanzaIdsBy(message, bare(bob)));
    }
    clock.now = realClock;
  });
  afterAll(async () => {
    await Promise.all([a, b, c].map((client) => stopQuietly(client)));
  });

  it('gives every delivered message one stanza-id from the recipient account', () => {
    expect(received).toHaveLength(60);
    expect(new Set(received).size).toBe(60);
  });

  it('pages forward 20 at a time with exactly the delivered ids, complete only on the last page', async () => {
    const pages = [];
    let after: string | undefined;
    for (let n = 0; n < 3; n++) {
      const page = await queryArchive(b, { max: 20, after });
      pages.push(page);
      after = rsm(page.fin).last;
    }
    expect(pages.map((p) => resultIds(p.results))).toEqual([received.slice(0, 20), received.slice(20, 40), received.slice(40)]);
    expect(pages.map((p) => rsm(p.fin).complete)).toEqual(['false', 'false', 'true']);
    expect(rsm(pages[1]!.fin)).toEqual({ complete: 'false', first: received[20], index: '20', last: received[39], count: '60' });
    expect(bodies(pages[2]!.results).at(-1)).toBe('message 59');
  });

  it('pages backward from the end with an empty before', async () => {
    const last = await queryArchive(b, { max: 20, before: '' });
    expect(resultIds(last.results)).toEqual(received.slice(40));
    expect(rsm(last.fin)).toMatchObject({ complete: 'false', index: '40', count: '60' });
    const previous = await queryArchive(b, { max: 20, before: rsm(last.fin).first });
    expect(resultIds(previous.results)).toEqual(received.slice(20, 40));
    const earliest = await queryArchive(b, { max: 25, before: rsm(previous.fin).first });
    expect(resultIds(earliest.results)).toEqual(received.slice(0, 20));
    expect(rsm(earliest.fin).complete).toBe('true');
  });

  it('forwards each message as received, with the time it was archived', async () => {
    const { results } = await queryArchive(b, { max: 3 });
    const result = results[2]!;
    expect(result.attrs.to).toBe(b.jid!.toString());
    const forwarded = result.getChild('result', mamNs)!.getChild('forwarded', forwardNs)!;
    expect(Date.parse(String(forwarded.getChild('delay', delayNs)!.attrs.stamp))).toBe(at(2));
    const message = forwarded.getChild('message')!;
    expect(message.attrs).toMatchObject({ xmlns: 'jabber:client', type: 'chat', from: `${bare(carol)}/tablet`, to: bare(bob) });
    expect(message.getChildText('body')).toBe('message 2');
  });

  it('filters by the other party', async () => {
    const { results, fin } = await queryArchive(b, { with: bare(carol) });
    const expected = received.filter((_, i) => fromCarol(i));
    expect(resultIds(results)).toEqual(expected);
    expect(rsm(fin)).toMatchObject({ complete: 'true', count: '20' });
  });

  it("filters by the other party's full JID only when the resource matches", async () => {
    expect((await queryArchive(b, { with: `${bare(carol)}/tablet` })).results).toHaveLength(20);
    expect((await queryArchive(b, { with: `${bare(carol)}/phone` })).results).toHaveLength(0);
  });

  it('filters by start and end, both included', async () => {
    const { results, fin } = await queryArchive(b, { start: new Date(at(10)).toISOString(), end: new Date(at(19)).toISOString() });
    expect(resultIds(results)).toEqual(received.slice(10, 20));
    expect(rsm(fin).count).toBe('10');
  });

  it('accepts times with a zone offset', async () => {
    // A whole second between messages 57 and 58, written as the local time of UTC+2.
    const between = Math.floor((at(57) + 30_000) / 1000) * 1000;
    const start = new Date(between + 2 * 60 * 60 * 1000).toISOString().replace(/\.000Z$/, '+02:00');
    const { results } = await queryArchive(b, { start });
    expect(bodies(results)).toEqual(['message 58', 'message 59']);
  });

  it('returns what lies between after-id and before-id', async () => {
    const { results, fin } = await queryArchive(b, { afterId: received[4], beforeId: received[10] });
    expect(resultIds(results)).toEqual(received.slice(5, 10));
    expect(rsm(fin)).toMatchObject({ complete: 'true', count: '5' });
  });

  it('fetches single messages by id', async () => {
    const { results } = await queryArchive(b, { ids: [received[7]!, received[3]!] });
    expect(resultIds(results)).toEqual([received[3], received[7]]);
  });

  it('sends a page in reverse when asked to flip it', async () => {
    const { results, fin } = await queryArchive(b, { max: 5, before: '', flip: true });
    expect(resultIds(results)).toEqual(received.slice(55).reverse());
    expect(rsm(fin)).toMatchObject({ first: received[55], last: received[59] });
  });

  it('skips to an index', async () => {
    const { results, fin } = await queryArchive(b, { max: 5, index: 30 });
    expect(resultIds(results)).toEqual(received.slice(30, 35));
    expect(rsm(fin).index).toBe('30');
  });

  it('answers with the count alone when max is 0', async () => {
    const { results, fin } = await queryArchive(b, { max: 0 });
    expect(results).toEqual([]);
    expect(rsm(fin)).toMatchObject({ count: '60', first: undefined });
  });

  it('limits an unbounded query to one page of 50', async () => {
    const { results, fin } = await queryArchive(b);
    expect(resultIds(results)).toEqual(received.slice(0, 50));
    expect(rsm(fin).complete).toBe('false');
  });

  it("keeps the sender's copies in the sender's own archive", async () => {
    const { results, fin } = await queryArchive(a, { with: bare(bob) });
    expect(rsm(fin).count).toBe('40');
    expect(bodies(results).slice(0, 3)).toEqual(['message 0', 'message 1', 'message 3']);
    expect(forwardedMessage(results[0]!).attrs.from).toBe(`${bare(alice)}/phone`);
    // The sender's archive has its own ids, not the recipient's.
    expect(resultIds(results).some((id) => received.includes(id))).toBe(false);
  });

  it('describes the first and last message of the archive', async () => {
    const answer = await b.iqCaller.request(xml('iq', { type: 'get' }, xml('metadata', { xmlns: mamNs })));
    const metadata = answer.getChild('metadata', mamNs)!;
    expect(metadata.getChild('start')!.attrs).toEqual({ id: received[0], timestamp: new Date(at(0)).toISOString() });
    expect(metadata.getChild('end')!.attrs).toEqual({ id: received[59], timestamp: new Date(at(59)).toISOString() });
  });

  it('answers an unknown after-id with item-not-found', async () => {
    await expect(queryArchive(b, { afterId: 'no-such-id' })).rejects.toMatchObject({ condition: 'item-not-found' });
  });

  it('answers an unknown RSM after, or an id from another archive, with item-not-found', async () => {
    await expect(queryArchive(b, { after: 'no-such-id' })).rejects.toMatchObject({ condition: 'item-not-found' });
    await expect(queryArchive(a, { ids: [received[0]!] })).rejects.toMatchObject({ condition: 'item-not-found' });
  });

  it('answers a date that is not XEP-0082 with bad-request', async () => {
    await expect(queryArchive(b, { start: 'yesterday' })).rejects.toMatchObject({ condition: 'bad-request' });
    await expect(queryArchive(b, { end: '2030-02-30T00:00:00Z' })).rejects.toMatchObject({ condition: 'bad-request' });
  });

  it('answers a form field it does not know with feature-not-implemented', async () => {
    await expect(queryArchive(b, { extraField: '{urn:example}full-text' })).rejects.toMatchObject({ condition: 'feature-not-implemented' });
  });

  it('answers the older urn:xmpp:mam:1 namespace the same way', async () => {
    const ns = 'urn:xmpp:mam:1';
    const { results, fin } = await queryArchive(b, { ns, max: 2 });
    expect(resultIds(results, ns)).toEqual(received.slice(0, 2));
    expect(fin.getChild('set', rsmNs)!.getChildText('count')).toBe('60');
  });

  it("refuses to show an account's archive to anyone else", async () => {
    const query = xml('query', { xmlns: mamNs, queryid: 'peek' });
    await expect(a.iqCaller.request(xml('iq', { type: 'set', to: bare(bob) }, query))).rejects.toMatchObject({ condition: 'forbidden' });
  });
});

describe('archiving', () => {
  it('puts the archive id on the delivered message as its stanza-id', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await login(t, alice);
    const b = await login(t, bob);
    const delivered = await exchange(a, b, chat(bare(bob), 'find me'));
    const ids = stanzaIdsBy(delivered, bare(bob));
    expect(ids).toHaveLength(1);
    expect(ids[0]).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const { results } = await queryArchive(b, { ids });
    expect(resultIds(results)).toEqual(ids);
    expect(bodies(results)).toEqual(['find me']);
    await stopQuietly(a);
    await stopQuietly(b);
  });

  it("removes a stanza-id the sender forged in the recipient's name", async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await login(t, alice);
    const b = await login(t, bob);
    const forged = xml('stanza-id', { xmlns: sidNs, by: bare(bob), id: 'forged' });
    const other = xml('stanza-id', { xmlns: sidNs, by: 'room@conference.example.org', id: 'kept' });
    const delivered = await exchange(a, b, chat(bare(bob), 'trust me', forged, other));
    const ids = stanzaIdsBy(delivered, bare(bob));
    expect(ids).toHaveLength(1);
    expect(ids[0]).not.toBe('forged');
    // XEP-0359 §3 rule 3: other entities' ids pass untouched.
    expect(stanzaIdsBy(delivered, 'room@conference.example.org')).toEqual(['kept']);
    await stopQuietly(a);
    await stopQuietly(b);
  });

  it('archives OMEMO-encrypted messages, which have no body', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await login(t, alice);
    const b = await login(t, bob);
    const encrypted = xml('message', { type: 'chat', to: bare(bob), id: 'e2ee' }, xml('encrypted', { xmlns: 'urn:xmpp:omemo:2' }, xml('payload', {}, 'c2VjcmV0')));
    const delivered = nextStanza(b, (s) => s.is('message') && s.attrs.id === 'e2ee');
    await a.send(encrypted);
    expect(stanzaIdsBy(await delivered, bare(bob))).toHaveLength(1);
    const { results } = await queryArchive(b);
    expect(forwardedMessage(results[0]!).getChild('encrypted', 'urn:xmpp:omemo:2')?.getChildText('payload')).toBe('c2VjcmV0');
    await stopQuietly(a);
    await stopQuietly(b);
  });

  it('does not archive chat states alone, nor messages marked no-store', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await login(t, alice);
    const b = await login(t, bob);
    const composing = nextStanza(b, (s) => s.is('message') && s.getChild('composing', chatStatesNs) !== undefined);
    await a.send(xml('message', { type: 'chat', to: bare(bob) }, xml('composing', { xmlns: chatStatesNs })));
    expect(stanzaIdsBy(await composing, bare(bob))).toEqual([]);
    const secret = await exchange(a, b, chat(bare(bob), 'off the record', xml('no-store', { xmlns: hintsNs })));
    expect(stanzaIdsBy(secret, bare(bob))).toEqual([]);
    const transient = await exchange(a, b, chat(bare(bob), 'not for long', xml('no-permanent-store', { xmlns: hintsNs })));
    expect(stanzaIdsBy(transient, bare(bob))).toEqual([]);
    await exchange(a, b, chat(bare(bob), 'this one counts'));

    expect(bodies((await queryArchive(b)).results)).toEqual(['this one counts']);
    expect(bodies((await queryArchive(a)).results)).toEqual(['this one counts']);
    await stopQuietly(a);
    await stopQuietly(b);
  });

  it('does not archive headlines or errors', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await login(t, alice);
    const b = await login(t, bob);
    const headline = nextStanza(b, (s) => s.is('message') && s.attrs.type === 'headline');
    await a.send(xml('message', { type: 'headline', to: bare(bob) }, xml('body', {}, 'news')));
    expect(stanzaIdsBy(await headline, bare(bob))).toEqual([]);
    await a.send(xml('message', { type: 'error', to: bare(bob) }, xml('body', {}, 'failed'), xml('error', { type: 'cancel' })));
    await settle(a, b);
    const archive = t.server.storage.archive(archiveStoreName);
    expect(archive.count({ owner: alice })).toBe(0);
    expect(archive.count({ owner: bob })).toBe(0);
    await stopQuietly(a);
    await stopQuietly(b);
  });

  it("archives a message for an offline recipient, whose offline copy carries the archive's id", async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await login(t, alice);
    await a.send(chat(bare(bob), 'while you were out'));
    await settle(a);
    expect(t.server.storage.archive(archiveStoreName).count({ owner: bob })).toBe(1);

    const b = await login(t, bob, { presence: false });
    const offline = nextStanza(b, (s) => s.is('message') && s.getChildText('body') === 'while you were out');
    await b.send(xml('presence'));
    const ids = stanzaIdsBy(await offline, bare(bob));
    expect(ids).toHaveLength(1);
    expect(resultIds((await queryArchive(b)).results)).toEqual(ids);
    await stopQuietly(a);
    await stopQuietly(b);
  });

  it('keeps the archive id of a message that stream management routes again, and archives it once', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const raw = await rawLogin(t.port('c2s'), bob, defaultPassword, 'phone');
    raw.send("<enable xmlns='urn:xmpp:sm:3' resume='true'/>");
    await raw.waitFor(/<enabled [^>]*\/>/);
    raw.send('<presence/>');
    const a = await login(t, alice);
    await a.send(chat(bare(bob), 'never acknowledged'));
    await raw.waitFor(/never acknowledged/);
    // Closing without acknowledging: XEP-0198 hands the message back to the account (offline here).
    raw.send('</stream:stream>');
    await raw.waitForClose();

    const archive = t.server.storage.archive(archiveStoreName);
    const archived = archive.query({ owner: bob });
    expect(archived.ok && archived.items.map((i) => i.id)).toHaveLength(1);
    const stored = t.server.storage.offline.list(bob);
    expect(stored).toHaveLength(1);
    const ids = [...stored[0]!.stanza.matchAll(/<stanza-id [^>]*id="([^"]+)"/g)].map((m) => m[1]);
    expect(ids).toEqual([archived.ok && archived.items[0]!.id]);
    await stopQuietly(a);
  });

  it('archives a message to oneself once, with the same id everywhere', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const phone = await login(t, alice, { resource: 'phone' });
    const laptop = await login(t, alice, { resource: 'laptop' });
    const delivered = await exchange(phone, laptop, chat(`${bare(alice)}/laptop`, 'note to self'));
    const { results } = await queryArchive(phone, { with: bare(alice) });
    expect(resultIds(results)).toEqual(stanzaIdsBy(delivered, bare(alice)));
    await stopQuietly(phone);
    await stopQuietly(laptop);
  });

  it('is announced on the account', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const a = await login(t, alice);
    const answer = await a.iqCaller.request(xml('iq', { type: 'get', to: bare(alice) }, xml('query', { xmlns: discoInfoNs })));
    const features = answer.getChild('query', discoInfoNs)!.getChildren('feature').map((f) => f.attrs.var);
    expect(features).toEqual(expect.arrayContaining([mamNs, 'urn:xmpp:mam:2#extended', 'urn:xmpp:mam:1', sidNs]));
    await stopQuietly(a);
  });

  it('lists the query form fields', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const a = await login(t, alice);
    const answer = await a.iqCaller.request(xml('iq', { type: 'get' }, xml('query', { xmlns: mamNs })));
    const form = answer.getChild('query', mamNs)!.getChild('x', dataNs)!;
    expect(form.attrs.type).toBe('form');
    const fields = form.getChildren('field').map((f) => f.attrs.var);
    expect(fields).toEqual(['FORM_TYPE', 'with', 'start', 'end', 'before-id', 'after-id', 'ids']);
    await stopQuietly(a);
  });

  it("deletes an account's archive with the account", async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await login(t, alice);
    const b = await login(t, bob);
    await exchange(a, b, chat(bare(bob), 'goodbye'));
    const archive = t.server.storage.archive(archiveStoreName);
    expect(archive.count({ owner: bob })).toBe(1);
    await b.iqCaller.request(xml('iq', { type: 'set' }, xml('query', { xmlns: 'jabber:iq:register' }, xml('remove'))));
    expect(archive.count({ owner: bob })).toBe(0);
    expect(archive.count({ owner: alice })).toBe(1);
    await stopQuietly(a);
    await stopQuietly(b);
  });
});

describe('archiving preferences', () => {
  function setPrefs(client: Client, defaultValue: string, never: string[] = [], always: string[] = []): Promise<Element> {
    const list = (name: string, jids: string[]) => xml(name, {}, ...jids.map((jid) => xml('jid', {}, jid)));
    return client.iqCaller.request(xml('iq', { type: 'set' }, xml('prefs', { xmlns: mamNs, default: defaultValue }, list('always', always), list('never', never))));
  }

  it('start as: archive everything', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const a = await login(t, alice);
    const answer = await a.iqCaller.request(xml('iq', { type: 'get' }, xml('prefs', { xmlns: mamNs })));
    const prefs = answer.getChild('prefs', mamNs)!;
    expect(prefs.attrs.default).toBe('always');
    expect(prefs.getChild('always')?.children).toEqual([]);
    expect(prefs.getChild('never')?.children).toEqual([]);
    await stopQuietly(a);
  });

  it('are stored and answered back', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const a = await login(t, alice);
    const answer = await setPrefs(a, 'roster', ['Nosy@Example.org'], ['friend@example.org/home']);
    const prefs = answer.getChild('prefs', mamNs)!;
    expect(prefs.attrs.default).toBe('roster');
    expect(prefs.getChild('never')!.getChildText('jid')).toBe('nosy@example.org');
    const again = await a.iqCaller.request(xml('iq', { type: 'get' }, xml('prefs', { xmlns: mamNs })));
    expect(again.getChild('prefs', mamNs)!.getChild('always')!.getChildText('jid')).toBe('friend@example.org/home');
    await stopQuietly(a);
  });

  it('with a contact on the never list stop archiving that conversation', async () => {
    const [alice, bob, carol] = freshAccounts(t, 'alice', 'bob', 'carol');
    const a = await login(t, alice);
    const b = await login(t, bob);
    const c = await login(t, carol);
    await setPrefs(b, 'always', [bare(alice)]);
    const fromAlice = await exchange(a, b, chat(bare(bob), 'not archived for bob'));
    expect(stanzaIdsBy(fromAlice, bare(bob))).toEqual([]);
    await exchange(c, b, chat(bare(bob), 'archived'));
    expect(bodies((await queryArchive(b)).results)).toEqual(['archived']);
    // Alice's own archive follows her preferences, not bob's.
    expect(bodies((await queryArchive(a)).results)).toEqual(['not archived for bob']);
    await Promise.all([a, b, c].map((client) => stopQuietly(client)));
  });

  it('set to never archive nothing but the always list', async () => {
    const [alice, bob, carol] = freshAccounts(t, 'alice', 'bob', 'carol');
    const a = await login(t, alice);
    const b = await login(t, bob);
    const c = await login(t, carol);
    await setPrefs(b, 'never', [], [bare(carol)]);
    await exchange(a, b, chat(bare(bob), 'from alice'));
    await exchange(c, b, chat(bare(bob), 'from carol'));
    expect(bodies((await queryArchive(b)).results)).toEqual(['from carol']);
    await Promise.all([a, b, c].map((client) => stopQuietly(client)));
  });

  it('set to roster archive only contacts in the roster', async () => {
    const [alice, bob, carol] = freshAccounts(t, 'alice', 'bob', 'carol');
    const a = await login(t, alice);
    const b = await login(t, bob);
    const c = await login(t, carol);
    await setPrefs(b, 'roster');
    await b.iqCaller.request(xml('iq', { type: 'set' }, xml('query', { xmlns: 'jabber:iq:roster' }, xml('item', { jid: bare(carol) }))));
    await exchange(a, b, chat(bare(bob), 'from a stranger'));
    await exchange(c, b, chat(bare(bob), 'from a contact'));
    expect(bodies((await queryArchive(b)).results)).toEqual(['from a contact']);
    await Promise.all([a, b, c].map((client) => stopQuietly(client)));
  });

  it('refuse an unknown default', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const a = await login(t, alice);
    await expect(setPrefs(a, 'sometimes')).rejects.toMatchObject({ condition: 'bad-request' });
    await stopQuietly(a);
  });
});

describe('retention', () => {
  it('removes messages older than archive.retentionDays and keeps newer ones', async () => {
    expect(t.config.archive.retentionDays).toBe(7);
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await login(t, alice);
    const b = await login(t, bob);
    clock.now = () => Date.now() - 8 * day;
    const old = await exchange(a, b, chat(bare(bob), 'last week'));
    expect(stanzaIdsBy(old, bare(bob))).toHaveLength(1);
    clock.now = () => Date.now() - 6 * day;
    await exchange(a, b, chat(bare(bob), 'six days ago'));
    clock.now = realClock;
    await exchange(a, b, chat(bare(bob), 'today'));

    // What the daily job does (it may also have run by itself meanwhile: the outcome is the same).
    expireArchive(t.server.storage, t.config.archive.retentionDays);
    expect(bodies((await queryArchive(b)).results)).toEqual(['six days ago', 'today']);
    expect(bodies((await queryArchive(a)).results)).toEqual(['six days ago', 'today']);
    await stopQuietly(a);
    await stopQuietly(b);
  });

  it('expires by the clock it is given, in every archive', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hearth-expire-'));
    const storage = openStorage(dir, { scramIterations: 4096 });
    try {
      const archive = storage.archive(archiveStoreName);
      const now = Date.UTC(2030, 5, 15, 12);
      for (const [owner, age] of [['alice', 10], ['alice', 7.5], ['bob', 8], ['alice', 6.9], ['bob', 1]] as const) {
        archive.append({ owner, with: 'x@example.org', stanza: '<message/>', timestamp: now - age * day });
      }
      expect(expireArchive(storage, 7, now)).toBe(3);
      expect(archive.count({ owner: 'alice' })).toBe(1);
      expect(archive.count({ owner: 'bob' })).toBe(1);
      // 0 days keeps nothing.
      expect(expireArchive(storage, 0, now)).toBe(2);
    } finally {
      storage.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('with archive.retentionDays 0', () => {
  let off: TestServer;
  beforeAll(async () => {
    off = await startTestServer({ archive: { retentionDays: 0 } });
  });
  afterAll(() => off.stop());

  it('archives nothing and offers no archive', async () => {
    const [alice, bob, carol] = freshAccounts(off, 'alice', 'bob', 'carol');
    const a = await login(off, alice);
    const b = await login(off, bob);
    const delivered = await exchange(a, b, chat(bare(bob), 'gone once read'));
    expect(delivered.getChildren('stanza-id', sidNs)).toEqual([]);
    // Carol is offline: her message waits in offline storage, not in an archive.
    await a.send(chat(bare(carol), 'for later'));
    await settle(a);
    expect(off.server.storage.offline.count(carol)).toBe(1);
    const archive = off.server.storage.archive(archiveStoreName);
    for (const owner of [alice, bob, carol]) expect(archive.count({ owner })).toBe(0);

    const disco = await b.iqCaller.request(xml('iq', { type: 'get', to: bare(bob) }, xml('query', { xmlns: discoInfoNs })));
    const features = disco.getChild('query', discoInfoNs)!.getChildren('feature').map((f) => f.attrs.var);
    expect(features).not.toContain(mamNs);
    await expect(queryArchive(b)).rejects.toMatchObject({ condition: 'service-unavailable' });
    await stopQuietly(a);
    await stopQuietly(b);
  });

  it("still removes stanza-ids forged in the recipient's name", async () => {
    const [alice, bob] = freshAccounts(off, 'alice', 'bob');
    const a = await login(off, alice);
    const b = await login(off, bob);
    const delivered = await exchange(a, b, chat(bare(bob), 'trust me', xml('stanza-id', { xmlns: sidNs, by: bare(bob), id: 'forged' })));
    expect(delivered.getChildren('stanza-id', sidNs)).toEqual([]);
    await stopQuietly(a);
    await stopQuietly(b);
  });
});
