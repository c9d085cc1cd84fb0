// Rooms other modules keep for a group of accounts (a circle's group chat), through the
// `muc/*` events: made ready to use (configured and unlocked, unlike a room a client creates,
// XEP-0045 §10.1), members-only so the list of members is the group, and followed as people
// join and leave the group. Everything else about the room stays its owners' to change.
import { defaultConfig } from './config-form.js';
import { atLeast, defaultRole } from './roles.js';
import { Room } from './room.js';
import type { MucService } from './service.js';
import { Status } from './stanzas.js';

/** The room `localpart`@host, created persistent, members-only and hidden if it does not exist. */
export function ensureRoom(muc: MucService, localpart: string, name: string, owners: string[]): string {
  const jid = `${localpart}@${muc.options.host}`;
  if (muc.rooms.has(jid)) return jid;
  // Membership follows the group; members inviting others would make members the group lacks.
  const config = { ...defaultConfig(muc.limits), name, membersOnly: true, public: false, persistent: true, allowInvites: false };
  const room = new Room(jid, config, Date.now(), muc.options.historyMessages);
  for (const owner of owners) room.setAffiliation(owner, 'owner');
  muc.rooms.set(jid, room);
  muc.saveEverything(room);
  return jid;
}

/**
 * `add` become members unless they are more (owners stay owners); `remove` lose a plain
 * membership and, being in a members-only room, leave it with status 321 (§9.4).
 */
export function followMembers(muc: MucService, roomJid: string, add: string[], remove: string[]): boolean {
  const room = muc.rooms.get(roomJid);
  if (!room) return false;
  const changes: Array<{ jid: string; affiliation: 'member' | 'none'; reason: string | undefined }> = [];
  for (const jid of add) if (!atLeast(room.affiliationOf(jid), 'member')) changes.push({ jid, affiliation: 'member', reason: undefined });
  for (const jid of remove) if (room.affiliationOf(jid) === 'member') changes.push({ jid, affiliation: 'none', reason: undefined });
  for (const change of changes) room.setAffiliation(change.jid, change.affiliation);
  muc.saveAffiliations(room, changes);
  for (const change of changes) announce(muc, room, change.jid, change.affiliation);
  return true;
}

function announce(muc: MucService, room: Room, jid: string, affiliation: 'member' | 'none'): void {
  const occupant = room.occupantOf(jid);
  if (!occupant) return;
  if (affiliation === 'none' && room.config.membersOnly) {
    muc.removeOccupant(room, occupant, { codes: [Status.affiliationChanged], affiliation });
    return;
  }
  occupant.role = defaultRole(affiliation, room.config.moderated);
  muc.broadcastPresence(room, occupant);
}
