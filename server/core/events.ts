// Every event modules can hook, with its payload type (DESIGN.md: one typed EventMap).
// Names follow Prosody's: "<stanza>/<target>" where target is host (the server itself),
// bare (an account), full (one resource) or self (an account talking to itself).
import type { Element } from 'ltx';
import type { Jid } from '../util/jid.js';
import type { ClientSession } from './session.js';

export type TargetKind = 'host' | 'bare' | 'full';

export interface StanzaEvent {
  stanza: Element;
  /** The client session it came from; undefined for stanzas the server generated. */
  origin: ClientSession | undefined;
  /** Sender, as stamped by the server. */
  from: Jid;
  /** Recipient; a stanza without `to` from a client is addressed to its own bare JID. */
  to: Jid;
  /** Sends an answer (an iq result or error) back to the sender. */
  reply(stanza: Element): void;
}

/** An iq get/set whose payload the handler was chosen by. */
export interface IqEvent extends StanzaEvent {
  payload: Element;
}

/** An iq from a client that has not authenticated yet (only registration, XEP-0077). */
export interface PreAuthIqEvent {
  stanza: Element;
  payload: Element;
  session: ClientSession;
  /**
   * The client's network address, for per-address limits (registration throttling) only: never
   * log it or store it (issue 11).
   */
  remoteAddress: string | undefined;
  reply(stanza: Element): void;
}

export interface SessionEvent {
  session: ClientSession;
}

type StanzaKind = 'message' | 'presence' | 'iq';

