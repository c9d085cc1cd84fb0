// XEP-0313: Message Archive Management — https://xmpp.org/extensions/xep-0313.html
// with XEP-0359: Unique and Stable Stanza IDs — https://xmpp.org/extensions/xep-0359.html
// XEP-0441: Message Archive Management Preferences — https://xmpp.org/extensions/xep-0441.html
// XEP-0059: Result Set Management — https://xmpp.org/extensions/xep-0059.html
//
// Every account has an archive of the 1:1 messages it sent and received, so each of its devices
// can fetch the history it missed. Messages stay `archive.retentionDays` days (7 by default);
// 0 turns the archive off. Each message delivered to an account carries its archive id as a
// XEP-0359 stanza-id, which clients use to page from what they already have.
import { Element, parse } from 'ltx';
import type { StanzaEvent } from '../core/events.js';
import { defineModule, type ModuleApi } from '../core/module-host.js';
import type { ArchiveItem, ArchivePage, ArchiveQuery } from '../core/storage/archive.js';
import type { Storage } from '../core/storage/index.js';
import type { KeyValueStore } from '../core/storage/keyval.js';
import { addField, dataForm, readForm } from '../util/dataforms.js';
import { StanzaError } from '../util/errors.js';
import { parseJid, type Jid } from '../util/jid.js';
import { NS } from '../util/namespaces.js';
import { parseRsm, rsmNs, rsmResult } from '../util/rsm.js';
import { elementChildren, errorReply, iqResult } from '../util/stanza.js';
import { serialize } from '../util/xml.js';
import { accountDiscoKey } from './disco.js';

export const mamNs = 'urn:xmpp:mam:2';
/** The previous namespace, still used by some clients; the protocol is the same. */
export const mamNs1 = 'urn:xmpp:mam:1';
const mamExtended = 'urn:xmpp:mam:2#extended';
export const sidNs = 'urn:xmpp:sid:0';
const forwardNs = 'urn:xmpp:forward:0';
const hintsNs = 'urn:xmpp:hints';
const xdataValidateNs = 'http://jabber.org/protocol/xdata-validate';
/** OMEMO (XEP-0384), the legacy namespace Conversations uses and the current one. */
const encryptedPayloads = ['eu.siacs.conversations.axolotl', 'urn:xmpp:omemo:2'];

/** The archive of account messages is `mam/messages` in the database. */
export const archiveStoreName = 'mam/messages';
/** RSM page size when the client asks for none, and the most one page may hold. */
export const defaultPageSize = 50;
export const maxPageSize = 250;
const dayMs = 24 * 60 * 60 * 1000;

/**
 * The module's clock: archive timestamps and expiry read the time through it, so tests can
 * archive "days ago" without waiting. Nothing else should change it.
 */
export const clock = { now: (): number => Date.now() };

export type ArchiveDefault = 'always' | 'never' | 'roster';

/** XEP-0441 preferences; JIDs are prepared, bare unless the user gave a resource. */
export interface ArchivePrefs {
  default: ArchiveDefault;
  always: string[];
  never: string[];
}

const defaultPrefs: ArchivePrefs = { default: 'always', always: [], never: [] };

/** Deletes archived messages older than the retention period; returns how many. */
export function expireArchive(storage: Storage, retentionDays: number, now: number = clock.now()): number {
  return storage.archive(archiveStoreName).deleteOlderThan(now - retentionDays * dayMs);
}

/**
 * Whether a message is conversation worth keeping (XEP-0313 §6.1.1: chat and normal messages
 * with a body). Encrypted messages count, so end-to-end encrypted chats have history too; chat
 * states, receipts and markers alone do not. XEP-0334 hints: no-store and no-permanent-store
 * keep a message out, store lets one in.
 */
export function isArchivable(stanza: Element): boolean {
  const type = stanza.attrs.type ?? 'normal';
  if (type !== 'chat' && type !== 'normal') return false;
  if (stanza.getChild('no-store', hintsNs) || stanza.getChild('no-permanent-store', hintsNs)) return false;
  if (stanza.getChild('body')) return true;
  if (encryptedPayloads.some((ns) => stanza.getChild('encrypted', ns))) return true;
  return stanza.getChild('store', hintsNs) !== undefined;
}

