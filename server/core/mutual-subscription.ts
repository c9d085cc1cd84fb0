// Server-made contacts between two accounts of this server: what an accepted invitation
// (XEP-0401 §5.5: "the server MUST use roster pushes ... to inform the inviter") and a shared
// circle give. The state is the one RFC 6121 reaches after both people asked and both approved
// (subscription "both", Appendix A), written straight into both rosters, pushed to interested
// devices (§2.1.6), with presence exchanged as §3.1.5 would after an approval.
import { Element, clone } from 'ltx';
import type { ModuleApi } from './module-host.js';
import { newRosterItem, type RosterItem } from './storage/roster.js';
import { sameState, subscriptionHasFrom } from '../util/subscription-state.js';

export type RosterContext = Pick<ModuleApi, 'host' | 'storage' | 'sessions' | 'fire' | 'send'>;

/** What happened to one side's item for the other. */
export interface LinkOutcome {
  /** The contact was not in the roster before (it was added now). */
  added: boolean;
}

/**
 * Makes accounts `a` and `b` subscribed to each other, each in the other's roster, with `group`
 * among the item's groups when given. Returns what happened on each side.
 */
export function linkAccounts(mod: RosterContext, a: string, b: string, group?: string): { a: LinkOutcome; b: LinkOutcome } {
  if (a === b) return { a: { added: false }, b: { added: false } };
  const before = { a: mod.storage.roster.item(a, jidOf(mod, b)), b: mod.storage.roster.item(b, jidOf(mod, a)) };
  const outcome = { a: saveBoth(mod, a, b, before.a, group), b: saveBoth(mod, b, a, before.b, group) };
  // §3.1.5: a new subscriber gets the other's current presence at once, in both directions.
  if (!before.a || !subscriptionHasFrom(before.a.subscription)) sendPresenceOf(mod, a, b);
  if (!before.b || !subscriptionHasFrom(before.b.subscription)) sendPresenceOf(mod, b, a);
  return outcome;
}

/**
 * Ends what linkAccounts made: both subscriptions are cancelled and each is removed from the
 * other's roster, as a roster remove does (RFC 6121 §2.5.2); each one's devices see the other go.
 */
export function unlinkAccounts(mod: RosterContext, a: string, b: string): void {
  if (a === b) return;
  const items = [
    [a, b, mod.storage.roster.item(a, jidOf(mod, b))],
    [b, a, mod.storage.roster.item(b, jidOf(mod, a))],
  ] as const;
  for (const [user, contact, item] of items) {
    if (item && subscriptionHasFrom(item.subscription)) sendUnavailable(mod, user, contact);
  }
  for (const [user, contact, item] of items) {
    if (!item) continue;
    const version = mod.storage.roster.delete(user, item.contact);
    mod.fire('roster-item-changed', { username: user, contact: jidOf(mod, contact), version });
  }
}

/**
 * `username` removes `contact` (an account here) from the roster, as a roster remove does
 * (RFC 6121 §2.5.2): the subscriptions both ways end, the contact's item (if they keep one)
 * shows none, both items are pushed, and each side's devices see the other go offline (§3.2.2).
 */
export function removeContact(mod: RosterContext, username: string, contact: string): void {
  const contactJid = jidOf(mod, contact);
  const item = mod.storage.roster.item(username, contactJid);
  if (item) {
    if (subscriptionHasFrom(item.subscription)) sendUnavailable(mod, username, contact);
    const version = mod.storage.roster.delete(username, contactJid);
    mod.fire('roster-item-changed', { username, contact: contactJid, version });
  }
  const theirs = mod.storage.roster.item(contact, jidOf(mod, username));
  if (!theirs) return;
  if (subscriptionHasFrom(theirs.subscription)) sendUnavailable(mod, contact, username);
  const cancelled: RosterItem = { ...theirs, subscription: 'none', askOut: false, pendingIn: false, pendingInStanza: undefined, preApproved: false };
  if (sameState(theirs, cancelled)) return;
  const version = mod.storage.roster.save(contact, cancelled, theirs.listed);
  if (version !== undefined) mod.fire('roster-item-changed', { username: contact, contact: jidOf(mod, username), version });
}

function sendUnavailable(mod: RosterContext, from: string, to: string): void {
  for (const session of mod.sessions.availableSessionsOf(from)) {
    mod.send(new Element('presence', { type: 'unavailable', from: session.jid!.toString(), to: jidOf(mod, to) }));
  }
}

/** Changes the groups of `username`'s item for `contact` (a bare JID), pushing the change; nothing without an item. */
export function editRosterGroups(mod: RosterContext, username: string, contact: string, edit: (groups: string[]) => string[]): void {
  const item = mod.storage.roster.item(username, contact);
  if (!item?.listed) return;
  const groups = edit(item.groups);
  if (groups.length === item.groups.length && groups.every((g, i) => g === item.groups[i])) return;
  const version = mod.storage.roster.save(username, { ...item, groups }, true)!;
  mod.fire('roster-item-changed', { username, contact, version });
}

function saveBoth(mod: RosterContext, user: string, contact: string, existing: RosterItem | undefined, group: string | undefined): LinkOutcome {
  const contactJid = jidOf(mod, contact);
  const item = existing ?? newRosterItem(contactJid);
  const groups = group !== undefined && !item.groups.includes(group) ? [...item.groups, group] : item.groups;
  const next: RosterItem = {
    ...item,
    listed: true,
    groups,
    subscription: 'both',
    askOut: false,
    pendingIn: false,
    pendingInStanza: undefined,
    preApproved: false,
  };
  const changed = !item.listed || !sameState(item, next) || groups !== item.groups;
  if (changed) {
    const version = mod.storage.roster.save(user, next, true)!;
    mod.fire('roster-item-changed', { username: user, contact: contactJid, version });
  }
  return { added: !existing?.listed };
}

/** Each available device of `from` sends its presence to `to`'s devices. */
function sendPresenceOf(mod: RosterContext, from: string, to: string): void {
  for (const session of mod.sessions.availableSessionsOf(from)) {
    const presence = clone(session.presence!);
    presence.attrs.from = session.jid!.toString();
    presence.attrs.to = jidOf(mod, to);
    mod.send(presence);
  }
}

function jidOf(mod: RosterContext, username: string): string {
  return `${username}@${mod.host}`;
}
