// What the rest of the server sees of a client session, whatever carries it (TCP now;
// BOSH and WebSocket later run the same c2s logic over their own transport).
import type { Element } from 'ltx';
import type { StreamError } from '../util/errors.js';
import type { Jid } from '../util/jid.js';

export interface ClientSession {
  readonly id: string;
  /** The account, once authenticated. */
  readonly username: string | undefined;
  /** The full JID, once a resource is bound. */
  readonly jid: Jid | undefined;
  /** Current presence priority (RFC 6121 §4.7.2.3); negative ones get no bare-JID messages. */
  priority: number;
  /** The last available presence the client broadcast; undefined while unavailable. */
  presence: Element | undefined;
  /** The client asked for its roster, so it gets roster pushes (RFC 6121 §2.1.6 "interested"). */
  interested: boolean;
  /** Whether the connection is protected by TLS. */
  readonly secure: boolean;
  /**
   * Whether a connection is attached. False while a resumable session (XEP-0198) waits for its
   * client to come back: stanzas still pass the outgoing filters (which queue them) but are not written.
   */
  readonly connected: boolean;
  /** Stanzas received from the client since binding (XEP-0198 counts from here). */
  readonly stanzasReceived: number;
  /** Sends a stanza through the outgoing filters. */
  send(stanza: Element): void;
  /** Sends a stream-level element (acks, CSI answers): no filters, never queued. */
  sendNonza(element: Element): void;
  /**
   * Adds a filter every outgoing stanza passes, highest priority first; returning undefined
   * holds or drops the stanza (CSI holds, XEP-0198 counts and queues). Returns a remover.
   */
  addOutgoingFilter(filter: OutgoingFilter, priority: number): () => void;
  /**
   * XEP-0198 resumption: this session continues on the connection of `fresh`, a newly
   * authenticated session of the same account, which becomes a relay. False if that is not possible.
   */
  takeOverConnection(fresh: ClientSession): boolean;
  close(error?: StreamError): void;
}

export type OutgoingFilter = (stanza: Element) => Element | undefined;
