// XEP-0045 §7.2 entering a room (and creating it, §10.1), §7.6 changing nickname, §7.7 changing
// availability, §7.14 exiting, and devices that disappear without leaving.
import { Element } from 'ltx';
import type { StanzaEvent } from '../../core/events.js';
import type { ClientSession } from '../../core/session.js';
import { StanzaError } from '../../util/errors.js';
import type { Jid } from '../../util/jid.js';
import { parseHistoryRequest } from './history.js';
import { atLeast, defaultRole, entryRefusal } from './roles.js';
import { Occupant, type Room } from './room.js';
import type { MucService } from './service.js';
import { mucNs, presenceError, Status, userX } from './stanzas.js';

/** §7.2.10: admins and owners still get into a full room, up to this many more. */
const extraSeatsForAdmins = 5;

const entryErrorText: Record<string, string> = {
  forbidden: 'you are banned from this room',
  'registration-required': 'this room is for members only',
};

export function handlePresence(muc: MucService, event: StanzaEvent): void {
  const { stanza, from, to } = event;
  const type = stanza.attrs.type as string | undefined;
  if (to.local === undefined) return; // presence to the service itself means nothing
  const room = muc.rooms.get(to.toBareString());
  const device = from.toString();
  const occupant = room?.occupantWithSession(device);

  if (type === 'unavailable' || type === 'error') {
    // §7.14 exit; an error from a device means it cannot be reached (§13.1): it is removed.
    if (room && occupant) muc.removeSession(room, occupant, device, type === 'unavailable' ? stanza : undefined, type === 'error' ? [Status.technical] : []);
    return;
  }
  if (type !== undefined) return; // a room has no subscriptions (§17.3)

  const fail = (error: StanzaError, nick = to.resource) =>
    muc.mod.send(presenceError(nick === undefined ? to.toBareString() : `${to.toBareString()}/${nick}`, device, stanza.attrs.id, error, to.toBareString()));
  // §7.2.1: no nickname; §18.1: nor an invisible one.
  if (to.resource === undefined || to.resource.trim() === '') return fail(new StanzaError('jid-malformed', 'enter with a nickname'));
  const nick = to.resource;
  const x = stanza.getChild('x', mucNs);

  if (room && occupant) {
    if (occupant.nick !== nick) return changeNick(muc, room, occupant, device, stanza, nick);
    occupant.addSession(device, stanza);
    // §7.2.1: an x-tagged presence from a joined device means it lost track: it gets the join again.
    if (x) return sendJoin(muc, room, occupant, device, stanza.attrs.id, { created: false, newOccupant: false, nickAssigned: false, request: x });
    return muc.broadcastPresence(room, occupant); // §7.7
  }
  // §7.2.16: presence without the MUC element from a device that is not in the room is not a join.
  if (!x) return notInRoom(muc, to, device);
  join(muc, event, room, nick, x, fail);
}

function join(muc: MucService, event: StanzaEvent, existing: Room | undefined, nick: string, x: Element, fail: (error: StanzaError) => void): void {
  const { stanza, from, to } = event;
  const bare = from.toBareString();
  let room = existing;
  let created = false;
  if (!room) {
    // §10.1.1: entering a room that does not exist creates it, locked, with the user as owner.
    const refusal = muc.creationRefusal(from);
    if (refusal) return fail(refusal);
    room = muc.createRoom(to.toBareString(), bare);
    created = true;
  } else if (room.locked && room.affiliationOf(bare) !== 'owner') {
    return fail(new StanzaError('item-not-found', 'this room is still being set up')); // §7.2.11
  }
  const affiliation = room.affiliationOf(bare);
  const refusal = entryRefusal(affiliation, room.config.membersOnly);
  if (refusal) return fail(new StanzaError(refusal, entryErrorText[refusal]));
  if (room.config.password !== '' && x.getChildText('password') !== room.config.password) {
    return fail(new StanzaError('not-authorized', 'a password is needed to enter this room')); // §7.2.6
  }

  // One person is one occupant: another device of someone already in the room gets their nick (210).
  let occupant = room.occupantOf(bare);
  const newOccupant = occupant === undefined;
  if (!occupant) {
    if (room.occupants.has(nick)) return fail(new StanzaError('conflict', 'that nickname is taken')); // §7.2.9
    const seats = atLeast(affiliation, 'admin') ? room.config.maxUsers + extraSeatsForAdmins : room.config.maxUsers;
    if (room.occupants.size >= seats) return fail(new StanzaError('service-unavailable', 'the room is full', 'wait')); // §7.2.10
    occupant = new Occupant(nick, bare, defaultRole(affiliation, room.config.moderated));
  }
  occupant.addSession(from.toString(), stanza);
  if (newOccupant) room.occupants.set(nick, occupant);
  sendJoin(muc, room, occupant, from.toString(), stanza.attrs.id, { created, newOccupant, nickAssigned: occupant.nick !== nick, request: x });
}

