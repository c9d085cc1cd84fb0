// One client connection of the load generator, on plain net/tls: STARTTLS, SCRAM, bind, and
// optionally stream management (XEP-0198) and initial presence. Lean on purpose: stanzas are
// written as strings and read with the splitter, so one process can drive thousands of sessions
// and stay well below the server's CPU use (the harness reports it).
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { ScramClient, type ScramMechanism } from './scram.js';
import { attribute, childText, elementName, escapeXml, StanzaSplitter } from './stanza-splitter.js';

export interface SessionOptions {
  host: string;
  port: number;
  /** The XMPP domain (stream 'to', TLS server name, JIDs). */
  domain: string;
  /** CA certificate(s) that sign the server's certificate: verification stays on. */
  ca: Buffer | string;
  username: string;
  password: string;
  resource: string;
  /** Source address, e.g. one of several 127.0.0.x so thousands of sockets never run out of ports. */
  localAddress?: string;
  mechanism?: ScramMechanism;
  /** Enable XEP-0198 after binding, as mobile clients do (default false). */
  streamManagement?: boolean;
  /** With stream management, also acknowledge unasked every this many stanzas (XEP-0198 §4 allows it; default 50). */
  ackEvery?: number;
  /** Send initial presence, confirmed by a ping round trip, before resolving (default true). */
  presence?: boolean;
  /** Limit for each step of the login (default 30 s). */
  stepTimeoutMs?: number;
}

const smNs = 'urn:xmpp:sm:3';
const streamHeader = (domain: string) =>
  `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='${escapeXml(domain)}' version='1.0'>`;

/** Names of the top-level elements that are stanzas (counted for XEP-0198); everything else is a nonza. */
const stanzaNames = new Set(['message', 'presence', 'iq']);

export type StanzaListener = (xml: string, name: string) => void;

export class BenchSession {
  /** The full JID the server bound. */
  jid = '';
  /** Called for every stanza received after the login (not for XEP-0198 nonzas). */
  onStanza: StanzaListener | undefined;
  /** Why the connection ended, if it ended badly. */
  failure: Error | undefined;
  /** Resolves when the socket is closed, however that happened. */
  readonly closed: Promise<void>;

  private socket: Socket | TLSSocket;
  private splitter!: StanzaSplitter;
  private loginQueue: string[] | undefined = [];
  private wake: (() => void) | undefined;
  private streamClosedByServer = false;
  private isClosed = false;
  private resolveClosed!: () => void;
  private readonly pendingIqs = new Map<string, { resolve: (xml: string) => void; reject: (error: Error) => void }>();
  private nextIqId = 0;
  /** XEP-0198 inbound count ("h"), once enabled. */
  private handled = -1;
  private readonly ackEvery: number;

  private constructor(
    socket: Socket,
    private readonly options: SessionOptions,
  ) {
    this.socket = socket;
    this.ackEvery = options.ackEvery ?? 50;
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    socket.once('close', () => this.onClose());
    socket.on('error', (error) => (this.failure ??= error));
    this.attach(socket);
  }

  get open(): boolean {
    return !this.isClosed;
  }

  get bareJid(): string {
    return this.jid.split('/')[0]!;
  }

  send(xml: string): void {
    if (!this.isClosed) this.socket.write(xml);
  }

