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
  send(stanza: Element): void;
  close(error?: StreamError): void;
}