export default defineModule({
  name: 'mam',
  setup(mod) {
    const archive = mod.store('messages', 'archive');
    const prefsStore = mod.store('prefs', 'keyval');
    const retentionDays = mod.config.archive.retentionDays;
    const enabled = retentionDays > 0;
    /** Messages an account sent to itself, archived once on the way out: their archive id. */
    const archivedToSelf = new WeakMap<Element, string>();

    // With retention 0 nothing is archived, and the job empties what an earlier setting kept.
    mod.daily('expire', () => {
      const expired = expireArchive(mod.storage, retentionDays, clock.now());
      if (expired > 0) mod.log.info(`expired ${expired} archived messages`);
    });
    mod.hook('user-deleted', ({ username }) => {
      archive.deleteOwner(username);
      prefsStore.delete(username, 'prefs');
    });

    // Outgoing: the sender's copy. Low priority, so modules that refuse a message (blocking)
    // decide first; never stops the event.
    const outgoing = ({ stanza, origin, from, to }: StanzaEvent) => {
      if (!origin) return undefined;
      const username = from.local!;
      const ownJid = `${username}@${mod.host}`;
      removeSpoofedIds(stanza, ownJid);
      if (!enabled || !isArchivable(stanza)) return undefined;
      // A message to a local account that does not exist bounces; it was never sent.
      if (to.domain === mod.host && to.local !== undefined && !mod.storage.accounts.exists(to.local)) return undefined;
      if (!shouldArchive(mod, prefsStore, username, to)) return undefined;
      const id = archive.append({ owner: username, with: to.toBareString(), withResource: to.resource, stanza: serialize(stanza), timestamp: clock.now() });
      if (to.local === username && to.domain === mod.host) archivedToSelf.set(stanza, id);
      return undefined;
    };
    mod.hook('pre-message/bare', outgoing, -500);
    mod.hook('pre-message/full', outgoing, -500);

    // Incoming: the recipient's copy, before delivery (-1000) and before offline storage, which
    // delivery calls, so the copy delivered later carries the stanza-id too. Never stops the event.
    const incoming = ({ stanza, origin, from, to }: StanzaEvent) => {
      const username = to.local!;
      const ownJid = `${username}@${mod.host}`;
      // A message the server routes again (XEP-0198 resending what a lost connection did not
      // acknowledge) was archived on its first pass and keeps that id.
      if (!origin && ownIds(stanza, ownJid).some((id) => archive.has(username, id))) return undefined;
      // XEP-0359 §3 rule 2: any other stanza-id claiming to be ours is a forgery, whatever we do next.
      removeSpoofedIds(stanza, ownJid);
      if (!enabled || !isArchivable(stanza)) return undefined;
      let id = archivedToSelf.get(stanza);
      if (id === undefined) {
        if (!mod.storage.accounts.exists(username)) return undefined;
        if (!shouldArchive(mod, prefsStore, username, from)) return undefined;
        id = archive.append({ owner: username, with: from.toBareString(), withResource: from.resource, stanza: serialize(stanza), timestamp: clock.now() });
      }
      stanza.c('stanza-id', { xmlns: sidNs, by: ownJid, id });
      return undefined;
    };
    mod.hook('message/bare', incoming, 1);
    mod.hook('message/full', incoming, 1);

    if (!enabled) return;

    for (const feature of [mamNs, mamExtended, mamNs1, sidNs]) mod.addFeature(feature, accountDiscoKey);

    for (const ns of [mamNs, mamNs1]) {
      mod.hook(`iq-get/self/${ns}:query`, ({ stanza, reply }) => {
        const query = new Element('query', { xmlns: ns });
        query.cnode(archiveQueryForm(ns));
        reply(iqResult(stanza, query));
        return true;
      });

      mod.hook(`iq-set/self/${ns}:query`, ({ stanza, payload, origin, reply }) => {
        if (!origin?.jid) return undefined;
        const request = parseArchiveQuery(ns, payload, origin.username!);
        if (!request.ok) {
          reply(errorReply(stanza, request.error));
          return true;
        }
        const result = archive.query(request.query);
        if (!result.ok) {
          reply(errorReply(stanza, new StanzaError('item-not-found', 'no message in the archive has that id')));
          return true;
        }
        const ownJid = origin.jid.toBareString();
        const items = request.flipPage ? [...result.items].reverse() : result.items;
        // The results go to the asking session only, all before the answer (§4).
        for (const item of items) {
          const forwarded = resultMessage(ns, item, payload.attrs.queryid as string | undefined, origin.jid.toString(), ownJid);
          if (forwarded) origin.send(forwarded);
          else mod.log.warn('skipped an unreadable archived message');
        }
        reply(iqResult(stanza, archiveFin(ns, result)));
        return true;
      });

      // XEP-0441 preferences.
      mod.hook(`iq-get/self/${ns}:prefs`, ({ stanza, from, reply }) => {
        reply(iqResult(stanza, prefsElement(ns, prefsStore.get<ArchivePrefs>(from.local!, 'prefs') ?? defaultPrefs)));
        return true;
      });

      mod.hook(`iq-set/self/${ns}:prefs`, ({ stanza, payload, from, reply }) => {
        const prefs = parsePrefs(payload);
        if (prefs instanceof StanzaError) {
          reply(errorReply(stanza, prefs));
          return true;
        }
        prefsStore.set(from.local!, 'prefs', prefs);
        reply(iqResult(stanza, prefsElement(ns, prefs)));
        return true;
      });

      // An archive is its owner's alone (§8.1: "the error condition SHOULD be 'forbidden'").
      for (const type of ['get', 'set'] as const) {
        for (const name of ['query', 'prefs', 'metadata']) {
          mod.hook(`iq-${type}/bare/${ns}:${name}`, ({ stanza, from, to, reply }) => {
            // The owner's own requests reach here only when nothing above answered them.
            if (from.local === to.local && from.domain === to.domain) return undefined;
            reply(errorReply(stanza, new StanzaError('forbidden', 'only the owner can read an archive')));
            return true;
          });
        }
      }
    }

    // §5: the first and last message of the archive.
    mod.hook(`iq-get/self/${mamNs}:metadata`, ({ stanza, from, reply }) => {
      const metadata = new Element('metadata', { xmlns: mamNs });
      const first = archive.query({ owner: from.local!, limit: 1 });
      const last = archive.query({ owner: from.local!, limit: 1, reverse: true });
      if (first.ok && last.ok && first.items[0] && last.items[0]) {
        metadata.c('start', { id: first.items[0].id, timestamp: stamp(first.items[0].timestamp) });
        metadata.c('end', { id: last.items[0].id, timestamp: stamp(last.items[0].timestamp) });
      }
      reply(iqResult(stanza, metadata));
      return true;
    });
  },
});

