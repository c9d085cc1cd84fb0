// The state of one room: its configuration, affiliations (by bare JID), occupants (by nick) and
// the devices each occupant is present with. One person is one occupant however many devices
// they join from (multi-session nick): their messages and private messages reach every device.
import type { Element } from 'ltx';
import type { RoomConfig } from './config-form.js';
import { RecentMessages } from './history.js';
import type { Affiliation, Role } from './roles.js';

export interface Subject {
  text: string;
  /** The occupant nick that set it. */
  nick: string | undefined;
  at: number;
}

export interface RoomVcard {
  xml: string;
  /** SHA-1 (hex) of the PHOTO, XEP-0153 style; undefined without a photo. */
  photoHash: string | undefined;
}

/** A message of a room without an archive: kept for history and moderation until the room goes. */
export interface RecentMessage {
  id: string;
  timestamp: number;
  size: number;
  /** The message as archived (without `to`), serialized. */
  stanza: string;
}

export class Occupant {
  /** Each joined device (full JID) and the presence it last sent the room. */
  readonly sessions = new Map<string, Element>();
  /** The device whose presence is the occupant's (the last one to send any). */
  primary = '';

  constructor(
    public nick: string,
    readonly bareJid: string,
    public role: Role,
  ) {}

  get presence(): Element {
    return this.sessions.get(this.primary)!;
  }

  addSession(fullJid: string, presence: Element): void {
    this.sessions.set(fullJid, presence);
    this.primary = fullJid;
  }

  /** Removes a device; false once none is left. */
  removeSession(fullJid: string): boolean {
    this.sessions.delete(fullJid);
    if (this.primary === fullJid) this.primary = this.sessions.keys().next().value ?? '';
    return this.sessions.size > 0;
  }
}

export class Room {
  /** Bare JID -> affiliation other than none (§5.2: "none" is the absence of one). */
  readonly affiliations = new Map<string, { affiliation: Exclude<Affiliation, 'none'>; reason: string | undefined }>();
  /** Nick -> occupant. */
  readonly occupants = new Map<string, Occupant>();
  subject: Subject | undefined;
  vcard: RoomVcard | undefined;
  /** Until its creator configures it (§10.1.1), nobody else may enter. */
  locked = false;
  readonly recent: RecentMessages<RecentMessage>;

  constructor(
    /** The room's bare JID. */
    readonly jid: string,
    public config: RoomConfig,
    readonly createdAt: number,
    historySize: number,
  ) {
    this.recent = new RecentMessages(historySize);
  }

  /** The room's localpart. */
  get name(): string {
    return this.jid.slice(0, this.jid.indexOf('@'));
  }

  affiliationOf(bareJid: string): Affiliation {
    return this.affiliations.get(bareJid)?.affiliation ?? 'none';
  }

  setAffiliation(bareJid: string, affiliation: Affiliation, reason?: string): void {
    if (affiliation === 'none') this.affiliations.delete(bareJid);
    else this.affiliations.set(bareJid, { affiliation, reason });
  }

  withAffiliation(affiliation: Affiliation): Array<{ jid: string; reason: string | undefined }> {
    return [...this.affiliations].filter(([, entry]) => entry.affiliation === affiliation).map(([jid, entry]) => ({ jid, reason: entry.reason }));
  }

  get ownerCount(): number {
    return this.withAffiliation('owner').length;
  }

  occupantOf(bareJid: string): Occupant | undefined {
    for (const occupant of this.occupants.values()) if (occupant.bareJid === bareJid) return occupant;
    return undefined;
  }

  /** The occupant a device (full JID) is joined as. */
  occupantWithSession(fullJid: string): Occupant | undefined {
    for (const occupant of this.occupants.values()) if (occupant.sessions.has(fullJid)) return occupant;
    return undefined;
  }

  occupantJid(nick: string): string {
    return `${this.jid}/${nick}`;
  }

  /** Every joined device, with the occupant it belongs to. */
  *sessions(): Generator<{ occupant: Occupant; fullJid: string }> {
    for (const occupant of this.occupants.values()) for (const fullJid of occupant.sessions.keys()) yield { occupant, fullJid };
  }
}
