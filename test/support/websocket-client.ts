// XMPP over WebSocket (RFC 7395) from the client side, for tests: @xmpp/client's own WebSocket
// transport, and a raw client that sends exactly the messages a test writes.
import { client, type Client } from '@xmpp/client';
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { defaultPassword, domain, type TestServer } from './server.js';
import { ScramSha256Mechanism } from './scram-sha-256-mechanism.js';

// @xmpp/websocket uses the WHATWG WebSocket global, which Node 20 has only behind a flag; the ws
// package's client implements the same interface.
(globalThis as Record<string, unknown>).WebSocket ??= WebSocket;

export const framingNs = 'urn:ietf:params:xml:ns:xmpp-framing';

export function httpsPort(t: TestServer): number {
  return t.server.listeners.find((listener) => listener.name === 'https')!.port;
}

export function webSocketUrl(t: TestServer): string {
  return `wss://${domain}:${httpsPort(t)}/xmpp-websocket`;
}

export interface WebSocketClientOptions {
  resource?: string;
  /** Let @xmpp/client reconnect (and resume, XEP-0198) by itself after a drop. */
  reconnect?: boolean;
}

/** An @xmpp/client over WebSocket; not started. */
export function webSocketClient(t: TestServer, username: string, options: WebSocketClientOptions = {}): Client {
  const xmpp = client({
    service: webSocketUrl(t),
    domain,
    resource: options.resource,
    credentials: async (authenticate: (c: object, m: string) => Promise<void>, mechanisms: string[]) => {
      if (!mechanisms.includes('SCRAM-SHA-256')) throw new Error(`server did not offer SCRAM-SHA-256: ${mechanisms.join(' ')}`);
      await authenticate({ username, password: defaultPassword }, 'SCRAM-SHA-256');
    },
  });
  xmpp.saslFactory.use('SCRAM-SHA-256', ScramSha256Mechanism);
  const reconnect = (xmpp as unknown as { reconnect: { stop(): void; delay: number } }).reconnect;
  if (options.reconnect) reconnect.delay = 50;
  else reconnect.stop();
  xmpp.on('error', () => {});
  return xmpp;
}

/** The WebSocket under an @xmpp/client, to break it the way a lost network would. */
export function underlyingWebSocket(xmpp: Client): WebSocket {
  return (xmpp as unknown as { socket: { socket: WebSocket } }).socket.socket;
}

/** A WebSocket speaking the XMPP subprotocol by hand: each message is one element (RFC 7395 §3.3.2). */
export class RawWebSocket {
  /** Messages received and not yet taken by next(). */
  private inbox: string[] = [];
  private waiters: Array<() => void> = [];
  closeCode: number | undefined;
  pings = 0;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      this.inbox.push(data.toString('utf8'));
      this.wake();
    });
    ws.on('ping', () => {
      this.pings++;
      this.wake();
    });
    ws.on('close', (code: number) => {
      this.closeCode = code;
      this.wake();
    });
    ws.on('error', () => {});
  }

  static connect(t: TestServer, options: { protocols?: string[]; autoPong?: boolean } = {}): Promise<RawWebSocket> {
    const ws = new WebSocket(webSocketUrl(t), options.protocols ?? ['xmpp'], {
      ca: readFileSync(process.env.HEARTH_TEST_CA!),
      autoPong: options.autoPong ?? true,
    });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new RawWebSocket(ws)));
      ws.once('unexpected-response', (_request, response) => reject(new Error(`handshake refused with HTTP ${response.statusCode}`)));
      ws.once('error', reject);
    });
  }

  send(text: string | Buffer, options: { binary?: boolean } = {}): void {
    this.ws.send(text, { binary: options.binary ?? false });
  }

  open(to = domain): void {
    this.send(`<open xmlns='${framingNs}' to='${to}' version='1.0'/>`);
  }

  /** The next message matching `pattern` (earlier ones are dropped); fails on close or after `ms`. */
  async next(pattern: RegExp = /./, ms = 5000): Promise<string> {
    const deadline = Date.now() + ms;
    for (;;) {
      while (this.inbox.length > 0) {
        const message = this.inbox.shift()!;
        if (pattern.test(message)) return message;
      }
      if (this.closeCode !== undefined) throw new Error(`closed (${this.closeCode}) before a message matching ${pattern}`);
      if (!(await this.sleep(deadline))) throw new Error(`timed out waiting for a message matching ${pattern}`);
    }
  }

  /** Every message until the connection closes, and the close code. */
  async untilClosed(ms = 5000): Promise<{ code: number; messages: string[] }> {
    const deadline = Date.now() + ms;
    while (this.closeCode === undefined) {
      if (!(await this.sleep(deadline))) throw new Error(`the server did not close the connection; got ${this.inbox.join(' ')}`);
    }
    return { code: this.closeCode, messages: this.inbox.splice(0) };
  }

  terminate(): void {
    this.ws.terminate();
  }

  private wake(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** Waits for the next event; false once the deadline has passed. */
  private async sleep(deadline: number): Promise<boolean> {
    const left = deadline - Date.now();
    if (left <= 0) return false;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, left);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    return true;
  }
}

/** Opens a stream, signs in with PLAIN, restarts (RFC 7395 §3.7) and binds `resource`. */
export async function rawWebSocketLogin(t: TestServer, username: string, resource: string): Promise<RawWebSocket> {
  const { raw } = await rawWebSocketAuthenticate(t, username);
  raw.send(`<iq type='set' id='bind' xmlns='jabber:client'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${resource}</resource></bind></iq>`);
  await raw.next(/<iq [^>]*id="bind"/);
  return raw;
}

/** Opens a stream, signs in with PLAIN and opens the authenticated stream; returns its features too. */
export async function rawWebSocketAuthenticate(t: TestServer, username: string): Promise<{ raw: RawWebSocket; features: string }> {
  const raw = await RawWebSocket.connect(t);
  raw.open();
  await raw.next(/^<stream:features/);
  raw.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0${username}\0${defaultPassword}`).toString('base64')}</auth>`);
  await raw.next(/^<success/);
  raw.open();
  await raw.next(/^<open /);
  const features = await raw.next(/^<stream:features/);
  return { raw, features };
}
