// XEP-0045 §8 and §9 (and the owner and admin lists of §10.3-10.8): the muc#admin requests that
// change roles (kick, voice, moderator) and affiliations (ban, membership, admin, owner), and the
// lists they read. A request with several items is applied entirely or not at all (§9.2).
import { Element } from 'ltx';
import type { IqEvent } from '../../core/events.js';
import { StanzaError } from '../../util/errors.js';
import { parseJid } from '../../util/jid.js';
import { errorReply, iqResult } from '../../util/stanza.js';
import {
  affiliationChangeRefusal,
  affiliationListRefusal,
  atLeast,
  defaultRole,
  isAffiliation,
  isRole,
  roleChangeRefusal,
  roleListRefusal,
  type Affiliation,
  type Role,
} from './roles.js';
import type { Occupant, Room } from './room.js';
import type { MucService } from './service.js';
import { mucAdminNs, Status } from './stanzas.js';

type Change =
  | { kind: 'role'; occupant: Occupant; role: Role; reason: string | undefined }
  | { kind: 'affiliation'; jid: string; affiliation: Affiliation; reason: string | undefined };

/** The room an admin request is for, or the error to answer with (§7.2.11: a locked room is not there yet). */
export function targetRoom(muc: MucService, event: IqEvent): Room | StanzaError {
  const { to, from } = event;
  const room = to.resource === undefined ? muc.rooms.get(to.toBareString()) : undefined;
  if (!room || (room.locked && room.affiliationOf(from.toBareString()) !== 'owner')) return new StanzaError('item-not-found', 'no such room');
  return room;
}

function answer(event: IqEvent, result: Element | StanzaError | undefined): true {
  event.reply(result instanceof StanzaError ? errorReply(event.stanza, result, event.to.toBareString()) : iqResult(event.stanza, result));
  return true;
}

/** The requester as an actor: its affiliation, and the role of the device asking (none when not in the room). */
function actorOf(room: Room, event: IqEvent): { affiliation: Affiliation; role: Role; occupant: Occupant | undefined } {
  const occupant = room.occupantWithSession(event.from.toString());
  return { affiliation: room.affiliationOf(event.from.toBareString()), role: occupant?.role ?? 'none', occupant };
}

/** §8.5, §9.2, §9.5, §9.8, §10.5, §10.8: a list by role or by affiliation. */
export function adminGet(muc: MucService, event: IqEvent): true {
  const room = targetRoom(muc, event);
  if (room instanceof StanzaError) return answer(event, room);
  const item = event.payload.getChild('item');
  const actor = actorOf(room, event);
  const query = new Element('query', { xmlns: mucAdminNs });
  const affiliation = item?.attrs.affiliation;
  const role = item?.attrs.role;
  if (isAffiliation(affiliation)) {
    const refusal = affiliationListRefusal(actor.affiliation, affiliation, room.config.whois === 'anyone');
    if (refusal) return answer(event, new StanzaError(refusal));
    for (const { jid, reason } of room.withAffiliation(affiliation)) {
      const occupant = room.occupantOf(jid);
      const entry = query.c('item', occupant ? { affiliation, jid, nick: occupant.nick, role: occupant.role } : { affiliation, jid });
      if (reason) entry.c('reason').t(reason);
    }
    return answer(event, query);
  }
  if (isRole(role)) {
    const refusal = roleListRefusal(actor, role);
    if (refusal) return answer(event, new StanzaError(refusal));
    const seeJids = muc.maySeeJids(room, actor.occupant);
    for (const occupant of room.occupants.values()) {
      if (occupant.role !== role) continue;
      const attrs: Record<string, string> = { affiliation: room.affiliationOf(occupant.bareJid), nick: occupant.nick, role };
      if (seeJids) attrs.jid = occupant.primary;
      query.c('item', attrs);
    }
    return answer(event, query);
  }
  return answer(event, new StanzaError('bad-request', 'ask for one affiliation or one role'));
}

