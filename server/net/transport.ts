// What a stream session (c2s now, s2s next) needs from the connection under it, in XMPP terms
// rather than bytes: the peer's stream header, its first-level elements and its stream end come in;
// our header, elements and end go out. Each transport frames them its own way: TCP as one long XML
// document (RFC 6120 §4), WebSocket as one element per message with <open/> and <close/>
// (RFC 7395), BOSH as elements wrapped in HTTP request and response bodies (XEP-0124/0206).
import type { Element } from 'ltx';
import type { XmlStreamHandlers } from './xml-stream.js';

export type ChannelBindingType = 'tls-exporter' | 'tls-server-end-point';

export type StreamInputHandlers = XmlStreamHandlers;

export interface StreamTransport {
  /**
   * The peer's IP address, for the sign-in throttle and per-address connection limits only: it
   * is never logged or stored (see core/login-throttle.ts). Undefined when unknown.
   */
  readonly remoteAddress?: string;
  /** Whether the bytes are protected by TLS now. */
  readonly secure: boolean;
  /** Whether STARTTLS can upgrade this transport (false once secure, and for HTTP transports). */
  readonly canStartTls: boolean;
  /** Channel-binding types usable for SCRAM-*-PLUS on this connection (RFC 9266, RFC 5929). */
  channelBindingTypes(): ChannelBindingType[];
  channelBinding(type: string): Buffer | undefined;
  /** Where the peer's stream goes; set once, before any input arrives. */
  setInputHandlers(handlers: StreamInputHandlers): void;
  /** Our stream header (RFC 6120 §4.7) with these attributes and content namespace. */
  openStream(attributes: Record<string, string>, contentNamespace: string): void;
  /** One first-level element: a stanza or a nonza such as <features/>, <success/>, <r/>. */
  send(element: Element): void;
  /** Expects a fresh stream header from the peer (after STARTTLS, RFC 6120 §5.4.3.3, and SASL, §6.4.6). */
  restartStream(): void;
  /** Upgrades to TLS in place (RFC 6120 §5.4.3); input after the handshake arrives as a new stream. */
  startTls(): Promise<void>;
  /** Ends our stream (RFC 6120 §4.4), flushes what was sent, then closes the connection. */
  closeStream(): void;
  /** Closes the connection without ending the stream: it was taken over or is already dead. */
  close(): void;
  /** Adds a listener for the end of the connection (several may listen). */
  onClose(listener: () => void): void;
}
