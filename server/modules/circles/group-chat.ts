// A circle's group chat: a members-only room at conference.<domain> whose members are the
// circle's (through the group chat module's `muc/*` events), and a bookmark with autojoin in each
// member's bookmarks (XEP-0402, through the `pep/*` events) so their apps show the room without
// anyone sending an invitation. Switched off or with the circle deleted, the room stays as an
// ordinary group chat: its members and history are theirs.
import { Element } from 'ltx';
import type { PepResult } from '../../core/events.js';
import type { ModuleApi } from '../../core/module-host.js';
import type { Circle } from '../../core/storage/circles.js';
import { prepareLocalpart } from '../../util/jid.js';
import { bookmarksNode, bookmarksOptions } from '../bookmarks.js';

type Context = Pick<ModuleApi, 'host' | 'storage' | 'fire' | 'log'>;

export function roomJidOf(mod: Pick<ModuleApi, 'host'>, localpart: string): string {
  return `${localpart}@conference.${mod.host}`;
}

/** A free room localpart for a circle's name: "Grandparents" becomes grandparents, then grandparents-2 … */
export function chooseRoomLocalpart(mod: Pick<ModuleApi, 'fire'>, name: string): string {
  const slug =
    name
      .normalize('NFKD')
      .replace(/\p{M}/gu, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'circle';
  for (let n = 1; n < 1000; n++) {
    const candidate = prepareLocalpart(n === 1 ? slug : `${slug}-${n}`);
    if (candidate && mod.fire('muc/room-exists', { localpart: candidate }) !== true) return candidate;
  }
  return `circle-${Date.now().toString(36)}`;
}

/**
 * The circle's room exists, every member is a member of it and has its bookmark. The server's
 * admins own a room they create. Returns the room's JID, or undefined without a group chat service.
 */
export function syncRoom(mod: Context, circle: Circle): string | undefined {
  if (!circle.groupChat) return undefined;
  const owners = mod.storage.accounts
    .list()
    .filter((account) => account.role === 'admin')
    .map((account) => `${account.username}@${mod.host}`);
  const room = mod.fire('muc/ensure-room', { localpart: circle.groupChat, name: circle.name, owners });
  if (typeof room !== 'string') return undefined;
  mod.fire('muc/follow-members', { room, add: circle.members.map((m) => `${m}@${mod.host}`), remove: [] });
  for (const member of circle.members) addBookmark(mod, member, room, circle.name);
  return room;
}

/** A member left: no longer a member of the room (unless more, like an owner), and the bookmark goes. */
export function leaveRoom(mod: Context, username: string, localpart: string): void {
  const room = roomJidOf(mod, localpart);
  if (mod.fire('muc/room-exists', { localpart }) !== true) return;
  mod.fire('muc/follow-members', { room, add: [], remove: [`${username}@${mod.host}`] });
  mod.fire('pep/retract', { username, node: bookmarksNode, id: room, notify: true });
}

/** XEP-0402 §3: a bookmark with autojoin, unless the person already has one for the room (theirs to keep). */
function addBookmark(mod: Context, username: string, room: string, name: string): void {
  const existing = mod.fire('pep/items', { username, node: bookmarksNode, ids: [room] }) as PepResult<Element[]> | undefined;
  if (existing === undefined || (existing.ok && existing.value.length > 0)) return;
  const conference = new Element('conference', { xmlns: bookmarksNode, name, autojoin: 'true' });
  conference.c('nick').t(username);
  const published = mod.fire('pep/publish', { username, node: bookmarksNode, id: room, item: conference, options: bookmarksOptions }) as PepResult<unknown> | undefined;
  if (published && !published.ok) mod.log.warn(`a circle's group chat bookmark was not saved (${published.error.condition})`);
}