/** Changes of roles and affiliations; every item is checked before any is applied. */
export function adminSet(muc: MucService, event: IqEvent): true {
  const room = targetRoom(muc, event);
  if (room instanceof StanzaError) return answer(event, room);
  const actor = actorOf(room, event);
  const actorBare = event.from.toBareString();
  const items = event.payload.getChildren('item');
  if (items.length === 0) return answer(event, new StanzaError('bad-request', 'no item to change'));

  const changes: Change[] = [];
  // Affiliations as they will be, so that "the last owner" is judged after earlier items.
  const planned = new Map<string, Affiliation>();
  const affiliationNow = (jid: string) => planned.get(jid) ?? room.affiliationOf(jid);
  for (const item of items) {
    const reason = item.getChildText('reason') ?? undefined;
    const role = item.attrs.role as string | undefined;
    const affiliation = item.attrs.affiliation as string | undefined;
    if (affiliation !== undefined) {
      if (!isAffiliation(affiliation)) return answer(event, new StanzaError('bad-request', 'unknown affiliation'));
      // By bare JID (§9.1); a nick names the occupant's JID.
      let jid: string | undefined;
      if (item.attrs.jid !== undefined) jid = parseJid(String(item.attrs.jid))?.toBareString();
      else if (item.attrs.nick !== undefined) jid = room.occupants.get(String(item.attrs.nick))?.bareJid;
      if (jid === undefined) return answer(event, new StanzaError(item.attrs.jid !== undefined ? 'jid-malformed' : 'item-not-found', 'name a valid JID'));
      const owners = [...new Set([...room.affiliations.keys(), ...planned.keys()])].filter((j) => affiliationNow(j) === 'owner').length;
      const refusal = affiliationChangeRefusal(actor.affiliation, affiliationNow(jid), affiliation, { self: jid === actorBare, owners });
      if (refusal) return answer(event, new StanzaError(refusal));
      planned.set(jid, affiliation);
      changes.push({ kind: 'affiliation', jid, affiliation, reason });
    } else if (role !== undefined) {
      if (!isRole(role)) return answer(event, new StanzaError('bad-request', 'unknown role'));
      const nick = item.attrs.nick as string | undefined;
      const occupant = nick === undefined ? undefined : room.occupants.get(nick);
      if (!occupant) return answer(event, new StanzaError(nick === undefined ? 'bad-request' : 'item-not-found', 'name an occupant by nick'));
      const target = { affiliation: room.affiliationOf(occupant.bareJid), role: occupant.role };
      const refusal = roleChangeRefusal(actor, target, role, occupant.bareJid === actorBare);
      if (refusal) return answer(event, new StanzaError(refusal));
      changes.push({ kind: 'role', occupant, role, reason });
    } else {
      return answer(event, new StanzaError('bad-request', 'an item needs a role or an affiliation'));
    }
  }

  const actorNick = actor.occupant?.nick;
  const affiliationChanges = changes.flatMap((c) => (c.kind === 'affiliation' ? [c] : []));
  for (const change of affiliationChanges) room.setAffiliation(change.jid, change.affiliation, change.reason);
  muc.saveAffiliations(room, affiliationChanges);
  for (const change of changes) {
    if (change.kind === 'role') applyRole(muc, room, change.occupant, change.role, actorNick, change.reason);
    else applyAffiliation(muc, room, change.jid, change.affiliation, actorNick, change.reason);
  }
  // §8.2: the moderator hears of success after the occupants were removed.
  event.reply(iqResult(event.stanza));
  return true;
}

/** §8.2 a kick (307) removes the occupant; other roles are announced with the occupant's presence. */
function applyRole(muc: MucService, room: Room, occupant: Occupant, role: Role, actor: string | undefined, reason: string | undefined): void {
  if (!room.occupants.has(occupant.nick)) return; // removed by an earlier item
  if (role === 'none') return muc.removeOccupant(room, occupant, { codes: [Status.kicked], actor, reason });
  occupant.role = role;
  muc.broadcastPresence(room, occupant);
}

/**
 * §9.1 a ban (301) and §9.4 losing membership of a members-only room (321) remove the occupant;
 * otherwise the occupant gets the role that goes with the new affiliation (§5.1.3: the role
 * gained is stable, the one lost is left to the service) and everyone sees it.
 */
function applyAffiliation(muc: MucService, room: Room, jid: string, affiliation: Affiliation, actor: string | undefined, reason: string | undefined): void {
  const occupant = room.occupantOf(jid);
  if (!occupant) return;
  if (affiliation === 'outcast') return muc.removeOccupant(room, occupant, { codes: [Status.banned], actor, reason, affiliation });
  if (room.config.membersOnly && !atLeast(affiliation, 'member')) {
    return muc.removeOccupant(room, occupant, { codes: [Status.affiliationChanged], actor, reason, affiliation });
  }
  occupant.role = defaultRole(affiliation, room.config.moderated);
  muc.broadcastPresence(room, occupant);
}
