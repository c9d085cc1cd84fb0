// The group chat service's shared state and the operations every handler needs: the rooms, their
// persistence, presence and message fan-out to occupants, removals, history and the archive.
import { Element, clone, parse } from 'ltx';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { ModuleApi } from '../../core/module-host.js';
import { newArchiveId, type ArchiveStore } from '../../core/storage/archive.js';
import { StanzaError } from '../../util/errors.js';
import type { Jid } from '../../util/jid.js';
import { NS } from '../../util/namespaces.js';
import { serialize } from '../../util/xml.js';
import { sidNs } from '../mam.js';
import { configFromJson, defaultConfig, type ConfigLimits } from './config-form.js';
import { selectHistory, type HistoryRequest } from './history.js';
import type { RoomRepository } from './repository.js';
import { maySeeRealJids, type Affiliation, type Role } from './roles.js';
import { Occupant, Room, type RecentMessage } from './room.js';
import { hintsNs, mucNs, mucUserNs, occupantIdNs, Status, statusMessage, userX, type ItemInfo } from './stanzas.js';

export interface MucOptions {
  /** The component host, conference.<domain>. */
  host: string;
  roomCreation: 'local' | 'admins' | 'anyone';
  maxRoomsPerUser: number;
  maxOccupants: number;
  messagesPerMinute: number;
  historyMessages: number;
  /** archive.retentionDays > 0: rooms may keep an archive. */
  archiveAvailable: boolean;
}

/** OMEMO payloads (XEP-0384): encrypted group messages are conversation too. */
const encryptedPayloads = ['eu.siacs.conversations.axolotl', 'urn:xmpp:omemo:2'];

/** What an occupant's presence says beyond its current state. */
export interface PresenceDetails {
  /** Unavailable presence (role none unless `role` says otherwise). */
  unavailable?: boolean;
  role?: Role;
  /** The affiliation to show, when it just changed (a ban shows outcast). */
  affiliation?: Affiliation;
  /** The new nick (§7.6, with 303). */
  nick?: string;
  /** Who did it (a moderator's nick) and why. */
  actor?: string;
  reason?: string;
}

/** Removal of an occupant: the status codes (besides 110), and who did it why. */
export interface Removal {
  codes: number[];
  actor?: string;
  reason?: string;
  affiliation?: Affiliation;
}

/** The room's copy of a message kept for history and the archive. */
export interface KeptMessage {
  id: string;
  timestamp: number;
  stanza: Element;
}

