// XEP-0045 §5: affiliations (long-lived, by bare JID) and roles (per visit, by nick), and who may
// do what to whom. Pure functions: the room code asks, these answer with the error a client gets.
import type { StanzaErrorCondition } from '../../util/errors.js';

export type Affiliation = 'owner' | 'admin' | 'member' | 'none' | 'outcast';
export type Role = 'moderator' | 'participant' | 'visitor' | 'none';

export const affiliations: readonly Affiliation[] = ['owner', 'admin', 'member', 'none', 'outcast'];
export const roles: readonly Role[] = ['moderator', 'participant', 'visitor', 'none'];

/** §5.2: the hierarchy, outcast lowest. */
const affiliationRank: Record<Affiliation, number> = { outcast: 0, none: 1, member: 2, admin: 3, owner: 4 };
const roleRank: Record<Role, number> = { none: 0, visitor: 1, participant: 2, moderator: 3 };

export function isAffiliation(value: unknown): value is Affiliation {
  return typeof value === 'string' && (affiliations as readonly string[]).includes(value);
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (roles as readonly string[]).includes(value);
}

export function atLeast(affiliation: Affiliation, minimum: Affiliation): boolean {
  return affiliationRank[affiliation] >= affiliationRank[minimum];
}

export function roleAtLeast(role: Role, minimum: Role): boolean {
  return roleRank[role] >= roleRank[minimum];
}

/** §5.1.2 table "Initial Role Based on Affiliation". */
export function defaultRole(affiliation: Affiliation, moderated: boolean): Role {
  if (affiliation === 'owner' || affiliation === 'admin') return 'moderator';
  if (affiliation === 'member') return 'participant';
  if (affiliation === 'none') return moderated ? 'visitor' : 'participant';
  return 'none';
}

/** §7.2.8, §7.2.7: who may enter at all (the password and the occupant limit come after). */
export function entryRefusal(affiliation: Affiliation, membersOnly: boolean): StanzaErrorCondition | undefined {
  if (affiliation === 'outcast') return 'forbidden';
  if (membersOnly && !atLeast(affiliation, 'member')) return 'registration-required';
  return undefined;
}

export interface Actor {
  affiliation: Affiliation;
  role: Role;
}

/**
 * A moderator changing an occupant's role (§8.2 kick, §8.3-8.4 voice, §9.6-9.7 moderator):
 * undefined when allowed, else the error condition for the request.
 */
export function roleChangeRefusal(actor: Actor, target: Actor, next: Role, self: boolean): StanzaErrorCondition | undefined {
  if (actor.role !== 'moderator') return 'forbidden';
  if (next === 'none') {
    // §8.2: kicking oneself MAY be refused with conflict; a higher affiliation cannot be kicked.
    if (self) return 'conflict';
    return affiliationRank[actor.affiliation] < affiliationRank[target.affiliation] ? 'not-allowed' : undefined;
  }
  const grantsOrRevokesModerator = next === 'moderator' || target.role === 'moderator';
  if (grantsOrRevokesModerator) {
    // §9.6-9.7: only admins and owners assign and remove the moderator role; never from an admin or owner.
    if (!atLeast(actor.affiliation, 'admin')) return 'forbidden';
    if (next !== 'moderator' && atLeast(target.affiliation, 'admin')) return 'not-allowed';
    return undefined;
  }
  if (next === 'visitor') {
    // §8.4: voice is never revoked from an admin or owner, nor from anyone at or above the moderator's affiliation.
    if (atLeast(target.affiliation, 'admin')) return 'not-allowed';
    if (affiliationRank[target.affiliation] >= affiliationRank[actor.affiliation]) return 'not-allowed';
  }
  return undefined;
}

/**
 * An admin or owner changing a user's affiliation (§9.1-9.5 ban and members, §10.3-10.8 owners and
 * admins): admins manage members and bans among users below admin; owners manage everything,
 * except that the last owner cannot step down and nobody can ban themselves.
 */
export function affiliationChangeRefusal(
  actor: Affiliation,
  current: Affiliation,
  next: Affiliation,
  options: { self: boolean; owners: number },
): StanzaErrorCondition | undefined {
  if (!atLeast(actor, 'admin')) return 'forbidden';
  if (options.self && next === 'outcast') return 'conflict'; // §9.1
  if (actor === 'admin') {
    // §10.5, §10.8: only owners edit the owner and admin lists; §9.1: no banning those above.
    if (next === 'admin' || next === 'owner') return 'forbidden';
    if (current === 'admin' || current === 'owner') return 'not-allowed';
    return undefined;
  }
  // §10.7: the last owner cannot give up ownership.
  if (current === 'owner' && next !== 'owner' && options.owners <= 1) return 'conflict';
  return undefined;
}

/**
 * §9.5, §10.5, §10.8, §9.2: who may read an affiliation list. Admins and owners read them all;
 * in a non-anonymous room members may read who belongs (member, admin and owner lists: clients
 * need the JIDs for end-to-end encryption), never the ban list.
 */
export function affiliationListRefusal(actor: Affiliation, list: Affiliation, nonAnonymous: boolean): StanzaErrorCondition | undefined {
  if (list === 'none') return 'bad-request';
  if (atLeast(actor, 'admin')) return undefined;
  if (nonAnonymous && atLeast(actor, 'member') && list !== 'outcast') return undefined;
  return 'forbidden';
}

/** §8.5 voice list for moderators, §9.8 moderator list for admins and owners. */
export function roleListRefusal(actor: Actor, list: Role): StanzaErrorCondition | undefined {
  if (list === 'none') return 'bad-request';
  if (list === 'moderator') return atLeast(actor.affiliation, 'admin') ? undefined : 'forbidden';
  return actor.role === 'moderator' ? undefined : 'forbidden';
}

/** §7.4: visitors have no voice. */
export function maySpeak(role: Role): boolean {
  return roleAtLeast(role, 'participant');
}

/** §8.1: moderators change the subject; participants too when the room allows it. */
export function mayChangeSubject(role: Role, occupantsMayChange: boolean): boolean {
  return role === 'moderator' || (occupantsMayChange && role === 'participant');
}

export type AllowPm = 'anyone' | 'participants' | 'moderators' | 'none';

/** §7.5 with muc#roomconfig_allowpm: who may send private messages. */
export function maySendPrivateMessage(role: Role, allowPm: AllowPm): boolean {
  switch (allowPm) {
    case 'anyone':
      return roleAtLeast(role, 'visitor');
    case 'participants':
      return roleAtLeast(role, 'participant');
    case 'moderators':
      return role === 'moderator';
    case 'none':
      return false;
  }
}

/**
 * §7.8.2: anyone in an open room may invite. In a members-only room, admins and owners may, and
 * so may everyone else when muc#roomconfig_allowinvites is on; the invitee then becomes a member.
 */
export function mayInvite(inviter: Affiliation, membersOnly: boolean, allowInvites: boolean): boolean {
  if (inviter === 'outcast') return false;
  if (!membersOnly) return true;
  return atLeast(inviter, 'admin') || allowInvites;
}

/** §7.2.3-7.2.4: real JIDs go to everyone in a non-anonymous room, to moderators in a semi-anonymous one. */
export function maySeeRealJids(viewer: Role, whois: 'anyone' | 'moderators'): boolean {
  return whois === 'anyone' || viewer === 'moderator';
}