interface JoinDetails {
  created: boolean;
  newOccupant: boolean;
  nickAssigned: boolean;
  request: Element;
}

/** §7.1 order of events: the others' presence, the room sees the newcomer, self-presence, history, subject. */
function sendJoin(muc: MucService, room: Room, occupant: Occupant, device: string, joinId: string | undefined, details: JoinDetails): void {
  for (const other of room.occupants.values()) {
    if (other !== occupant) muc.mod.send(muc.occupantPresence(room, other, device, occupant, []));
  }
  if (details.newOccupant) {
    for (const { occupant: viewer, fullJid } of room.sessions()) {
      if (viewer !== occupant) muc.mod.send(muc.occupantPresence(room, occupant, fullJid, viewer, []));
    }
  }
  const codes: number[] = [];
  if (room.config.whois === 'anyone') codes.push(Status.nonAnonymous); // §7.2.3
  if (room.config.archiving) codes.push(Status.loggingOn); // §7.2.12
  if (details.created) codes.push(Status.created); // §10.1.1
  if (details.nickAssigned) codes.push(Status.nickAssigned); // §7.2.2
  const self = muc.occupantPresence(room, occupant, device, occupant, codes);
  // §7.2.2: "the room might also reflect the original 'id' value".
  if (joinId !== undefined) self.attrs.id = joinId;
  muc.mod.send(self);
  if (!details.created) muc.sendHistory(room, device, parseHistoryRequest(details.request, Date.now()), muc.maySeeJids(room, occupant));
  muc.mod.send(muc.subjectMessage(room, device));
}

/** §7.6: the old nick leaves with 303 and the new one arrives, for everyone; a taken nick is a conflict. */
function changeNick(muc: MucService, room: Room, occupant: Occupant, device: string, stanza: Element, nick: string): void {
  if (room.occupants.has(nick)) {
    muc.mod.send(presenceError(room.occupantJid(nick), device, stanza.attrs.id, new StanzaError('conflict', 'that nickname is taken'), room.jid));
    return;
  }
  occupant.addSession(device, stanza);
  for (const { occupant: viewer, fullJid } of room.sessions()) {
    muc.mod.send(muc.occupantPresence(room, occupant, fullJid, viewer, [Status.nickChanged], { unavailable: true, role: occupant.role, nick }));
  }
  room.occupants.delete(occupant.nick);
  occupant.nick = nick;
  room.occupants.set(nick, occupant);
  muc.broadcastPresence(room, occupant);
}

/** §7.2.16: what a device that is not in the room gets for presence without the MUC element. */
function notInRoom(muc: MucService, to: Jid, device: string): void {
  const presence = new Element('presence', { from: to.toString(), to: device, type: 'unavailable' });
  presence.cnode(userX({ affiliation: 'none', role: 'none', reason: 'You are not in the room.' }, [Status.self, Status.kicked, Status.technical]));
  muc.mod.send(presence);
}

/** A device's session ended without it leaving (its stream closed or timed out): it is removed (333). */
export function handleSessionEnd(muc: MucService, session: ClientSession): void {
  const device = session.jid?.toString();
  if (device === undefined) return;
  for (const room of [...muc.rooms.values()]) {
    const occupant = room.occupantWithSession(device);
    if (occupant) muc.removeSession(room, occupant, device, undefined, [Status.technical]);
  }
}

/** §15.6.2 (service shutdown): every device is told it left with 332; rooms are not closed. */
export function handleShutdown(muc: MucService): void {
  for (const room of muc.rooms.values()) {
    for (const { occupant, fullJid } of room.sessions()) {
      muc.mod.send(muc.occupantPresence(room, occupant, fullJid, occupant, [Status.shutdown], { unavailable: true }));
    }
    room.occupants.clear();
  }
}