export class MucService {
  readonly rooms = new Map<string, Room>();
  readonly limits: ConfigLimits;
  private readonly occupantIdKey: Buffer;
  /** Token buckets per room and sender (muc.messagesPerMinute). */
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly mod: ModuleApi,
    readonly options: MucOptions,
    readonly repository: RoomRepository,
    readonly archive: ArchiveStore,
  ) {
    this.limits = { maxOccupants: options.maxOccupants, archiveAvailable: options.archiveAvailable };
    this.occupantIdKey = mod.storage.secret('muc-occupant-id');
  }

  // Rooms and their persistence -----------------------------------------------------------------

  loadRooms(): void {
    for (const stored of this.repository.loadAll()) {
      const room = new Room(stored.jid, configFromJson(stored.config, this.limits), stored.createdAt, this.options.historyMessages);
      room.subject = stored.subject;
      room.vcard = stored.vcard === undefined ? undefined : { xml: stored.vcard, photoHash: photoHashOf(stored.vcard) };
      for (const entry of stored.affiliations) room.setAffiliation(entry.jid, entry.affiliation, entry.reason);
      this.rooms.set(room.jid, room);
    }
  }

  /** A new room, locked until its owner configures it (§10.1.1). */
  createRoom(jid: string, owner: string): Room {
    const room = new Room(jid, defaultConfig(this.limits), Date.now(), this.options.historyMessages);
    room.locked = true;
    room.setAffiliation(owner, 'owner');
    this.rooms.set(jid, room);
    return room;
  }

  /** Why `user` may not create a room (§10.1.1: a service MAY restrict it), if so. */
  creationRefusal(user: Jid): StanzaError | undefined {
    const local = user.domain === this.mod.host && user.local !== undefined && this.mod.storage.accounts.exists(user.local);
    const policy = this.options.roomCreation;
    if (policy !== 'anyone' && !local) return new StanzaError('not-allowed', 'only accounts of this server may create rooms');
    if (policy === 'admins' && this.mod.storage.accounts.get(user.local!)?.role !== 'admin') {
      return new StanzaError('not-allowed', 'only admins of this server may create rooms');
    }
    const owned = [...this.rooms.values()].filter((room) => room.affiliationOf(user.toBareString()) === 'owner').length;
    if (owned >= this.options.maxRoomsPerUser) return new StanzaError('not-allowed', `you already own ${owned} rooms, the most allowed`);
    return undefined;
  }

  /** Only configured persistent rooms are kept in the database. */
  isStored(room: Room): boolean {
    return room.config.persistent && !room.locked;
  }

  /** Writes the room's row (configuration, subject, vCard) if it is kept. */
  saveRoom(room: Room): void {
    if (this.isStored(room)) this.repository.saveRoom(this.stored(room));
  }

  /** Writes the room with all its affiliations (it just became persistent, or was unlocked). */
  saveEverything(room: Room): void {
    if (this.isStored(room)) this.repository.saveAll({ ...this.stored(room), affiliations: [...room.affiliations].map(([jid, entry]) => ({ jid, ...entry })) });
  }

  saveAffiliations(room: Room, changes: Array<{ jid: string; affiliation: Affiliation; reason: string | undefined }>): void {
    if (this.isStored(room)) this.repository.setAffiliations(room.jid, changes);
  }

  private stored(room: Room) {
    return { jid: room.jid, config: JSON.stringify(room.config), subject: room.subject, vcard: room.vcard?.xml, createdAt: room.createdAt };
  }

  /** A room with nobody in it goes when it is temporary, or still locked (§10.1.3, §7.14). */
  closeIfEmpty(room: Room): void {
    if (room.occupants.size > 0 || (room.config.persistent && !room.locked)) return;
    this.forget(room);
  }

  /** The room is gone: from memory, the database and the archive. */
  forget(room: Room): void {
    this.rooms.delete(room.jid);
    this.repository.deleteRoom(room.jid);
    this.archive.deleteOwner(room.jid);
    for (const key of this.buckets.keys()) if (key.startsWith(`${room.jid} `)) this.buckets.delete(key);
  }

  // Presence ----------------------------------------------------------------------------------

  /** XEP-0421: a stable id per room and person that reveals nothing about the JID. */
  occupantId(room: Room, bareJid: string): string {
    return createHmac('sha256', this.occupantIdKey).update(`${room.jid}\u0000${bareJid}`).digest().subarray(0, 16).toString('base64url');
  }

  /** Whether the device `viewerJid` (an occupant's, or a non-occupant's) may see real JIDs. */
  maySeeJids(room: Room, viewer: Occupant | undefined): boolean {
    return maySeeRealJids(viewer?.role ?? 'none', room.config.whois);
  }

  /**
   * The presence of `occupant` as `recipient` (a device of `viewer`) sees it: the occupant's own
   * presence (show, status, caps, avatar hash) with the room's item, and 110 when it is their own.
   */
  occupantPresence(room: Room, occupant: Occupant, recipient: string, viewer: Occupant | undefined, codes: readonly number[], details: PresenceDetails = {}): Element {
    const self = viewer === occupant;
    const source = occupant.presence;
    const from = room.occupantJid(occupant.nick);
    const presence = new Element('presence', details.unavailable ? { from, to: recipient, type: 'unavailable' } : { from, to: recipient });
    for (const child of source.getChildElements()) {
      const ns = child.getNS();
      if (ns === mucUserNs || ns === mucNs || ns === occupantIdNs) continue;
      // Leaving keeps only the status text (§7.14 custom exit message).
      if (details.unavailable && child.name !== 'status') continue;
      presence.cnode(clone(child));
    }
    const item: ItemInfo = {
      affiliation: details.affiliation ?? room.affiliationOf(occupant.bareJid),
      role: details.role ?? (details.unavailable ? 'none' : occupant.role),
    };
    if (self || this.maySeeJids(room, viewer)) item.jid = occupant.primary;
    if (details.nick !== undefined) item.nick = details.nick;
    if (details.actor !== undefined) item.actor = details.actor;
    if (details.reason !== undefined) item.reason = details.reason;
    presence.cnode(userX(item, self ? [Status.self, ...codes] : codes));
    presence.c('occupant-id', { xmlns: occupantIdNs, id: this.occupantId(room, occupant.bareJid) });
    return presence;
  }

  /** Sends the occupant's presence to every device in the room (its own with 110). */
  broadcastPresence(room: Room, occupant: Occupant, codes: readonly number[] = []): void {
    for (const { occupant: viewer, fullJid } of room.sessions()) {
      this.mod.send(this.occupantPresence(room, occupant, fullJid, viewer, codes));
    }
  }

  /**
   * Takes an occupant out of the room with all its devices: unavailable presence with role none
   * to each of its devices (110 and the codes) and then to everyone else (§8.2, §9.1, §7.14).
   */
  removeOccupant(room: Room, occupant: Occupant, removal: Removal): void {
    const details: PresenceDetails = { unavailable: true, ...removal };
    for (const fullJid of occupant.sessions.keys()) {
      this.mod.send(this.occupantPresence(room, occupant, fullJid, occupant, removal.codes, details));
    }
    room.occupants.delete(occupant.nick);
    for (const { occupant: viewer, fullJid } of room.sessions()) {
      this.mod.send(this.occupantPresence(room, occupant, fullJid, viewer, removal.codes, details));
    }
    this.closeIfEmpty(room);
  }

  /**
   * One device leaves (§7.14). The others of the same occupant stay; only when the last one goes
   * does the room see the occupant leave.
   */
  removeSession(room: Room, occupant: Occupant, fullJid: string, leave: Element | undefined, codes: number[] = []): void {
    if (leave) occupant.sessions.set(fullJid, leave);
    if (occupant.sessions.size > 1) {
      this.mod.send(this.occupantPresence(room, occupant, fullJid, occupant, codes, { unavailable: true }));
      occupant.removeSession(fullJid);
      return;
    }
    if (leave) occupant.primary = fullJid;
    this.removeOccupant(room, occupant, { codes });
  }

  /** §10.9: everyone is told (once, with the reason and the alternate venue) and the room is gone. */
  destroy(room: Room, destroy: Element): void {
    for (const occupant of [...room.occupants.values()]) {
      for (const fullJid of occupant.sessions.keys()) {
        const presence = new Element('presence', { from: room.occupantJid(occupant.nick), to: fullJid, type: 'unavailable' });
        presence.cnode(userX({ affiliation: 'none', role: 'none' }, [Status.self], [clone(destroy)]));
        this.mod.send(presence);
      }
    }
    room.occupants.clear();
    this.forget(room);
  }

  /** §10.2.1 and XEP-0486: a message from the room with status codes, to everyone in it. */
  notifyStatus(room: Room, codes: number[]): void {
    if (codes.length === 0) return;
    this.broadcastMessage(room, statusMessage(room.jid, codes));
  }

  // Messages ----------------------------------------------------------------------------------

  /** Sends a message (without `to`) to every device in the room. */
  broadcastMessage(room: Room, message: Element): void {
    for (const { fullJid } of room.sessions()) {
      const copy = clone(message);
      copy.attrs.to = fullJid;
      this.mod.send(copy);
    }
  }

  /**
   * Keeps a groupchat message (as it is broadcast, without `to`) for history and, when the room
   * archives, in its archive; returns the stanza-id it goes out with. The kept copy carries the
   * sender's real bare JID, shown only to those who may see it (XEP-0313 §6.1.2, §7.2.3).
   */
  keepMessage(room: Room, live: Element, nick: string | undefined, realBareJid: string | undefined, worthKeeping: boolean): string {
    if (!worthKeeping) return newArchiveId();
    const kept = clone(live);
    if (realBareJid !== undefined) kept.cnode(userX({ affiliation: room.affiliationOf(realBareJid), role: 'none', jid: realBareJid }, []));
    const xml = serialize(kept);
    if (room.config.archiving) {
      return this.archive.append({ owner: room.jid, with: room.jid, withResource: nick, stanza: xml });
    }
    const entry: RecentMessage = { id: newArchiveId(), timestamp: Date.now(), size: xml.length, stanza: xml };
    room.recent.add(entry);
    return entry.id;
  }

  /** A kept message by its stanza-id, from the archive or the recent messages. */
  keptMessage(room: Room, id: string): KeptMessage | undefined {
    const fromArchive = this.archive.query({ owner: room.jid, ids: [id] });
    const item = fromArchive.ok ? fromArchive.items[0] : room.recent.find((entry) => entry.id === id);
    const stanza = item && parseStored(item.stanza);
    return item && stanza ? { id: item.id, timestamp: item.timestamp, stanza } : undefined;
  }

  /** Replaces a kept message (by a tombstone). */
  replaceKept(room: Room, id: string, stanza: Element): boolean {
    const xml = serialize(stanza);
    if (this.archive.replace(room.jid, id, xml)) return true;
    const entry = room.recent.find((e) => e.id === id);
    if (!entry) return false;
    entry.stanza = xml;
    entry.size = xml.length;
    return true;
  }

  /**
   * A kept message as someone sees it: the real JID removed unless they may see it, and for
   * history the room's stanza-id (XEP-0359 §3, by the room; an archive result carries it as its id).
   */
  presentKept(room: Room, kept: KeptMessage, maySeeJids: boolean, withStanzaId: boolean): Element {
    const stanza = clone(kept.stanza);
    if (!maySeeJids) for (const x of stanza.getChildren('x', mucUserNs)) if (x.getChild('item')) stanza.remove(x);
    if (withStanzaId) stanza.c('stanza-id', { xmlns: sidNs, by: room.jid, id: kept.id });
    return stanza;
  }

  /** §7.2.14-7.2.15: history for a device entering, each with a delay from the room, in order. */
  sendHistory(room: Room, to: string, request: HistoryRequest, maySeeJids: boolean): void {
    const max = this.options.historyMessages;
    if (max === 0 || request.maxStanzas === 0 || request.maxChars === 0) return;
    let entries: KeptMessage[];
    if (room.config.archiving) {
      const page = this.archive.query({ owner: room.jid, start: request.since, limit: Math.min(request.maxStanzas ?? max, max), reverse: true });
      const items = page.ok ? page.items : [];
      entries = selectHistory(items.map((item) => ({ ...item, size: item.stanza.length })), request, max).flatMap((item) => {
        const stanza = parseStored(item.stanza);
        return stanza ? [{ id: item.id, timestamp: item.timestamp, stanza }] : [];
      });
    } else {
      entries = selectHistory(room.recent.all(), request, max).flatMap((entry) => {
        const stanza = parseStored(entry.stanza);
        return stanza ? [{ id: entry.id, timestamp: entry.timestamp, stanza }] : [];
      });
    }
    for (const entry of entries) {
      const message = this.presentKept(room, entry, maySeeJids, true);
      message.attrs.to = to;
      message.c('delay', { xmlns: NS.delay, from: room.jid, stamp: new Date(entry.timestamp).toISOString() });
      this.mod.send(message);
    }
  }

  /** §7.2.15: the subject, always sent last on entering (empty when there is none). */
  subjectMessage(room: Room, to: string): Element {
    const subject = room.subject;
    const from = subject?.nick !== undefined ? room.occupantJid(subject.nick) : room.jid;
    const message = new Element('message', { from, to, type: 'groupchat', id: randomBytes(8).toString('hex') });
    message.c('subject').t(subject?.text ?? '');
    if (subject) message.c('delay', { xmlns: NS.delay, from: room.jid, stamp: new Date(subject.at).toISOString() });
    return message;
  }

  /** muc.messagesPerMinute: whether this sender may send one more message now. */
  takeMessageToken(room: Room, bareJid: string, now = Date.now()): boolean {
    const perMinute = this.options.messagesPerMinute;
    if (perMinute === 0) return true;
    const key = `${room.jid} ${bareJid}`;
    const bucket = this.buckets.get(key) ?? { tokens: perMinute, at: now };
    bucket.tokens = Math.min(perMinute, bucket.tokens + ((now - bucket.at) * perMinute) / 60_000);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}

