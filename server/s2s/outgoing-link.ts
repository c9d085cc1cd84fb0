// One link from one of our hosts to another server's domain (a domain pair, XEP-0220 §2.6): it
// dials, runs the outgoing stream until it is authenticated, and meanwhile keeps the stanzas that
// wait for it. When it never comes up (within s2s.connectTimeoutSeconds) they bounce.
import { clone, type Element } from 'ltx';
import { TcpTransport, type TcpTransportOptions } from '../net/tcp-transport.js';
import type { TlsCredentials } from '../net/tls.js';
import type { Logger } from '../util/log.js';
import { connectToServer, describeNetworkError, type ConnectorOptions } from './connector.js';
import type { DialbackKeys } from './dialback-key.js';
import type { DialbackVerdict } from './incoming-stream.js';
import { notFound, timedOut, type LinkFailure } from './link-failure.js';
import { OutgoingStream, type AuthMechanism } from './outgoing-stream.js';
import type { S2sTls } from './tls-contexts.js';

export interface OutgoingLinkContext {
  connector: ConnectorOptions;
  tls: S2sTls;
  credentials: TlsCredentials;
  dialbackKeys: DialbackKeys;
  streamOptions: TcpTransportOptions;
  connectTimeoutMs: number;
  /** Most stanzas waiting for the link; more bounce at once with resource-constraint. */
  maxQueued: number;
  insecureAllowed(domain: string): boolean;
  log: Logger;
  /** The link came up. */
  onReady(link: OutgoingLink, mechanism: AuthMechanism): void;
  /** The link never came up: `waiting` are the stanzas it held, to bounce. */
  onFailed(link: OutgoingLink, failure: LinkFailure, waiting: Element[]): void;
  /** A link that was up has ended. */
  onClosed(link: OutgoingLink): void;
  /** A stanza that did not fit in the queue. */
  onOverflow(stanza: Element): void;
}

type State = 'connecting' | 'ready' | 'done';

interface PendingVerify {
  id: string;
  key: string;
  sent: boolean;
  resolve(verdict: DialbackVerdict): void;
}

export class OutgoingLink {
  private state: State = 'connecting';
  private stream: OutgoingStream | undefined;
  private readonly queue: Element[] = [];
  private readonly verifies = new Map<string, PendingVerify>();
  private readonly abort = new AbortController();
  private readonly connectTimer: NodeJS.Timeout;
  private lastUsed = Date.now();

  constructor(
    readonly local: string,
    readonly remote: string,
    private readonly context: OutgoingLinkContext,
  ) {
    this.connectTimer = setTimeout(
      () => this.fail(timedOut(`no working link within ${Math.round(context.connectTimeoutMs / 1000)} seconds`)),
      context.connectTimeoutMs,
    ).unref();
    void this.dial();
  }

  get isReady(): boolean {
    return this.state === 'ready';
  }

  get isDone(): boolean {
    return this.state === 'done';
  }

  idleFor(now = Date.now()): number {
    return now - this.lastUsed;
  }

  /** Sends now when the link is up, or keeps the stanza until it is. */
  send(stanza: Element): void {
    this.lastUsed = Date.now();
    if (this.state === 'ready') return this.stream!.send(forServerStream(stanza));
    if (this.state === 'done') return this.context.onOverflow(stanza);
    if (this.queue.length >= this.context.maxQueued) return this.context.onOverflow(stanza);
    this.queue.push(stanza);
  }

  /** XEP-0220 §2.1.2: asks this server whether `key` is its key for our stream `id`. */
  verify(id: string, key: string): Promise<DialbackVerdict> {
    this.lastUsed = Date.now();
    if (this.state === 'done') return Promise.resolve({ error: 'remote-server-not-found' });
    return new Promise((resolve) => {
      // A repeated request for the same stream replaces the earlier one, which gets an error.
      this.verifies.get(id)?.resolve({ error: 'remote-server-timeout' });
      this.verifies.set(id, { id, key, sent: false, resolve });
      this.sendVerifies();
    });
  }

  /** Closes a link that is up (idle, or the server stops); bounces what waits on one that is not. */
  close(reason: LinkFailure): void {
    if (this.state === 'ready') {
      this.state = 'done';
      this.stream?.close();
      this.context.onClosed(this);
      return;
    }
    this.fail(reason);
  }

  private async dial(): Promise<void> {
    const { context, remote, local } = this;
    let dialed;
    try {
      dialed = await connectToServer(remote, context.connector, this.abort.signal);
    } catch (error) {
      return this.fail(notFound(describeNetworkError(error)));
    }
    if (this.state === 'done') {
      dialed.socket.destroy();
      return;
    }
    const transport = new TcpTransport(dialed.socket, context.credentials, { ...context.streamOptions, tlsUpgrade: context.tls.clientUpgrade(remote) });
    this.stream = new OutgoingStream({
      local,
      remote,
      transport,
      directTls: dialed.directTls,
      insecureAllowed: context.insecureAllowed(remote),
      dialbackKeys: context.dialbackKeys,
      log: context.log,
      events: {
        ready: ({ mechanism }) => this.becomeReady(mechanism),
        canVerify: () => this.sendVerifies(),
        verifyAnswer: ({ id, valid }) => {
          const pending = this.verifies.get(id);
          if (!pending?.sent) return;
          this.verifies.delete(id);
          this.lastUsed = Date.now();
          pending.resolve(valid ? 'valid' : 'invalid');
        },
        failed: (failure) => this.fail(failure),
        closed: () => {
          if (this.state === 'done') return;
          this.state = 'done';
          this.failVerifies({ error: 'remote-server-timeout' });
          this.context.onClosed(this);
        },
      },
    });
  }

  private becomeReady(mechanism: AuthMechanism): void {
    if (this.state !== 'connecting') return;
    this.state = 'ready';
    clearTimeout(this.connectTimer);
    this.context.onReady(this, mechanism);
    for (const stanza of this.queue.splice(0)) this.stream!.send(forServerStream(stanza));
    this.sendVerifies();
  }

  private sendVerifies(): void {
    if (!this.stream) return;
    for (const pending of this.verifies.values()) {
      if (pending.sent) continue;
      pending.sent = true;
      this.stream.sendVerify(pending.id, pending.key);
    }
  }

  private fail(failure: LinkFailure): void {
    if (this.state === 'done') return;
    const wasReady = this.state === 'ready';
    this.state = 'done';
    clearTimeout(this.connectTimer);
    this.abort.abort();
    this.stream?.close();
    // XEP-0220 §2.5: the authoritative server could not be reached or answered nothing useful.
    this.failVerifies({ error: failure.condition === 'remote-server-not-found' ? 'remote-server-not-found' : 'remote-server-timeout' });
    if (wasReady) return this.context.onClosed(this);
    this.context.onFailed(this, failure, this.queue.splice(0));
  }

  private failVerifies(verdict: DialbackVerdict): void {
    for (const pending of this.verifies.values()) pending.resolve(verdict);
    this.verifies.clear();
  }
}

/**
 * The stanza as it goes on a server stream: a copy (the same element may be delivered locally
 * too) without the jabber:client namespace local stanzas carry, so that it inherits jabber:server
 * from the stream (RFC 6120 §4.8.3); both addresses are always there between servers (§8.1.1.1).
 */
function forServerStream(stanza: Element): Element {
  const copy = clone(stanza);
  delete copy.attrs.xmlns;
  return copy;
}
