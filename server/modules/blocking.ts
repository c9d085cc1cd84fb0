// XEP-0191: Blocking Command — https://xmpp.org/extensions/xep-0191.html
// A user's blocklist (kept across sessions), the pushes to the user's clients that asked for it,
// and its enforcement: nothing from a blocked JID reaches the user, nothing from the user reaches
// a blocked JID, and the blocked JID sees the user as offline.
import { Element, clone } from 'ltx';
import { randomBytes } from 'node:crypto';
import type { IqEvent, StanzaEvent } from '../core/events.js';
import { defineModule, type ModuleApi } from '../core/module-host.js';
import type { ClientSession } from '../core/session.js';
import type { KeyValueStore } from '../core/storage/keyval.js';
import { StanzaError } from '../util/errors.js';
import { parseJid, type Jid } from '../util/jid.js';
import { canBounce, elementChildren, errorReply, iqResult } from '../util/stanza.js';
import { subscriptionHasFrom } from '../util/subscription-state.js';

export const blockingNs = 'urn:xmpp:blocking';
export const blockingErrorsNs = 'urn:xmpp:blocking:errors';

/** Above the presence module (10) and delivery (-1000): a blocked stanza never reaches them. */
const enforcementPriority = 100;
const maxBlockedJids = 1000;
const storeKey = 'jids';

export default defineModule({
  name: 'blocking',
  setup(mod) {
    mod.addFeature(blockingNs);
    const store = mod.store('blocklist', 'keyval');
    const rulesOf = (username: string): string[] => store.get<string[]>(username, storeKey) ?? [];
    // §3.3: pushes go to the resources that have requested the blocklist.
    const interested = new WeakSet<ClientSession>();

    mod.hook(`iq-get/self/${blockingNs}:blocklist`, ({ stanza, origin, from, reply }) => {
      if (!origin) return undefined;
      interested.add(origin);
      const blocklist = new Element('blocklist', { xmlns: blockingNs });
      for (const jid of rulesOf(from.local!)) blocklist.c('item', { jid });
      reply(iqResult(stanza, blocklist));
      return true;
    });

    mod.hook(`iq-set/self/${blockingNs}:block`, (event) => {
      const { stanza, payload, from, reply } = event;
      const username = from.local!;
      const parsed = parseItems(payload);
      if (parsed instanceof StanzaError) return answer(event, parsed);
      // §3.3: a block without items is a bad request.
      if (parsed.length === 0) return answer(event, new StanzaError('bad-request', 'name at least one JID to block'));
      const current = rulesOf(username);
      const added = parsed.filter((jid) => !current.includes(jid.toString()));
      if (current.length + added.length > maxBlockedJids) return answer(event, new StanzaError('resource-constraint', 'the blocklist is full', 'cancel'));
      // §3.3: the newly blocked see the user go offline. Sent before the block is stored, as the
      // block itself would stop these.
      sendUnavailableTo(mod, username, added);
      saveRules(store, username, [...current, ...added.map((jid) => jid.toString())]);
      reply(iqResult(stanza));
      pushToInterested(mod, interested, username, 'block', parsed);
      return true;
    });

    mod.hook(`iq-set/self/${blockingNs}:unblock`, (event) => {
      const { stanza, payload, from, reply } = event;
      const username = from.local!;
      const parsed = parseItems(payload);
      if (parsed instanceof StanzaError) return answer(event, parsed);
      const current = rulesOf(username);
      // §3.5: an empty unblock lifts every block.
      const lifted = parsed.length === 0 ? current : current.filter((rule) => parsed.some((jid) => jid.toString() === rule));
      const remaining = current.filter((rule) => !lifted.includes(rule));
      saveRules(store, username, remaining);
      reply(iqResult(stanza));
      pushToInterested(mod, interested, username, 'unblock', parsed);
      // §3.4: whoever may see the user's presence and is no longer blocked gets it again.
      sendPresenceTo(mod, username, lifted, remaining);
      return true;
    });

    mod.hook('user-deleted', ({ username }) => {
      store.delete(username, storeKey);
    });

    const isBlockedBy = (username: string, jid: Jid) => matchesAny(rulesOf(username), jid);

    // Outbound (§3.3): what the user's own clients send to a blocked JID goes nowhere, and the
    // client learns why.
    for (const kind of ['message', 'presence', 'iq'] as const) {
      for (const target of ['host', 'bare', 'full'] as const) {
        mod.hook(`pre-${kind}/${target}`, (event) => {
          const { stanza, from, to } = event;
          if (exempt(mod, from, to)) return undefined;
          if (isBlockedBy(from.local!, to)) {
            if (canBounce(stanza)) event.reply(blockedError(stanza));
            return true;
          }
          // Requests to an account are often answered by the server for it (disco#info, PEP),
          // before any handler below could see them: refuse them here when it blocks the sender.
          if (kind === 'iq' && to.local !== undefined && to.domain === mod.host && isBlockedBy(to.local, from)) {
            refuseInbound(event);
            return true;
          }
          return undefined;
        }, enforcementPriority);
      }
    }

    // Inbound (§3.3): whatever arrives for an account from a JID it blocked, and what the server
    // sends on behalf of an account to a JID it blocked (presence broadcasts, probe answers).
    for (const kind of ['message', 'presence', 'iq'] as const) {
      for (const target of ['bare', 'full'] as const) {
        mod.hook(`${kind}/${target}`, (event: StanzaEvent) => {
          const { stanza, origin, from, to } = event;
          if (exempt(mod, from, to)) return undefined;
          if (isBlockedBy(to.local!, from)) {
            refuseInbound(event);
            return true;
          }
          // Errors the server generates answer a blocked JID's own attempts (the refusals above).
          const answering = origin === undefined && stanza.attrs.type === 'error';
          if (!answering && from.local !== undefined && from.domain === mod.host && isBlockedBy(from.local, to)) {
            if (stanza.name !== 'presence' && canBounce(stanza)) event.reply(blockedError(stanza));
            return true;
          }
          return undefined;
        }, enforcementPriority);
      }
    }
  },
});