export type EventMap = {
  /** Before routing a stanza a local client sent; modules do outbound processing here. */
  [K in `pre-${StanzaKind}/${TargetKind}`]: StanzaEvent;
} & {
  /**
   * Before routing a stanza a local client sent to another server (a domain that is neither this
   * one nor one of its component hosts); fired before the `pre-` events above, so a handler that
   * returns a value (the limited-accounts module refusing it) stops it before anything else sees it.
   */
  [K in `pre-remote/${StanzaKind}`]: StanzaEvent;
} & {
  /** A stanza arriving for the server, an account or a resource. */
  [K in `${StanzaKind}/${TargetKind}`]: StanzaEvent;
} & {
  [K in `iq-${'get' | 'set'}/${TargetKind | 'self'}/${string}`]: IqEvent;
} & {
  /**
   * A stanza for a component host a module serves (ModuleApi.addComponent: conference.<domain>,
   * later upload. and proxy.), or for any address at it (a room, an occupant). The handler checks
   * `to.domain`. An iq get/set first fires `iq-get|set/component/<ns>:<name>`, then
   * `component/iq`; one nobody handles gets service-unavailable, as does a message.
   * (The `pre-` events of a client's stanza fire by the shape of `to` as for any address.)
   */
  [K in `component/${StanzaKind}`]: StanzaEvent;
} & {
  [K in `iq-${'get' | 'set'}/component/${string}`]: IqEvent;
} & {
  [K in `iq-${'get' | 'set'}/pre-auth/${string}`]: PreAuthIqEvent;
} & {
  /**
   * A non-stanza first-level element of an authenticated stream (e.g. XEP-0198 <enable/>), by
   * "namespace:name"; fired before and after resource binding (check session.jid).
   */
  [K in `stream-element/${string}`]: { session: ClientSession; element: Element };
} & {
  /** Presence with no `to` from a client: its own broadcast (RFC 6121 §4.2, §4.4). */
  'presence/broadcast': { session: ClientSession; stanza: Element };
  /** The session's first available presence: pending requests go out now. */
  'presence/initial': SessionEvent;
  /**
   * The session's priority became non-negative (with its first presence or later): from now on
   * it takes messages for the account (RFC 6121 §8.5.2), so offline messages go out.
   */
  'presence/reachable': SessionEvent;
  /** A message for an account with no resource that can take it; a handler stores it. */
  'message/offline': StanzaEvent & { username: string };
  /** Features offered on a stream; handlers append children to `features`. */
  'stream-features': { session: ClientSession; features: Element; authenticated: boolean };
  /** A roster item the user sees changed (or was removed); the roster module pushes it. */
  'roster-item-changed': { username: string; contact: string; version: number };
  /**
   * A bound session's connection dropped without a stream close. A handler that returns true
   * keeps the session bound and detached, waiting to be resumed (XEP-0198); otherwise it ends.
   */
  'c2s-connection-lost': SessionEvent;
  'resource-bind': SessionEvent;
  'resource-unbind': SessionEvent;
  // PEP (XEP-0163), answered by modules/pep.ts, used by the modules built on it (bookmarks,
  // vCard4, avatars). Each request event returns its result from fire().
  /** Publish an item to an account's node, creating the node with `options` if needed. Returns PepResult<{ id: string }>. */
  'pep/publish': { username: string; node: string; id?: string; item: Element; options?: Record<string, string> };
  /** Items of an account's node, newest first. Returns PepResult<Element[]> (each an <item id>). */
  'pep/items': { username: string; node: string; ids?: string[]; max?: number };
  /** Retract an item. Returns PepResult<true>. */
  'pep/retract': { username: string; node: string; id: string; notify?: boolean };
  /** Something was published (by the user or the server); conversion modules watch this. Fired after storing. */
  'pep/item-published': { username: string; node: string; id: string; item: Element; publisher: 'user' | 'server' };
  'pep/item-retracted': { username: string; node: string; id: string };
  // Private XML storage (XEP-0049, modules/private-storage.ts) asks these before its own store,
  // so a module can keep one kind of element elsewhere (bookmarks keeps storage:bookmarks in PEP).
  /** A get for `element` (empty, giving name and namespace). Returns the stored Element, or a StanzaError. */
  'private-storage/get': { username: string; element: Element };
  /** A set of `element`. Returns true once stored, or a StanzaError. */
  'private-storage/set': { username: string; element: Element };
  /**
   * XEP-0050 ad-hoc commands of the server that `requester` (a local account's full JID) may run:
   * handlers push theirs into `commands` and return undefined. Each module answers its own
   * `iq-set/host/http://jabber.org/protocol/commands:command` by node (modules/adhoc.ts lists them).
   */
  'adhoc/list': { requester: Jid; commands: Array<{ node: string; name: string }> };
  'user-created': { username: string };
  'user-deleted': { username: string };
  /**
   * Deletes uploaded files now (modules/http-upload; the control API's storage.purge): those past
   * upload.retentionDays, or every one with `everything`. Returns an UploadPurgeResult.
   */
  'upload/purge': { everything: boolean };
  // Circles (storage.circles): fired after the change is stored; the circles module brings
  // rosters and the circle's group chat in step. Handlers only watch (they return undefined).
  'circle-created': { circleId: number };
  'circle-member-added': { circleId: number; username: string };
  /** `name` and `groupChat` as the circle was, so what it gave the member can be taken back. */
  'circle-member-removed': { circleId: number; username: string; name: string; groupChat: string | undefined };
  'circle-renamed': { circleId: number; previousName: string };
  /** Its group chat was switched on (a localpart is stored) or off (`previous` was its localpart). */
  'circle-group-chat-changed': { circleId: number; previous: string | undefined };
  /** Already gone from storage: everything it had is in the payload. */
  'circle-deleted': { circleId: number; name: string; members: string[]; groupChat: string | undefined };
  // Group chats other modules keep for a group of accounts (a circle's), answered by modules/muc.
  /**
   * Makes sure a persistent, members-only, hidden room `localpart`@conference.<domain> exists,
   * named `name`, creating it with `owners` (bare JIDs) as owners. Returns the room's bare JID
   * (undefined without the group chat service).
   */
  'muc/ensure-room': { localpart: string; name: string; owners: string[] };
  /**
   * Membership of such a room: `add` (bare JIDs) become members unless they already are more;
   * `remove` lose a plain membership (and leave the room, XEP-0045 §9.4 status 321). Returns true.
   */
  'muc/follow-members': { room: string; add: string[]; remove: string[] };
  /** Whether a room exists at conference.<domain> with this localpart. Returns true or false. */
  'muc/room-exists': { localpart: string };
  /** The server is up; `listeners` has the real ports (port 0 in the config picks one). */
  'server-started': { domain: string; listeners?: ReadonlyArray<{ name: string; port: number }> };
  'server-stopping': { domain: string };
};

export type EventName = keyof EventMap & string;

/** What a PEP request event returns: the value, or the stanza error a client would get. */
export type PepResult<T> = { ok: true; value: T } | { ok: false; error: import('../util/errors.js').StanzaError };

/** What `upload/purge` returns: how many files went, and the bytes they took. */
export interface UploadPurgeResult {
  files: number;
  bytes: number;
}