  /** Sends an iq (it gets an id here) and resolves with the result, or rejects with the error stanza or on close. */
  iq(type: 'get' | 'set', to: string | undefined, payload: string, timeoutMs = 60_000): Promise<string> {
    const id = `q${++this.nextIqId}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pendingIqs.delete(id);
        reject(new Error(`no answer to iq ${id} in ${timeoutMs} ms`));
      }, timeoutMs);
      this.pendingIqs.set(id, {
        resolve: (xml) => {
          clearTimeout(timer);
          if (attribute(xml, 'type') === 'error') reject(new Error(`iq ${id} failed: ${xml}`));
          else resolve(xml);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.send(`<iq type='${type}' id='${id}'${to ? ` to='${escapeXml(to)}'` : ''}>${payload}</iq>`);
    });
  }

  /** Ends the stream politely and waits (up to `ms`) for the server to close it; then the socket goes. */
  async close(ms = 5000): Promise<void> {
    if (this.isClosed) return;
    this.send('</stream:stream>');
    const timer = setTimeout(() => this.socket.destroy(), ms);
    await this.closed;
    clearTimeout(timer);
  }

  /** Drops the connection without a word, as a phone losing its network does. */
  destroy(): void {
    this.socket.destroy();
  }

  private attach(socket: Socket | TLSSocket): void {
    this.splitter = new StanzaSplitter({
      streamOpen: () => {},
      element: (xml) => this.receive(xml),
      streamClose: () => {
        this.streamClosedByServer = true;
        this.socket.end();
      },
    });
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => this.splitter.push(text));
  }

  private receive(xml: string): void {
    const name = elementName(xml);
    // XEP-0198 §4: counting starts with <enabled/>, before the login code gets to see it.
    if (name === 'enabled' && this.handled < 0) this.handled = 0;
    else if (this.handled >= 0) {
      if (stanzaNames.has(name)) {
        this.handled++;
        if (this.handled % this.ackEvery === 0) this.send(`<a xmlns='${smNs}' h='${this.handled}'/>`);
      } else if (name === 'r') {
        this.send(`<a xmlns='${smNs}' h='${this.handled}'/>`);
        return;
      } else if (name === 'a') {
        return;
      }
    }
    if (this.loginQueue) {
      this.loginQueue.push(xml);
      this.wake?.();
      return;
    }
    if (name === 'iq') {
      const type = attribute(xml, 'type');
      if (type === 'result' || type === 'error') {
        const id = attribute(xml, 'id');
        const pending = id === undefined ? undefined : this.pendingIqs.get(id);
        if (pending) {
          this.pendingIqs.delete(id!);
          pending.resolve(xml);
          return;
        }
      } else {
        this.answerIq(xml);
        return;
      }
    }
    if (name === 'stream:error') this.failure ??= new Error(`stream error: ${xml}`);
    this.onStanza?.(xml, name);
  }

  /** RFC 6120 §8.2.3: every get or set gets an answer; pings (XEP-0199) are the only ones understood. */
  private answerIq(xml: string): void {
    const id = escapeXml(attribute(xml, 'id') ?? '');
    const from = attribute(xml, 'from');
    const to = from ? ` to='${escapeXml(from)}'` : '';
    if (xml.includes('urn:xmpp:ping')) this.send(`<iq type='result' id='${id}'${to}/>`);
    else this.send(`<iq type='error' id='${id}'${to}><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`);
  }

  private onClose(): void {
    this.isClosed = true;
    if (!this.streamClosedByServer && !this.failure && this.loginQueue) this.failure = new Error('the server closed the connection');
    for (const pending of this.pendingIqs.values()) pending.reject(new Error('the connection closed'));
    this.pendingIqs.clear();
    this.wake?.();
    this.resolveClosed();
  }

  /** The next element received during the login, skipping what `skip` says to; throws on timeout, close or stream error. */
  private async next(what: string, skip: (name: string, xml: string) => boolean = () => false): Promise<string> {
    const deadline = Date.now() + (this.options.stepTimeoutMs ?? 30_000);
    for (;;) {
      const queue = this.loginQueue!;
      while (queue.length > 0) {
        const xml = queue.shift()!;
        const name = elementName(xml);
        if (name === 'stream:error') throw new Error(`stream error while waiting for ${what}: ${xml}`);
        if (!skip(name, xml)) return xml;
      }
      if (this.isClosed) throw new Error(`connection closed while waiting for ${what}${this.failure ? `: ${this.failure.message}` : ''}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          this.wake = undefined;
          resolve();
        };
      });
    }
  }

  private async features(): Promise<string> {
    this.send(streamHeader(this.options.domain));
    return this.next('stream features', (name) => name !== 'stream:features');
  }

  private startTls(): Promise<void> {
    return new Promise((resolve, reject) => {
      const plain = this.socket;
      plain.removeAllListeners('data');
      const secure = tlsConnect({ socket: plain, servername: this.options.domain, ca: this.options.ca }, () => resolve());
      secure.once('error', reject);
      secure.on('error', (error) => (this.failure ??= error));
      this.socket = secure;
      this.attach(secure);
    });
  }

  /** Runs the whole login; on failure the socket is destroyed and the error thrown. */
  static async open(options: SessionOptions): Promise<BenchSession> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = netConnect({ host: options.host, port: options.port, localAddress: options.localAddress }, () => resolve(s));
      s.once('error', reject);
    });
    socket.setNoDelay(true);
    const session = new BenchSession(socket, options);
    try {
      await session.login();
      return session;
    } catch (error) {
      session.destroy();
      throw error;
    }
  }

  private async login(): Promise<void> {
    const { options } = this;
    let features = await this.features();
    if (!features.includes('urn:ietf:params:xml:ns:xmpp-tls')) throw new Error(`no STARTTLS offered: ${features}`);
    this.send(`<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`);
    const proceed = await this.next('proceed');
    if (elementName(proceed) !== 'proceed') throw new Error(`STARTTLS refused: ${proceed}`);
    await this.startTls();

    features = await this.features();
    const mechanism = options.mechanism ?? 'SCRAM-SHA-1';
    if (!features.includes(`>${mechanism}<`)) throw new Error(`${mechanism} not offered: ${features}`);
    const scram = new ScramClient(mechanism, options.username, options.password);
    this.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='${mechanism}'>${Buffer.from(scram.initial()).toString('base64')}</auth>`);
    const challenge = await this.next('SASL challenge');
    if (elementName(challenge) !== 'challenge') throw new Error(`authentication failed for ${options.username}: ${challenge}`);
    const response = await scram.respond(Buffer.from(childTextOf(challenge), 'base64').toString());
    this.send(`<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>${Buffer.from(response).toString('base64')}</response>`);
    const success = await this.next('SASL success');
    if (elementName(success) !== 'success') throw new Error(`authentication failed for ${options.username}: ${success}`);
    if (!scram.verify(Buffer.from(childTextOf(success), 'base64').toString())) throw new Error('the server signature is wrong');

    features = await this.features();
    this.send(`<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${escapeXml(options.resource)}</resource></bind></iq>`);
    const bound = await this.next('bind result', (name, xml) => name !== 'iq' || attribute(xml, 'id') !== 'bind');
    const jid = attribute(bound, 'type') === 'result' ? childText(bound, 'jid') : undefined;
    if (!jid) throw new Error(`bind failed: ${bound}`);
    this.jid = jid;

    if (options.streamManagement) {
      if (!features.includes(smNs)) throw new Error('stream management not offered');
      this.send(`<enable xmlns='${smNs}'/>`);
      const enabled = await this.next('stream management', (name) => name !== 'enabled' && name !== 'failed');
      if (elementName(enabled) !== 'enabled') throw new Error(`stream management refused: ${enabled}`);
    }
    if (options.presence ?? true) {
      // Servers handle a stream's stanzas in order: the ping's answer means the presence was processed.
      this.send(`<presence/><iq type='get' id='login-ping' to='${escapeXml(options.domain)}'><ping xmlns='urn:xmpp:ping'/></iq>`);
      await this.next('presence confirmation', (name, xml) => name !== 'iq' || attribute(xml, 'id') !== 'login-ping');
    }
    this.loginQueue = undefined;
  }
}

/** The character data of a SASL element (<challenge>base64</challenge>), '' for an empty one. */
function childTextOf(xml: string): string {
  const start = xml.indexOf('>') + 1;
  const end = xml.lastIndexOf('</');
  return start > 0 && end >= start ? xml.slice(start, end).trim() : '';
}

export const openSession = (options: SessionOptions) => BenchSession.open(options);