function answer({ stanza, reply }: IqEvent, error: StanzaError): true {
  reply(errorReply(stanza, error));
  return true;
}

/** The items of a block or unblock request, as prepared JIDs; an error when one is not a JID. */
function parseItems(payload: Element): Jid[] | StanzaError {
  const jids: Jid[] = [];
  for (const item of elementChildren(payload)) {
    if (item.name !== 'item') continue;
    const text = item.attrs.jid as string | undefined;
    if (text === undefined) return new StanzaError('bad-request', 'every item needs a jid');
    const jid = parseJid(text);
    if (!jid) return new StanzaError('jid-malformed', 'an item is not a valid JID');
    if (!jids.some((j) => j.equals(jid))) jids.push(jid);
  }
  return jids;
}

function saveRules(store: KeyValueStore, username: string, rules: string[]): void {
  if (rules.length === 0) store.delete(username, storeKey);
  else store.set(username, storeKey, rules);
}

/**
 * §6 (JID Matching, as XEP-0016): user@domain/resource matches only that resource,
 * user@domain any of its resources, domain/resource only that resource of the domain, and
 * domain the domain itself and every address at it.
 */
export function matchesRule(rule: Jid, jid: Jid): boolean {
  if (rule.domain !== jid.domain) return false;
  if (rule.local === undefined && rule.resource === undefined) return true;
  if (rule.local !== jid.local) return false;
  return rule.resource === undefined || rule.resource === jid.resource;
}

function matchesAny(rules: readonly string[], jid: Jid): boolean {
  for (const rule of rules) {
    const parsed = parseJid(rule);
    if (parsed && matchesRule(parsed, jid)) return true;
  }
  return false;
}

