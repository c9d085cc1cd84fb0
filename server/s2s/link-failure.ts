// Why a link to another server could not be used, and which stanza error the stanzas that waited
// for it bounce with (RFC 6120 §8.3.3; XEP-0220 §2.1.1 for dialback outcomes).
import type { StanzaErrorCondition } from '../util/errors.js';

export interface LinkFailure {
  /**
   * remote-server-not-found: no connection could be made, or we refused it (no TLS, a bad
   * certificate); remote-server-timeout: too slow, or the server gave up on us (a dialback error,
   * SASL EXTERNAL refused with nothing to fall back on); internal-server-error: the server said our
   * dialback key is invalid (XEP-0220 §2.1.1 asks for exactly this one).
   */
  condition: Extract<StanzaErrorCondition, 'remote-server-not-found' | 'remote-server-timeout' | 'internal-server-error'>;
  /** For the admin (status page) and the person whose message bounced; never an IP address. */
  text: string;
}

export const notFound = (text: string): LinkFailure => ({ condition: 'remote-server-not-found', text });
export const timedOut = (text: string): LinkFailure => ({ condition: 'remote-server-timeout', text });