function stanzaIdsBy(stanza: Element, by: string): Element[] {
  return stanza.getChildren('stanza-id', sidNs).filter((child) => parseJid(String(child.attrs.by ?? ''))?.toString() === by);
}

/** The ids of the stanza-ids that say they come from `by`. */
function ownIds(stanza: Element, by: string): string[] {
  return stanzaIdsBy(stanza, by).map((child) => String(child.attrs.id ?? ''));
}

/** XEP-0359 §3 rule 2: remove every stanza-id that claims to come from `by`. */
function removeSpoofedIds(stanza: Element, by: string): void {
  for (const child of stanzaIdsBy(stanza, by)) stanza.remove(child);
}

/**
 * XEP-0441 §2: the lists win over the default, and the never list over the always list (the
 * specification leaves that open; privacy first). §2.3: bare JIDs in the lists match any
 * resource, full ones only themselves; the roster is checked with the bare JID.
 */
function shouldArchive(mod: ModuleApi, prefsStore: KeyValueStore, username: string, contact: Jid): boolean {
  const prefs = prefsStore.get<ArchivePrefs>(username, 'prefs') ?? defaultPrefs;
  const bare = contact.toBareString();
  const full = contact.toString();
  const listed = (list: string[]) => list.some((jid) => (jid.includes('/') ? jid === full : jid === bare));
  if (listed(prefs.never)) return false;
  if (listed(prefs.always)) return true;
  if (prefs.default === 'always') return true;
  if (prefs.default === 'never') return false;
  return bare === `${username}@${mod.host}` || mod.storage.roster.item(username, bare)?.listed === true;
}

