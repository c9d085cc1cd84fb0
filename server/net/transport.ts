// What a c2s session needs from the connection under it. TCP (with STARTTLS or direct TLS) is
// the first transport; WebSocket and BOSH provide the same interface later.

export type ChannelBindingType = 'tls-exporter' | 'tls-server-end-point';

export interface StreamTransport {
  /** Whether the bytes are protected by TLS now. */
  readonly secure: boolean;
  /** Whether STARTTLS can upgrade this transport (false once secure, and for non-TCP transports). */
  readonly canStartTls: boolean;
  /** Channel-binding types usable for SCRAM-*-PLUS on this connection (RFC 9266, RFC 5929). */
  channelBindingTypes(): ChannelBindingType[];
  channelBinding(type: string): Buffer | undefined;
  write(data: string): void;
  /** Upgrades to TLS in place (RFC 6120 §5.4.3); data after the handshake arrives through onData. */
  startTls(): Promise<void>;
  /** Flushes what was written, then closes. */
  close(): void;
  onData(listener: (chunk: Buffer) => void): void;
  /** Adds a listener for the end of the connection (several may listen). */
  onClose(listener: () => void): void;
}
