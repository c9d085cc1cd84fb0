// The federation hub: stanzas the router sends to other servers go out on one link per domain
// pair (created on demand, closed when idle); streams other servers open to us are accepted here;
// dialback keys they present are checked over our own links (XEP-0220 §2.1.2). It also keeps
// what the status page shows.
import type { Element } from 'ltx';
import type { TcpTransport, TcpTransportOptions } from '../net/tcp-transport.js';
import type { TlsCredentials } from '../net/tls.js';
import { StanzaError, StreamError } from '../util/errors.js';
import { parseJid, type Jid } from '../util/jid.js';
import type { Logger } from '../util/log.js';
import { canBounce, errorReply } from '../util/stanza.js';
import type { ConnectorOptions } from './connector.js';
import type { DialbackKeys } from './dialback-key.js';
import { IncomingStream, type DialbackVerdict } from './incoming-stream.js';
import { timedOut, type LinkFailure } from './link-failure.js';
import { OutgoingLink } from './outgoing-link.js';
import type { FederationStatus, FederationStatusTracker } from './status.js';
import type { S2sTls } from './tls-contexts.js';

export interface LinkManagerOptions {
  /** Our domain and component hosts: the only senders we carry and the only targets we accept. */
  isLocalHost(domain: string): boolean;
  connector: ConnectorOptions;
  tls: S2sTls;
  credentials: TlsCredentials;
  dialbackKeys: DialbackKeys;
  streamOptions: TcpTransportOptions;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  /** Time an incoming stream has to authenticate. */
  authTimeoutMs: number;
  insecureDomains: ReadonlySet<string>;
  /** Stanzas from other servers enter the router here, as from a remote entity. */
  deliver(stanza: Element, from: Jid, to: Jid): void;
  /** Routes a stanza we generate (bounces, errors). */
  route(stanza: Element): void;
  status: FederationStatusTracker;
  log: Logger;
}

/** Stanzas one link may hold while it comes up. */
const maxQueuedPerLink = 1000;