function parsePrefs(payload: Element): ArchivePrefs | StanzaError {
  const value = payload.attrs.default as string | undefined;
  if (value !== 'always' && value !== 'never' && value !== 'roster') {
    return new StanzaError('bad-request', "default must be 'always', 'never' or 'roster'");
  }
  const lists: Record<'always' | 'never', string[]> = { always: [], never: [] };
  for (const name of ['always', 'never'] as const) {
    for (const element of payload.getChildren(name)) {
      for (const child of element.getChildren('jid')) {
        const jid = parseJid(child.getText().trim());
        if (!jid) return new StanzaError('jid-malformed', `an entry of <${name}/> is not a valid JID`);
        if (!lists[name].includes(jid.toString())) lists[name].push(jid.toString());
      }
    }
    if (lists[name].length > 1000) return new StanzaError('policy-violation', `<${name}/> lists too many JIDs`);
  }
  return { default: value, ...lists };
}

function prefsElement(ns: string, prefs: ArchivePrefs): Element {
  const element = new Element('prefs', { xmlns: ns, default: prefs.default });
  for (const name of ['always', 'never'] as const) {
    const list = element.c(name);
    for (const jid of prefs[name]) list.c('jid').t(jid);
  }
  return element;
}

/** §4.1.5: the fields a query form may carry (the group chat archive offers the same). */
export function archiveQueryForm(ns: string): Element {
  const form = dataForm('form', ns, [
    { var: 'with', type: 'jid-single' },
    { var: 'start', type: 'text-single' },
    { var: 'end', type: 'text-single' },
    { var: 'before-id', type: 'text-single' },
    { var: 'after-id', type: 'text-single' },
  ]);
  // §4.1.5: list-multi with an open list, never the list of every id.
  addField(form, { var: 'ids', type: 'list-multi' }).c('validate', { xmlns: xdataValidateNs, datatype: 'xs:string' }).c('open');
  return form;
}

/** §4.3: the query's answer, with the page's RSM set. */
export function archiveFin(ns: string, page: ArchivePage): Element {
  const fin = new Element('fin', { xmlns: ns, complete: page.complete ? 'true' : 'false' });
  fin.cnode(rsmResult(page));
  return fin;
}

export type ParsedQuery = { ok: true; query: ArchiveQuery; flipPage: boolean } | { ok: false; error: StanzaError };

const knownFields = new Set(['FORM_TYPE', 'with', 'start', 'end', 'before-id', 'after-id', 'ids']);

/**
 * A query's data form (§4.1) and RSM set (§4.3) as a query of `owner`'s archive (an account's, or
 * a room's: `with` is then an occupant JID or the room).
 */