/**
 * Never blocked: one of the user's resources talking to another (§5 note: "MUST NOT block
 * communications from one of a user's resources to another"), and the user's own server.
 */
function exempt(mod: ModuleApi, from: Jid, to: Jid): boolean {
  if (from.local !== undefined && from.local === to.local && from.domain === to.domain) return true;
  const isServer = (jid: Jid) => jid.local === undefined && jid.resource === undefined && jid.domain === mod.host;
  return isServer(from) || isServer(to);
}

/**
 * §3.3: the inbound rules. Presence vanishes without a word; requests and messages meet
 * service-unavailable. Group chat messages are dropped too: a room may expel an occupant whose
 * address bounces errors (XEP-0045), and the user only asked not to hear that one participant.
 */
function refuseInbound({ stanza, reply }: StanzaEvent): void {
  if (stanza.name === 'presence' || !canBounce(stanza)) return;
  if (stanza.name === 'message' && stanza.attrs.type === 'groupchat') return;
  reply(errorReply(stanza, new StanzaError('service-unavailable')));
}

/** §3.3: not-acceptable with the application-specific <blocked/> condition. */
function blockedError(stanza: Element): Element {
  const error = errorReply(stanza, new StanzaError('not-acceptable', undefined, 'cancel'));
  error.getChild('error')!.c('blocked', { xmlns: blockingErrorsNs });
  return error;
}

function pushToInterested(mod: ModuleApi, interested: WeakSet<ClientSession>, username: string, name: 'block' | 'unblock', jids: Jid[]): void {
  for (const session of mod.sessions.sessionsOf(username)) {
    if (!interested.has(session)) continue;
    const push = new Element('iq', { type: 'set', id: `push-${randomBytes(6).toString('hex')}`, to: session.jid!.toString() });
    const payload = push.c(name, { xmlns: blockingNs });
    for (const jid of jids) payload.c('item', { jid: jid.toString() });
    session.send(push);
  }
}

/**
 * The addresses that receive the user's presence (RFC 6121 §4.2.2: contacts with a subscription
 * from the user) among those the rules match. A rule for one resource names that full JID.
 */
function presenceRecipients(mod: ModuleApi, username: string, rules: Jid[]): string[] {
  const recipients: string[] = [];
  for (const item of mod.storage.roster.items(username)) {
    if (!subscriptionHasFrom(item.subscription)) continue;
    const contact = parseJid(item.contact);
    if (!contact) continue;
    for (const rule of rules) {
      if (rule.local !== undefined && rule.resource !== undefined && rule.bare.equals(contact)) recipients.push(rule.toString());
      else if (rule.resource === undefined && matchesRule(rule, contact)) recipients.push(item.contact);
    }
  }
  return [...new Set(recipients)];
}

function sendUnavailableTo(mod: ModuleApi, username: string, rules: Jid[]): void {
  const sessions = mod.sessions.availableSessionsOf(username);
  if (sessions.length === 0) return;
  for (const address of presenceRecipients(mod, username, rules)) {
    for (const session of sessions) mod.send(new Element('presence', { type: 'unavailable', from: session.jid!.toString(), to: address }));
  }
}

function sendPresenceTo(mod: ModuleApi, username: string, lifted: string[], remaining: string[]): void {
  const sessions = mod.sessions.availableSessionsOf(username);
  if (sessions.length === 0 || lifted.length === 0) return;
  const rules = lifted.map((rule) => parseJid(rule)).filter((jid): jid is Jid => jid !== undefined);
  for (const address of presenceRecipients(mod, username, rules)) {
    const jid = parseJid(address);
    if (!jid || matchesAny(remaining, jid)) continue;
    for (const session of sessions) {
      const presence = clone(session.presence!);
      presence.attrs.from = session.jid!.toString();
      presence.attrs.to = address;
      mod.send(presence);
    }
  }
}
