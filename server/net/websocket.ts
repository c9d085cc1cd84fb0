// XMPP over WebSocket (RFC 7395) on the HTTPS listener, for browser clients such as Converse.js.
// The WebSocket handshake and framing (RFC 6455) are the `ws` package's; this file is the XMPP
// subprotocol: <open/> and <close/> instead of the stream's start and end tags, one standalone
// element per message, and a transport so the same C2sSession as on TCP runs on top.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { TLSSocket } from 'node:tls';
import { Element } from 'ltx';
import type { RawData, WebSocket, WebSocketServer } from 'ws';
import { StreamError } from '../util/errors.js';
import { NS } from '../util/namespaces.js';
import { ByteRateLimit } from './byte-rate-limit.js';
import { parseMessage, standaloneXml } from './framed-xml.js';
import { sendText, type HttpRoutes } from './http-server.js';
import type { ChannelBindingType, StreamInputHandlers, StreamTransport } from './transport.js';
import type { XmlStreamLimits } from './xml-stream.js';

/** RFC 7395 §3.3.1: the namespace of <open/> and <close/>. */
export const framingNs = 'urn:ietf:params:xml:ns:xmpp-framing';
/** RFC 7395 §3.1 and §5: the registered subprotocol name. */
const subprotocol = 'xmpp';

// RFC 6455 §7.4.1 status codes.
const closeNormal = 1000;
const closeUnsupportedData = 1003;

/** How long each side of the closing handshake may take before the connection is cut. */
const closeGraceMs = 2000;

export interface WebSocketOptions {
  /** Where on the HTTPS listener the endpoint lives (/xmpp-websocket). */
  path: string;
  /** The stream limits of TCP; limits.maxStanzaBytes is also the largest message accepted. */
  limits: XmlStreamLimits;
  /** Incoming bytes per second after a burst of one largest stanza; 0 for no limit. */
  bytesPerSecond: number;
  /** Time between our pings; a connection that has not answered one by the next ping is dropped. */
  pingIntervalMs: number;
}

/** Serves the endpoint on `routes` and hands each accepted connection to `accept`; returns the undo. */
export function attachWebSocket(routes: HttpRoutes, accept: (transport: StreamTransport) => void, options: WebSocketOptions): () => void {
  // `ws` (with the zlib and HTTP code under it) is loaded by the first WebSocket client, not at
  // start: most families' apps use TCP, and a Pi has the memory for other things (issue 12).
  let server: Promise<WebSocketServer> | undefined;
  const webSocketServer = () =>
    (server ??= import('ws').then(
      ({ WebSocketServer }) =>
        new WebSocketServer({
          noServer: true,
          // A message is one element (RFC 7395 §3.3.2), so nothing larger than a stanza is ever
          // needed; ws refuses a longer frame from its header (close code 1009) before buffering it.
          maxPayload: options.limits.maxStanzaBytes,
          perMessageDeflate: false,
          clientTracking: false,
          handleProtocols: () => subprotocol,
        }),
    ));
  const removeUpgrade = routes.addUpgrade(options.path, (request, socket, head) => {
    if (!offersSubprotocol(request)) {
      // RFC 7395 §3.1: a connection without the xmpp subprotocol would not be XMPP at all.
      return refuseHandshake(socket, 400, `this endpoint speaks only the "${subprotocol}" WebSocket subprotocol (RFC 7395)`);
    }
    webSocketServer().then(
      (ws) => {
        // The client may have gone while ws was loading.
        if (socket.destroyed) return;
        ws.handleUpgrade(request, socket, head, (connection) => accept(new WebSocketTransport(connection, request, options)));
      },
      // Only if the installation lost the ws package: the client gets a closed connection, not a hang.
      () => socket.destroy(),
    );
  });
  // A plain GET (a person opening the address in a browser) learns what the address is for.
  const removeRoute = routes.add({
    path: options.path,
    handle: (_request, response) =>
      sendText(response, 426, `this is the XMPP over WebSocket endpoint (RFC 7395): connect with a WebSocket client and the "${subprotocol}" subprotocol`, {
        Upgrade: 'websocket',
      }),
  });
  return () => {
    removeUpgrade();
    removeRoute();
    void server?.then((ws) => ws.close());
  };
}

function offersSubprotocol(request: IncomingMessage): boolean {
  const header = request.headers['sec-websocket-protocol'];
  if (typeof header !== 'string') return false;
  return header.split(',').some((token) => token.trim() === subprotocol);
}