/** Whether a groupchat message is conversation worth keeping (as XEP-0313 §6.1.1 for accounts). */
export function isWorthKeeping(stanza: Element): boolean {
  if (stanza.getChild('no-store', hintsNs) || stanza.getChild('no-permanent-store', hintsNs)) return false;
  if (stanza.getChild('body')) return true;
  if (encryptedPayloads.some((ns) => stanza.getChild('encrypted', ns))) return true;
  return stanza.getChild('store', hintsNs) !== undefined;
}

/**
 * What a tombstone keeps of a retracted message (XEP-0424 §5, XEP-0425 §4): the same sender, id
 * and author (occupant id, and the real JID for those who may see it), none of the content.
 */
export function emptiedMessage(original: Element): Element {
  const message = new Element('message', { type: 'groupchat' });
  for (const name of ['from', 'id', 'xmlns']) if (original.attrs[name] !== undefined) message.attrs[name] = String(original.attrs[name]);
  for (const child of original.getChildElements()) {
    if (child.getNS() === occupantIdNs || (child.getNS() === mucUserNs && child.name === 'x')) message.cnode(clone(child));
  }
  return message;
}

export function parseStored(xml: string): Element | undefined {
  try {
    return parse(xml) as Element;
  } catch {
    return undefined;
  }
}

/** The SHA-1 of a stored vCard's photo, XEP-0153 style. */
export function photoHashOf(xml: string): string | undefined {
  const vcard = parseStored(xml);
  const binval = vcard?.getChild('PHOTO')?.getChildText('BINVAL');
  if (!binval) return undefined;
  return createHash('sha1').update(Buffer.from(binval.replace(/\s+/g, ''), 'base64')).digest('hex');
}