export function parseArchiveQuery(ns: string, payload: Element, owner: string): ParsedQuery {
  if (payload.attrs.node !== undefined) {
    return { ok: false, error: new StanzaError('feature-not-implemented', 'this archive has no nodes') };
  }
  const query: ArchiveQuery = { owner, limit: defaultPageSize };
  const fail = (condition: StanzaError['condition'], text: string): ParsedQuery => ({ ok: false, error: new StanzaError(condition, text) });

  const form = payload.getChild('x', NS.dataForms);
  if (form) {
    const submitted = readForm(form);
    if (submitted.type !== undefined && submitted.type !== 'submit') return fail('bad-request', 'the query form must be of type submit');
    for (const [name, texts] of submitted.fields) {
      if (!knownFields.has(name)) return fail('feature-not-implemented', `the field ${name} is not supported`);
      const values = texts.map((v) => v.trim());
      const value = values[0] ?? '';
      if (name === 'FORM_TYPE') {
        if (value !== ns) return fail('bad-request', `FORM_TYPE must be ${ns}`);
      } else if (name === 'ids') {
        const ids = values.filter((v) => v !== '');
        if (ids.length > maxPageSize) return fail('policy-violation', `at most ${maxPageSize} ids per query`);
        query.ids = ids;
      } else if (value === '') {
        // An empty field is no filter.
      } else if (name === 'with') {
        const jid = parseJid(value);
        if (!jid) return fail('jid-malformed', 'with is not a valid JID');
        query.with = jid.toBareString();
        query.withResource = jid.resource;
      } else if (name === 'start' || name === 'end') {
        const time = parseDateTime(value);
        if (time === undefined) return fail('bad-request', `${name} is not a XEP-0082 date and time`);
        query[name] = time;
      } else if (name === 'before-id') {
        query.beforeId = value;
      } else if (name === 'after-id') {
        query.afterId = value;
      }
    }
  }

  const set = payload.getChild('set', rsmNs);
  if (set) {
    const rsm = parseRsm(set);
    if (rsm instanceof StanzaError) return { ok: false, error: rsm };
    if (rsm.max !== undefined) query.limit = Math.min(rsm.max, maxPageSize);
    if (rsm.after !== undefined) query.after = rsm.after;
    // XEP-0059 §2.5: an empty <before/> asks for the last page.
    if (rsm.lastPage) query.reverse = true;
    if (rsm.before !== undefined) query.before = rsm.before;
    if (rsm.index !== undefined) query.offset = rsm.index;
  }
  return { ok: true, query, flipPage: elementChildren(payload).some((c) => c.name === 'flip-page' && c.getNS() === ns) };
}

/** XEP-0082 §3.2 DateTime: CCYY-MM-DDThh:mm:ss[.sss]TZD, TZD being Z or ±hh:mm. */
const dateTime = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Milliseconds since the epoch, or undefined for anything that is not a real XEP-0082 DateTime. */
export function parseDateTime(text: string): number | undefined {
  const match = dateTime.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour] = match.slice(1, 5).map(Number) as [number, number, number, number];
  // Date.parse rolls 31 February over into March and accepts 24:00; XEP-0082 has neither.
  const calendar = new Date(Date.UTC(year, month - 1, day));
  if (calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day || hour > 23) return undefined;
  const time = Date.parse(text);
  return Number.isNaN(time) ? undefined : time;
}

/** XEP-0082 DateTime in UTC. */
function stamp(ms: number): string {
  return new Date(ms).toISOString();
}

/** §4.2: one archived message, forwarded (XEP-0297) with its XEP-0203 delay, to the asking session. */
function resultMessage(ns: string, item: ArchiveItem, queryId: string | undefined, to: string, ownJid: string): Element | undefined {
  let original: Element;
  try {
    original = parse(item.stanza) as Element;
  } catch {
    return undefined;
  }
  return archiveResultMessage(ns, item, original, queryId, to, ownJid);
}

/** §4.2: `original` (an archived stanza, parsed) as the result message for a query. */
export function archiveResultMessage(
  ns: string,
  item: Pick<ArchiveItem, 'id' | 'timestamp'>,
  original: Element,
  queryId: string | undefined,
  to: string,
  archiveJid: string,
): Element {
  // XEP-0297 §3.2: the forwarded stanza keeps its namespace, or it would inherit the wrapper's.
  if (!original.attrs.xmlns) original.attrs.xmlns = NS.client;
  const message = new Element('message', { to, from: archiveJid });
  const result = message.c('result', queryId === undefined ? { xmlns: ns, id: item.id } : { xmlns: ns, queryid: queryId, id: item.id });
  result.c('forwarded', { xmlns: forwardNs }).c('delay', { xmlns: NS.delay, stamp: stamp(item.timestamp) }).up().cnode(original);
  return message;
}