function refuseHandshake(socket: Duplex, status: 400, text: string): void {
  const body = `${text}\n`;
  socket.end(
    `HTTP/1.1 ${status} Bad Request\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

export class WebSocketTransport implements StreamTransport {
  readonly remoteAddress: string | undefined;
  /** RFC 7395 §3.9: TLS is the WebSocket's own (wss:), so the stream is secure from the start. */
  readonly secure = true;
  readonly canStartTls = false;

  private handlers: StreamInputHandlers | undefined;
  private readonly tlsSocket: TLSSocket | undefined;
  private readonly closeListeners: Array<() => void> = [];
  private readonly rateLimit: ByteRateLimit | undefined;
  private readonly pinger: NodeJS.Timeout;
  private closeTimer: NodeJS.Timeout | undefined;
  /** An <open/> arrived since the connection began or the stream last restarted. */
  private streamOpen = false;
  /** The peer sent <close/>, or a stream error ended the stream: later messages are ignored. */
  private inputEnded = false;
  /** We sent <close/>. */
  private closing = false;
  private closeStarted = false;
  private closed = false;
  private answeredPing = true;
  private closeCode = closeNormal;

  constructor(
    private readonly ws: WebSocket,
    request: IncomingMessage,
    private readonly options: WebSocketOptions,
  ) {
    this.remoteAddress = request.socket.remoteAddress;
    this.tlsSocket = request.socket instanceof TLSSocket ? request.socket : undefined;
    if (options.bytesPerSecond > 0) {
      this.rateLimit = new ByteRateLimit(options.bytesPerSecond, Math.max(options.bytesPerSecond * 2, options.limits.maxStanzaBytes));
    }
    ws.on('message', (data: RawData, isBinary: boolean) => this.onMessage(data as Buffer, isBinary));
    ws.on('pong', () => {
      this.answeredPing = true;
    });
    ws.on('error', (error: Error) => this.onProtocolError(error));
    ws.on('close', () => this.onClosed());
    // RFC 7395 §3.8: keepalives are WebSocket pings, not whitespace.
    this.pinger = setInterval(() => this.keepAlive(), options.pingIntervalMs).unref();
  }

  channelBindingTypes(): ChannelBindingType[] {
    // The TLS connection under the WebSocket is the client's own, so SCRAM-*-PLUS can bind to it;
    // as on TCP, tls-exporter only on TLS 1.3 (RFC 9266 §3).
    return this.tlsSocket?.getProtocol() === 'TLSv1.3' ? ['tls-exporter'] : [];
  }

  channelBinding(type: string): Buffer | undefined {
    if (type !== 'tls-exporter' || !this.channelBindingTypes().includes('tls-exporter')) return undefined;
    return this.tlsSocket!.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0));
  }

  setInputHandlers(handlers: StreamInputHandlers): void {
    this.handlers = handlers;
  }

  openStream(attributes: Record<string, string>): void {
    // RFC 7395 §3.4: our "stream header" is an <open/> with the attributes of RFC 6120 §4.7.
    this.write(standaloneXml(new Element('open', { xmlns: framingNs, ...attributes })));
  }

  send(element: Element): void {
    // RFC 7395 §3.5: after a stream error the stream is over; the close need not wait for the peer.
    if (element.name === 'stream:error') this.inputEnded = true;
    this.write(standaloneXml(element));
  }

  restartStream(): void {
    // RFC 7395 §3.7: after SASL both streams are implicitly closed and the client sends a new <open/>.
    this.streamOpen = false;
  }

  startTls(): Promise<void> {
    return Promise.reject(new Error('STARTTLS is not available over WebSocket (RFC 7395 §3.9)'));
  }

  closeStream(): void {
    if (this.closed || this.closing) return;
    this.closing = true;
    // RFC 7395 §3.6: <close/> first. The WebSocket closes at once when the stream is already over
    // (the peer closed first, or a stream error ended it); otherwise once the peer answers with
    // its own <close/>, or has had time to.
    this.write(standaloneXml(new Element('close', { xmlns: framingNs })));
    if (this.inputEnded) this.closeWebSocket();
    else this.closeTimer = setTimeout(() => this.closeWebSocket(), closeGraceMs).unref();
  }

  close(): void {
    this.closeWebSocket();
  }

  onClose(listener: () => void): void {
    this.closeListeners.push(listener);
  }

  private write(text: string): void {
    if (!this.closed && this.ws.readyState === this.ws.OPEN) this.ws.send(text);
  }

  /** Starts the WebSocket closing handshake (RFC 6455 §7.1.2), and cuts off a peer that does not finish it. */
  private closeWebSocket(): void {
    if (this.closed || this.closeStarted) return;
    this.closeStarted = true;
    clearTimeout(this.closeTimer);
    this.ws.close(this.closeCode);
    this.closeTimer = setTimeout(() => this.ws.terminate(), closeGraceMs).unref();
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    this.answeredPing = true;
    if (this.closed || this.inputEnded) return;
    this.throttle(data.length);
    if (isBinary) {
      // RFC 7395 §3.2: the subprotocol is UTF-8 text; RFC 6455 §7.4.1: 1003 for data we cannot take.
      this.closeCode = closeUnsupportedData;
      return this.fail(new StreamError('unsupported-encoding', 'XMPP over WebSocket messages are text (RFC 7395 §3.2)'));
    }
    if (data[0] !== 0x3c) {
      return this.fail(new StreamError('not-well-formed', "each message is one XML element and starts with '<' (RFC 7395 §3.3.2)"));
    }
    const parsed = parseMessage(data, this.options.limits);
    if (!parsed.ok) return this.fail(parsed.error);
    if (parsed.elements.length !== 1) {
      return this.fail(new StreamError('not-well-formed', 'each message carries exactly one element (RFC 7395 §3.3.2)'));
    }
    const element = parsed.elements[0]!;
    if (element.attrs.xmlns === framingNs && element.name === 'open') return this.onOpen(element);
    if (element.attrs.xmlns === framingNs && element.name === 'close') return this.onPeerClose();
    if (!this.streamOpen) {
      // RFC 7395 §3.4: the first message (and the first after a restart, §3.7) is <open/>.
      return this.fail(new StreamError('invalid-namespace', `open the stream with <open xmlns='${framingNs}'/> first (RFC 7395 §3.4)`));
    }
    this.handlers?.stanza(element);
  }

  private onOpen(open: Element): void {
    if (this.streamOpen) {
      return this.fail(new StreamError('invalid-xml', '<open/> starts a stream, and only again after a restart (RFC 7395 §3.4, §3.7)'));
    }
    this.streamOpen = true;
    const attributes: Record<string, string> = {};
    for (const [name, value] of Object.entries(open.attrs as Record<string, string>)) {
      if (name !== 'xmlns' && !name.startsWith('xmlns:')) attributes[name] = value;
    }
    // The <open/> stands for RFC 6120's stream header, whose content namespace is jabber:client here.
    this.handlers?.streamStart({ localName: 'stream', namespace: NS.streams, defaultNamespace: NS.client, attributes });
  }

  private onPeerClose(): void {
    this.inputEnded = true;
    // Our own <close/> went first: the peer has answered, so the WebSocket can close now.
    if (this.closing) return this.closeWebSocket();
    this.handlers?.streamEnd();
  }

  /** A stream error for the session to report; it closes the stream and, with it, the connection. */
  private fail(error: StreamError): void {
    this.inputEnded = true;
    this.handlers?.error(error);
  }

  /**
   * ws has already sent its close frame (1009 for a message over the limit, 1007 for bad UTF-8,
   * 1002 for a framing error), so no stream error reaches the client; the session is still told,
   * so it ends for good instead of waiting for a resumption (XEP-0198) that would resend the
   * same offending message.
   */
  private onProtocolError(error: Error): void {
    const code = (error as { code?: string }).code;
    if (code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
      this.fail(new StreamError('policy-violation', `a message is larger than the limit of ${this.options.limits.maxStanzaBytes} bytes`));
    } else if (code === 'WS_ERR_INVALID_UTF8') {
      this.fail(new StreamError('unsupported-encoding', 'a message is not valid UTF-8'));
    } else {
      this.fail(new StreamError('not-well-formed', 'the WebSocket framing is broken (RFC 6455 §5)'));
    }
  }

  private keepAlive(): void {
    if (!this.answeredPing) {
      // No pong and no message for a whole interval: the connection is dead. The session sees it
      // close like a dropped TCP connection (and can be resumed, XEP-0198).
      this.ws.terminate();
      return;
    }
    this.answeredPing = false;
    if (this.ws.readyState === this.ws.OPEN) this.ws.ping();
  }

  private throttle(bytes: number): void {
    const pauseMs = this.rateLimit?.take(bytes) ?? 0;
    if (pauseMs === 0 || this.ws.isPaused) return;
    this.ws.pause();
    setTimeout(() => this.ws.resume(), pauseMs).unref();
  }

  private onClosed(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.pinger);
    clearTimeout(this.closeTimer);
    for (const listener of this.closeListeners) listener();
  }
}