export class LinkManager {
  private readonly outgoing = new Map<string, OutgoingLink>();
  private readonly incoming = new Set<IncomingStream>();
  private readonly sweeper: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly options: LinkManagerOptions) {
    // Idle links are looked for a few times per idle period.
    this.sweeper = setInterval(() => this.closeIdle(), Math.max(1000, Math.min(60_000, options.idleTimeoutMs / 4))).unref();
  }

  /** A stanza for another server, from one of our hosts (the router's remote route). */
  send(stanza: Element, from: Jid, to: Jid): void {
    if (!this.options.isLocalHost(from.domain)) {
      // Streams carry only our own hosts' stanzas; relaying for someone else is never done.
      this.options.log.warn('dropped a stanza to another server that did not come from this server');
      return;
    }
    if (this.stopped) return this.bounce(stanza, { condition: 'remote-server-timeout', text: 'this server is stopping' });
    stanza.attrs.from = from.toString();
    stanza.attrs.to = to.toString();
    this.linkFor(from.domain, to.domain).send(stanza);
  }

  /** A stream another server opened to us (ports.s2s or ports.s2sTls). */
  accept(transport: TcpTransport): void {
    if (this.stopped) return transport.close();
    const stream: IncomingStream = new IncomingStream(transport, {
      isLocalHost: (domain) => this.options.isLocalHost(domain),
      dialbackKeys: this.options.dialbackKeys,
      verifyDialback: (local, remote, streamId, key) => this.verifyDialback(local, remote, streamId, key),
      deliver: (stanza, from, to) => this.options.deliver(stanza, from, to),
      route: (stanza) => this.options.route(stanza),
      log: this.options.log,
      authenticated: (_stream, domain, mechanism) => {
        this.options.status.succeeded(domain);
        this.options.log.info(`${domain} authenticated its link to us (${mechanism === 'EXTERNAL' ? 'certificate, SASL EXTERNAL' : 'dialback'})`);
      },
    });
    this.incoming.add(stream);
    const authTimer = setTimeout(() => {
      if (stream.authenticatedDomains.size === 0) stream.close(new StreamError('connection-timeout', 'authentication took too long'));
    }, this.options.authTimeoutMs).unref();
    transport.onClose(() => {
      clearTimeout(authTimer);
      this.incoming.delete(stream);
    });
  }

  status(): Omit<FederationStatus, 'enabled' | 'insecureDomains'> {
    const outgoing = [...this.outgoing.values()].filter((link) => link.isReady);
    const incoming = [...this.incoming].filter((stream) => !stream.closed && stream.authenticatedDomains.size > 0);
    const domains = new Set([...outgoing.map((link) => link.remote), ...incoming.flatMap((stream) => [...stream.authenticatedDomains])]);
    return {
      outgoingLinks: outgoing.length,
      incomingLinks: incoming.length,
      connectedDomains: [...domains].sort(),
      lastErrors: this.options.status.lastErrors(),
    };
  }

  /** Closes every link; what still waits bounces with remote-server-timeout. */
  close(): void {
    this.stopped = true;
    clearInterval(this.sweeper);
    for (const link of [...this.outgoing.values()]) link.close(timedOut('this server is stopping'));
    for (const stream of [...this.incoming]) stream.close(new StreamError('system-shutdown', 'the server is stopping'));
  }

  private verifyDialback(local: string, remote: string, streamId: string, key: string): Promise<DialbackVerdict> {
    if (this.stopped) return Promise.resolve({ error: 'remote-server-timeout' });
    return this.linkFor(local, remote).verify(streamId, key);
  }

  private linkFor(local: string, remote: string): OutgoingLink {
    const pair = `${local} ${remote}`;
    const existing = this.outgoing.get(pair);
    if (existing && !existing.isDone) return existing;
    const { options } = this;
    const link = new OutgoingLink(local, remote, {
      connector: options.connector,
      tls: options.tls,
      credentials: options.credentials,
      dialbackKeys: options.dialbackKeys,
      streamOptions: options.streamOptions,
      connectTimeoutMs: options.connectTimeoutMs,
      maxQueued: maxQueuedPerLink,
      insecureAllowed: (domain) => options.insecureDomains.has(domain),
      log: options.log,
      onReady: (ready, mechanism) => {
        options.status.succeeded(ready.remote);
        options.log.info(`link to ${ready.remote} is up (${mechanism === 'EXTERNAL' ? 'certificate, SASL EXTERNAL' : 'dialback'})`);
      },
      onFailed: (failed, failure, waiting) => {
        this.forget(pair, failed);
        options.status.failed(failed.remote, failure.text);
        options.log.info(`no link to ${failed.remote}: ${failure.text}`);
        for (const stanza of waiting) this.bounce(stanza, failure);
      },
      onClosed: (closed) => this.forget(pair, closed),
      onOverflow: (stanza) => this.bounce(stanza, { condition: 'remote-server-timeout', text: 'too many stanzas are waiting for this server' }),
    });
    this.outgoing.set(pair, link);
    return link;
  }

  private forget(pair: string, link: OutgoingLink): void {
    if (this.outgoing.get(pair) === link) this.outgoing.delete(pair);
  }

  /**
   * The sender learns that its stanza did not get through (RFC 6120 §8.3.1), with the error from
   * our domain (§8.3.2 'by'). Never an error for an error, and no news of an unavailable presence.
   */
  private bounce(stanza: Element, failure: LinkFailure | { condition: 'remote-server-timeout'; text: string }): void {
    if (!canBounce(stanza) || (stanza.name === 'presence' && stanza.attrs.type === 'unavailable')) return;
    const reply = errorReply(stanza, new StanzaError(failure.condition, failure.text), parseJid(String(stanza.attrs.from ?? ''))?.domain);
    delete reply.attrs.xmlns;
    this.options.route(reply);
  }

  private closeIdle(): void {
    const now = Date.now();
    const limit = this.options.idleTimeoutMs;
    for (const link of [...this.outgoing.values()]) {
      if (link.isReady && link.idleFor(now) > limit) link.close(timedOut('idle'));
    }
    for (const stream of [...this.incoming]) {
      if (stream.idleFor(now) > limit) stream.close();
    }
  }
}
