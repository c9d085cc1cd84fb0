// A small BOSH client (XEP-0124, XEP-0206) for tests: @xmpp/client has no BOSH transport. It
// posts <body/> requests over real HTTPS with keep-alive and hands back the response text, so a
// test decides each rid, attribute and payload itself.
import { Agent, request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { parse, type Element } from 'ltx';
import { defaultPassword, domain, type TestServer } from './server.js';
import { httpsPort } from './websocket-client.js';

export const httpbindNs = 'http://jabber.org/protocol/httpbind';
export const xboshNs = 'urn:xmpp:xbosh';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** One HTTP request to the BOSH endpoint. */
export function boshHttp(t: TestServer, options: { method?: string; body?: string | Buffer; headers?: Record<string, string>; agent?: Agent } = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(
      {
        host: '127.0.0.1',
        servername: domain,
        port: httpsPort(t),
        path: '/http-bind',
        method: options.method ?? 'POST',
        headers: { Host: `${domain}:${httpsPort(t)}`, 'Content-Type': 'text/xml; charset=utf-8', ...options.headers },
        ca: readFileSync(process.env.HEARTH_TEST_CA!),
        agent: options.agent ?? false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, text: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(options.body);
  });
}

/** The <body/> of a response, parsed. */
export function parseBody(text: string): Element {
  const body = parse(text) as Element;
  if (!body.is('body', httpbindNs)) throw new Error(`not a BOSH body: ${text}`);
  return body;
}

function attributes(attrs: Record<string, string | number | undefined>): string {
  return Object.entries(attrs)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => ` ${name}='${value}'`)
    .join('');
}

export interface CreateOptions {
  wait?: number;
  hold?: number;
  to?: string;
  ver?: string;
  /** Extra or replaced attributes of the creation request. */
  attrs?: Record<string, string | undefined>;
}

export class BoshClient {
  /** The rid of the last request sent. */
  rid: number;
  /** Text of every response read by waitFor() and not yet matched. */
  private unread = '';

  private constructor(
    private readonly t: TestServer,
    readonly sid: string,
    firstRid: number,
    /** The session creation response. */
    readonly creation: Element,
    private readonly agent: Agent,
  ) {
    this.rid = firstRid;
  }

  /** Creates a session (XEP-0124 §7) and returns the client with the creation response. */
  static async create(t: TestServer, options: CreateOptions = {}): Promise<BoshClient> {
    const rid = 1_000_000 + Math.floor(Math.random() * 1_000_000_000);
    const agent = new Agent({ keepAlive: true, maxSockets: 2 });
    const answer = await boshHttp(t, {
      agent,
      body: `<body xmlns='${httpbindNs}' xmlns:xmpp='${xboshNs}'${attributes({
        rid,
        to: options.to ?? domain,
        // Short by default: this client sends one request at a time, and a request whose payload
        // gets no answer (a presence, a message) is held until 'wait' runs out.
        wait: options.wait ?? 1,
        hold: options.hold ?? 1,
        ver: options.ver ?? '1.11',
        'xml:lang': 'en',
        'xmpp:version': '1.0',
        ...options.attrs,
      })}/>`,
    });
    const body = parseBody(answer.text);
    if (!body.attrs.sid) throw new Error(`no session was created: ${answer.text}`);
    return new BoshClient(t, body.attrs.sid, rid, body, agent);
  }

  /** Sends the next request (rid + 1) with these payloads and attributes; returns the response text. */
  request(payload = '', attrs: Record<string, string> = {}): Promise<string> {
    this.rid++;
    return this.requestWithRid(this.rid, payload, attrs);
  }

  /** Sends a request with a rid of the test's choosing (repeats, gaps). */
  async requestWithRid(rid: number, payload = '', attrs: Record<string, string> = {}): Promise<string> {
    const wrapper = `<body xmlns='${httpbindNs}' xmlns:xmpp='${xboshNs}'${attributes({ rid, sid: this.sid, ...attrs })}`;
    const answer = await boshHttp(this.t, { agent: this.agent, body: payload === '' ? `${wrapper}/>` : `${wrapper}>${payload}</body>` });
    if (answer.status !== 200) throw new Error(`HTTP ${answer.status}: ${answer.text}`);
    return answer.text;
  }

  /** Polls with empty requests until what arrived matches `pattern`; returns everything read. */
  async waitFor(pattern: RegExp, ms = 8000): Promise<string> {
    const deadline = Date.now() + ms;
    for (;;) {
      if (pattern.test(this.unread)) {
        const text = this.unread;
        this.unread = '';
        return text;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; got ${this.unread}`);
      const text = await this.request();
      this.unread += text;
      if (/type=["']terminate["']/.test(text) && !pattern.test(this.unread)) throw new Error(`the session ended: ${this.unread}`);
    }
  }

  /** Signs in with PLAIN and restarts the stream (XEP-0206 §5); returns the new stream features. */
  async authenticate(username: string, password = defaultPassword): Promise<string> {
    const auth = await this.request(
      `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0${username}\0${password}`).toString('base64')}</auth>`,
    );
    const success = /<success/.test(auth) ? auth : await this.waitFor(/<success/);
    if (!/<success/.test(success)) throw new Error(`authentication failed: ${success}`);
    return this.request('', { 'xmpp:restart': 'true', to: domain, 'xml:lang': 'en' });
  }

  /** Signs in and binds `resource`. */
  async login(username: string, resource: string): Promise<void> {
    await this.authenticate(username);
    const bound = await this.request(`<iq type='set' id='bind' xmlns='jabber:client'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${resource}</resource></bind></iq>`);
    if (!/<jid>/.test(bound)) await this.waitFor(/<jid>/);
  }

  /** Ends the session (XEP-0124 §13). */
  terminate(payload = ''): Promise<string> {
    return this.request(payload, { type: 'terminate' });
  }

  close(): void {
    this.agent.destroy();
  }
}
