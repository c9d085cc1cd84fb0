// Circle rosters: everyone in a circle has everyone else as a contact (subscription both) under
// the circle's name as roster group (RFC 6121 §2.1.2.2 groups). Joining links the newcomer with
// each member; leaving takes back what the circle gave. Contacts people had before a circle put
// them together stay contacts; only the circle's group goes from them.
import { Element } from 'ltx';
import type { ModuleApi } from '../../core/module-host.js';
import { editRosterGroups, linkAccounts, removeContact, unlinkAccounts } from '../../core/mutual-subscription.js';

type Context = Pick<ModuleApi, 'host' | 'storage' | 'sessions' | 'fire' | 'send'>;

const jidOf = (mod: Context, username: string) => `${username}@${mod.host}`;

/** Links `username` with every other member, under `group`. */
export function linkWithMembers(mod: Context, username: string, members: readonly string[], group: string): void {
  for (const other of members) {
    if (other === username || !mod.storage.accounts.exists(other)) continue;
    const outcome = linkAccounts(mod, username, other, group);
    if (outcome.a.added) mod.storage.circles.markCreatedByCircle(username, jidOf(mod, other));
    if (outcome.b.added) mod.storage.circles.markCreatedByCircle(other, jidOf(mod, username));
  }
}

/**
 * `username` and `others` no longer share the circle `group` (membership is already updated):
 * the group goes from their items for each other, and the contacts the circle created go
 * unless another circle still brings the two together.
 */
export function unlinkFromMembers(mod: Context, username: string, others: readonly string[], group: string): void {
  for (const other of others) {
    if (other !== username) unlinkPair(mod, username, other, group);
  }
}

function unlinkPair(mod: Context, a: string, b: string, group: string): void {
  const circles = mod.storage.circles;
  const withoutGroup = (groups: string[]) => groups.filter((g) => g !== group);
  if (circles.sharedCircles(a, b) > 0) {
    editRosterGroups(mod, a, jidOf(mod, b), withoutGroup);
    editRosterGroups(mod, b, jidOf(mod, a), withoutGroup);
    return;
  }
  const createdForA = circles.createdByCircle(a, jidOf(mod, b));
  const createdForB = circles.createdByCircle(b, jidOf(mod, a));
  circles.forgetCreatedByCircle(a, jidOf(mod, b));
  circles.forgetCreatedByCircle(b, jidOf(mod, a));
  if (createdForA && createdForB) return unlinkAccounts(mod, a, b);
  // One of them had the other as a contact before: that one keeps the item (without the group),
  // the other's goes, and with it the subscription both ways (RFC 6121 §2.5.2).
  for (const [user, contact, created] of [
    [a, b, createdForA],
    [b, a, createdForB],
  ] as const) {
    if (created) removeContact(mod, user, contact);
    else editRosterGroups(mod, user, jidOf(mod, contact), withoutGroup);
  }
}

/** The circle's group is called `name` now instead of `previous`, for every pair of members. */
export function renameGroup(mod: Context, members: readonly string[], previous: string, name: string): void {
  for (const user of members) {
    for (const other of members) {
      if (other === user) continue;
      editRosterGroups(mod, user, jidOf(mod, other), (groups) => {
        const renamed = groups.map((g) => (g === previous ? name : g));
        return [...new Set(renamed)];
      });
    }
  }
}

/**
 * An account is gone: the contacts circles gave others for it go too, and those still online
 * see it go offline (its own roster went with it, so its sessions cannot tell them).
 */
export function forgetDeletedAccount(mod: Context, username: string): void {
  const jid = jidOf(mod, username);
  for (const holder of mod.storage.circles.rostersHolding(jid)) {
    for (const session of mod.sessions.availableSessionsOf(holder)) session.send(unavailableFrom(jid, session.jid!.toString()));
    if (mod.storage.roster.item(holder, jid)) {
      const version = mod.storage.roster.delete(holder, jid);
      mod.fire('roster-item-changed', { username: holder, contact: jid, version });
    }
    mod.storage.circles.forgetCreatedByCircle(holder, jid);
  }
}

/**
 * At start: every circle's members linked (what changed while the server was not running, such
 * as accounts deleted from the command line, is caught up with), nothing pushed when nothing changed.
 */
export function reconcileRosters(mod: Context): void {
  for (const { username, contact } of mod.storage.circles.allCreatedByCircle()) {
    const local = contact.endsWith(`@${mod.host}`) ? contact.slice(0, -mod.host.length - 1) : undefined;
    if (local !== undefined && !mod.storage.accounts.exists(local)) {
      if (mod.storage.roster.item(username, contact)) mod.storage.roster.delete(username, contact);
      mod.storage.circles.forgetCreatedByCircle(username, contact);
    }
  }
  for (const circle of mod.storage.circles.list()) {
    for (const member of circle.members) linkWithMembers(mod, member, circle.members, circle.name);
  }
}

function unavailableFrom(from: string, to: string): Element {
  return new Element('presence', { type: 'unavailable', from, to });
}
