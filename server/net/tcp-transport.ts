// An XMPP stream over a TCP socket: plain with STARTTLS (port 5222) or TLS from the first byte
// (XEP-0368 direct TLS, port 5223). The stream is one long XML document (RFC 6120 §4), parsed by
// XmlStreamParser under the configured limits. The same class carries server-to-server streams in
// both directions: only who speaks first and how STARTTLS wraps the socket differ (tlsUpgrade).
import type { Element } from 'ltx';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { serialize, streamFooter, streamHeader } from '../util/xml.js';
import type { TlsCredentials } from './tls.js';
import { ByteRateLimit } from './byte-rate-limit.js';
import type { ChannelBindingType, StreamInputHandlers, StreamTransport } from './transport.js';
import { XmlStreamParser, type XmlStreamLimits } from './xml-stream.js';

export interface TcpTransportOptions {
  limits: XmlStreamLimits;
  /** A connection with no traffic (not even whitespace keepalives) this long is dropped. */
  idleTimeoutMs: number;
  /** Incoming bytes per second after a burst of one largest stanza; 0 for no limit. */
  bytesPerSecond: number;
  /**
   * How STARTTLS upgrades the socket. Unset: the server side with the credentials (c2s). Server
   * streams (s2s) ask for the peer's certificate, and their outgoing side is a TLS client.
   */
  tlsUpgrade?: TlsUpgrade;
}

/** Wraps the plain socket in TLS; resolves with the TLS socket once the handshake is done. */
export type TlsUpgrade = (plain: Socket) => Promise<TLSSocket>;

/**
 * Where input goes while no session has given its handlers: nowhere. A connection refused before
 * it gets a session (the connection limits) may still deliver a few bytes before it closes.
 */
const inputBeforeHandlers: StreamInputHandlers = { streamStart() {}, stanza() {}, streamEnd() {}, error() {} };

function destroySocket(this: Socket): void {
  this.destroy();
}

export class TcpTransport implements StreamTransport {
  private socket: Socket;
  private readonly parser: XmlStreamParser;
  /** One listener as itself, more as an array of exactly their number: kept for the connection's life. */
  private closeListeners: Array<() => void> | (() => void) | undefined;
  private closed = false;
  private closedNotified = false;
  /** A STARTTLS handshake under way, failed by the connection closing. */
  private handshake: { reject(error: Error): void } | undefined;
  private readonly rateLimit: ByteRateLimit | undefined;
  readonly remoteAddress: string | undefined;

  constructor(
    socket: Socket,
    private readonly credentials: TlsCredentials,
    private readonly options: TcpTransportOptions,
  ) {
    this.socket = socket;
    this.remoteAddress = socket.remoteAddress;
    if (options.bytesPerSecond > 0) {
      // The burst lets one largest stanza through at once, whatever the rate.
      this.rateLimit = new ByteRateLimit(options.bytesPerSecond, Math.max(options.bytesPerSecond * 2, options.limits.maxStanzaBytes));
    }
    // The parser exists before the session gives its handlers (setInputHandlers).
    this.parser = new XmlStreamParser(options.limits, inputBeforeHandlers);
    this.attach(socket);
  }

  get secure(): boolean {
    return this.socket instanceof TLSSocket;
  }

  get canStartTls(): boolean {
    return !this.secure;
  }

  /** The TLS socket once secure, for peer-certificate checks (s2s, SASL EXTERNAL). */
  get tlsSocket(): TLSSocket | undefined {
    return this.socket instanceof TLSSocket ? this.socket : undefined;
  }

  channelBindingTypes(): ChannelBindingType[] {
    // RFC 9266 §3: tls-exporter is only safe on TLS 1.3 (TLS 1.2 needs extended master secret,
    // which Node cannot confirm), so -PLUS is offered on TLS 1.3 connections only.
    return this.socket instanceof TLSSocket && this.socket.getProtocol() === 'TLSv1.3' ? ['tls-exporter'] : [];
  }

  channelBinding(type: string): Buffer | undefined {
    if (type !== 'tls-exporter' || !this.channelBindingTypes().includes('tls-exporter')) return undefined;
    // RFC 8446 §7.5: an empty context is the same as none, which RFC 9266 asks for.
    return (this.socket as TLSSocket).exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0));
  }

  setInputHandlers(handlers: StreamInputHandlers): void {
    this.parser.setHandlers(handlers);
  }

  openStream(attributes: Record<string, string>, contentNamespace: string): void {
    this.write(streamHeader(attributes, contentNamespace));
  }

  send(element: Element): void {
    this.write(serialize(element));
  }

  restartStream(): void {
    this.parser.reset();
  }

  startTls(): Promise<void> {
    const plain = this.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    plain.removeAllListeners('error');
    plain.removeAllListeners('timeout');
    // The TLS socket keeps its own idle timer; the plain one would otherwise stay armed for the
    // life of the connection.
    plain.setTimeout(0);
    if (this.options.tlsUpgrade) return this.upgradeWith(this.options.tlsUpgrade, plain);
    const secure = new TLSSocket(plain, {
      isServer: true,
      secureContext: this.credentials.secureContext,
      SNICallback: this.credentials.sniCallback,
    });
    this.socket = secure;
    this.parser.reset();
    this.attach(secure);
    return new Promise((resolve, reject) => {
      // A failed handshake ends in 'close' (attach destroys the socket on 'error'), which settles
      // the promise (closedNow). No 'error' listener of its own: a third one, even for the
      // handshake only, turns the socket's list of them into an array with spare room, kept for
      // the connection's life.
      this.handshake = { reject };
      secure.once('secure', () => {
        this.handshake = undefined;
        resolve();
      });
    });
  }

  /** A custom upgrade (s2s): the TLS socket takes over once its handshake is done. */
  private upgradeWith(upgrade: TlsUpgrade, plain: Socket): Promise<void> {
    this.parser.reset();
    // Nothing is sent or read while the handshake runs; a connection lost meanwhile ends the transport.
    plain.once('close', () => {
      if (this.socket === plain) this.closedNow();
    });
    plain.on('error', () => plain.destroy());
    return upgrade(plain).then(
      (secure) => {
        if (this.closed) {
          secure.destroy();
          throw new Error('the connection closed during the TLS handshake');
        }
        this.socket = secure;
        this.attach(secure);
      },
      (error: unknown) => {
        plain.destroy();
        throw error;
      },
    );
  }

  closeStream(): void {
    this.write(streamFooter);
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.end();
    // A peer that never reads must not keep the socket open forever.
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  onClose(listener: () => void): void {
    const listeners = this.closeListeners;
    this.closeListeners = listeners === undefined ? listener : typeof listeners === 'function' ? [listeners, listener] : listeners.concat(listener);
  }

  private write(data: string): void {
    if (!this.closed && this.socket.writable) this.socket.write(data);
  }

  private throttle(socket: Socket, bytes: number): void {
    const pauseMs = this.rateLimit?.take(bytes) ?? 0;
    if (pauseMs === 0 || socket.isPaused()) return;
    socket.pause();
    setTimeout(() => {
      if (this.socket === socket && !socket.destroyed) socket.resume();
    }, pauseMs).unref();
  }

  private attach(socket: Socket): void {
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    socket.setTimeout(this.options.idleTimeoutMs);
    socket.on('data', (chunk: Buffer) => {
      this.parser.write(chunk);
      this.throttle(socket, chunk.length);
    });
    // Idle too long, or an error (a reset, a TLS alert): the connection ends; 'close' follows and
    // cleans up. One function for every socket (a listener is called with its socket as `this`).
    socket.on('timeout', destroySocket);
    socket.on('error', destroySocket);
    socket.on('close', () => this.closedNow());
  }

  private closedNow(): void {
    if (this.closedNotified) return;
    this.closedNotified = true;
    this.closed = true;
    this.parser.end();
    this.handshake?.reject(new Error('the connection closed during the TLS handshake'));
    this.handshake = undefined;
    const listeners = this.closeListeners;
    if (typeof listeners === 'function') listeners();
    else for (const listener of listeners ?? []) listener();
  }
}
