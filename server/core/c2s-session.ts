// One client connection, from the first stream header to the close: stream negotiation
// (RFC 6120 §4), STARTTLS (§5), SASL (§6), resource binding (§7), then stanza validation and
// stamping (§8) before the router sees anything. The transport underneath is pluggable.
import { Element } from 'ltx';
import { randomBytes } from 'node:crypto';
import type { StreamHeader } from '../net/xml-stream.js';
import type { StreamInputHandlers, StreamTransport } from '../net/transport.js';
import { StanzaError, StreamError } from '../util/errors.js';
import { Jid, parseJid, prepareLocalpart, prepareResourcepart } from '../util/jid.js';
import type { Logger } from '../util/log.js';
import { NS } from '../util/namespaces.js';
import { ScramServerExchange, verifyPassword, type ScramHash } from '../util/scram.js';
import { canBounce, errorReply, iqPayload, iqResult, isStanzaName } from '../util/stanza.js';
import type { Config } from '../config/schema.js';
import type { EventBus } from './event-bus.js';
import type { EventMap } from './events.js';
import type { LoginThrottle } from './login-throttle.js';
import type { Admission } from '../net/connection-gate.js';
import type { Router } from './router.js';
import type { ClientSession, OutgoingFilter } from './session.js';
import type { SessionManager } from './sessions.js';
import type { Storage } from './storage/index.js';
import { isStorageFull, storageFullMessage } from './storage/write-errors.js';
import { saslprep } from '../util/saslprep.js';

export interface C2sContext {
  config: Config;
  log: Logger;
  storage: Storage;
  sessions: SessionManager;
  events: EventBus<EventMap>;
  router: Router;
  /** Server secret from which fake SCRAM parameters for unknown users are derived. */
  unknownUserSecret: Buffer;
  /** Counts failed sign-ins per address and account, and says how long to pause or lock. */
  loginThrottle: LoginThrottle;
}

type State = 'awaiting-stream' | 'negotiating' | 'authenticated' | 'bound' | 'closed';

const maxAuthFailures = 3;
const presenceTypes = new Set(['unavailable', 'subscribe', 'subscribed', 'unsubscribe', 'unsubscribed', 'probe', 'error']);
const iqTypes = new Set(['get', 'set', 'result', 'error']);

const noFilters: ReadonlyArray<{ filter: OutgoingFilter; priority: number }> = Object.freeze([]);

interface SaslInProgress {
  mechanism: string;
  scram: ScramServerExchange | undefined;
}

/**
 * What the transport's parser calls with the client's input. A small object with the handlers on
 * its prototype (installed by C2sSession, whose private methods they call) rather than four
 * closures: every connection holds one for as long as it is open (issue 12).
 */
class SessionInput {
  constructor(readonly session: C2sSession) {}
}
interface SessionInput extends StreamInputHandlers {}

export class C2sSession implements ClientSession {
  readonly id = randomBytes(8).toString('hex');
  username: string | undefined;
  jid: Jid | undefined;
  priority = 0;
  presence: Element | undefined;
  interested = false;
  connected = true;
  stanzasReceived = 0;

  private state: State = 'awaiting-stream';
  private sasl: SaslInProgress | undefined;
  private authFailures = 0;
  private authPending = false;
  private authTimer: NodeJS.Timeout | undefined;
  private readonly log: Logger;
  /** Replaced, never changed in place (a filter may remove itself while send() runs them). */
  private filters: ReadonlyArray<{ filter: OutgoingFilter; priority: number }> = noFilters;
  /** After XEP-0198 resumption, the session this connection now serves. */
  private relay: C2sSession | undefined;

  constructor(
    private transport: StreamTransport,
    private readonly context: C2sContext,
    /** This connection's place in the connection limits; told when it signs in. */
    private readonly admission?: Admission,
  ) {
    this.log = context.log;
    const { limits } = context.config;
    transport.setInputHandlers(new SessionInput(this));
    transport.onClose(() => this.onTransportClosed(transport));
    this.authTimer = setTimeout(
      () => this.close(new StreamError('connection-timeout', 'authentication took too long')),
      limits.authTimeoutSeconds * 1000,
    ).unref();
  }

  get secure(): boolean {
    return this.transport.secure;
  }

  send(stanza: Element): void {
    if (this.state === 'closed') return;
    let outgoing: Element | undefined = stanza;
    for (const { filter } of this.filters) {
      outgoing = filter(outgoing);
      if (outgoing === undefined) return;
    }
    if (this.connected) this.transport.send(outgoing);
  }

  sendNonza(element: Element): void {
    if (this.state !== 'closed' && this.connected) this.transport.send(element);
  }

  addOutgoingFilter(filter: OutgoingFilter, priority: number): () => void {
    const entry = { filter, priority };
    // concat makes an array of exactly the length needed; a spread leaves room to grow, kept
    // with every session.
    this.filters = this.filters.concat(entry).sort((a, b) => b.priority - a.priority);
    return () => {
      this.filters = this.filters.filter((f) => f !== entry);
    };
  }

  takeOverConnection(fresh: ClientSession): boolean {
    if (!(fresh instanceof C2sSession) || fresh === this) return false;
    if (this.state !== 'bound' || fresh.state !== 'authenticated' || fresh.username !== this.username) return false;
    // The old connection may be half-dead; the client has already moved on. Its close event is
    // ignored below because it is no longer this session's transport.
    if (this.connected) this.transport.close();
    this.transport = fresh.transport;
    this.connected = true;
    fresh.relay = this;
    fresh.state = 'closed';
    clearTimeout(fresh.authTimer);
    return true;
  }

  close(error?: StreamError): void {
    if (this.relay) return this.relay.close(error);
    if (this.state === 'closed') return;
    if (this.state === 'awaiting-stream') {
      // RFC 6120 §4.9.1.2: an error before the stream is open still opens ours first.
      this.transport.openStream({ from: this.context.config.domain, id: this.id, version: '1.0' }, NS.client);
    }
    if (error) {
      this.transport.send(error.toElement());
      if (error.condition === 'internal-server-error') this.log.warn('closed a client stream after an internal error');
    }
    this.transport.closeStream();
    this.finish();
  }

  /**
   * The session boundary (DESIGN.md): whatever a stanza's handling throws ends this stream, not
   * the process: internal-server-error for a bug, resource-constraint (RFC 6120 §4.9.3.17) when a
   * write failed on a full disk. Routed stanzas are answered one by one in the router instead.
   */
  private guarded(run: () => void): void {
    try {
      run();
    } catch (error) {
      if (isStorageFull(error)) {
        this.log.error(storageFullMessage('what a client stream needed'));
        this.close(new StreamError('resource-constraint', 'the server cannot store anything right now'));
      } else {
        this.log.error('a client stream failed', error);
        this.close(new StreamError('internal-server-error'));
      }
    }
  }

  private onTransportClosed(transport: StreamTransport): void {
    if (this.relay) return this.relay.onTransportClosed(transport);
    if (transport !== this.transport) return;
    if (this.state === 'bound' && this.connected && this.context.events.fire('c2s-connection-lost', { session: this }) === true) {
      this.connected = false;
      return;
    }
    this.finish();
  }

  private finish(): void {
    if (this.state === 'closed') return;
    const wasBound = this.state === 'bound';
    this.state = 'closed';
    clearTimeout(this.authTimer);
    if (wasBound && this.context.sessions.remove(this)) {
      this.context.events.fire('resource-unbind', { session: this });
    }
  }

  static {
    const handlers: ThisType<SessionInput> & StreamInputHandlers = {
      streamStart(header) {
        const session = this.session;
        session.guarded(() => session.onStreamStart(header));
      },
      stanza(element) {
        const session = this.session;
        session.guarded(() => session.onElement(element));
      },
      streamEnd() {
        this.session.close();
      },
      error(error) {
        this.session.close(error);
      },
    };
    Object.assign(SessionInput.prototype, handlers);
  }

  // Stream negotiation -----------------------------------------------------------------------

  private onStreamStart(header: StreamHeader): void {
    const { domain } = this.context.config;
    const reply: Record<string, string> = { from: domain, id: randomBytes(8).toString('hex'), version: '1.0', 'xml:lang': 'en' };
    const from = header.attributes.from && parseJid(header.attributes.from);
    if (from) reply.to = from.toString();
    this.transport.openStream(reply, NS.client);
    if (this.state === 'awaiting-stream') this.state = this.username === undefined ? 'negotiating' : 'authenticated';

    if (header.defaultNamespace !== NS.client) return this.close(new StreamError('invalid-namespace', 'client streams use jabber:client'));
    const to = header.attributes.to ? parseJid(header.attributes.to) : undefined;
    if (!to || to.local !== undefined || to.resource !== undefined || to.domain !== domain) {
      return this.close(new StreamError('host-unknown', `this server is ${domain}`));
    }
    const version = header.attributes.version;
    if (!version || !/^1\.\d+$/.test(version)) {
      return this.close(new StreamError('unsupported-version', 'XMPP 1.0 streams only'));
    }
    this.send(this.features());
  }

  private features(): Element {
    const features = new Element('stream:features');
    if (this.transport.canStartTls && !this.transport.secure) {
      // RFC 6120 §5.3.1: TLS is mandatory here, so it is the only feature offered before it.
      features.c('starttls', { xmlns: NS.tls }).c('required');
      return features;
    }
    const authenticated = this.username !== undefined;
    if (!authenticated) {
      const mechanisms = features.c('mechanisms', { xmlns: NS.sasl });
      for (const mechanism of this.offeredMechanisms()) mechanisms.c('mechanism').t(mechanism);
      const bindings = this.transport.channelBindingTypes();
      if (bindings.length > 0) {
        // XEP-0440: tell clients which channel bindings SCRAM-*-PLUS can use here.
        const cb = features.c('sasl-channel-binding', { xmlns: NS.saslChannelBinding });
        for (const type of bindings) cb.c('channel-binding', { type });
      }
    } else {
      features.c('bind', { xmlns: NS.bind });
      // RFC 6121 legacy session establishment, marked optional (draft-cridland-xmpp-session-01).
      features.c('session', { xmlns: NS.session }).c('optional');
    }
    this.context.events.fire('stream-features', { session: this, features, authenticated });
    return features;
  }

  private offeredMechanisms(): string[] {
    const plus = this.transport.channelBindingTypes().length > 0;
    const mechanisms = plus ? ['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-1-PLUS'] : [];
    mechanisms.push('SCRAM-SHA-256', 'SCRAM-SHA-1');
    if (this.transport.secure) mechanisms.push('PLAIN');
    return mechanisms;
  }

  private onElement(element: Element): void {
    if (this.relay) return this.relay.onElement(element);
    if (this.state === 'closed') return;
    const ns = element.attrs.xmlns;
    if (ns === NS.tls) return this.onStartTls(element);
    if (ns === NS.sasl) return this.onSasl(element);
    if (ns === NS.client && isStanzaName(element.name)) return this.onStanza(element);
    if (this.state === 'bound' || this.state === 'authenticated') {
      const handled = this.context.events.fire(`stream-element/${ns}:${element.name}`, { session: this, element });
      if (handled !== undefined) return;
    }
    this.close(new StreamError('unsupported-stanza-type', `<${element.name}/> in ${ns} is not supported here`));
  }

  private onStartTls(element: Element): void {
    if (element.name !== 'starttls' || !this.transport.canStartTls || this.state !== 'negotiating') {
      this.transport.send(new Element('failure', { xmlns: NS.tls }));
      return this.close();
    }
    this.transport.send(new Element('proceed', { xmlns: NS.tls }));
    // RFC 6120 §5.4.3.3: after TLS the client opens a fresh stream (the transport expects it).
    this.state = 'awaiting-stream';
    // A failed handshake closes the socket, and onTransportClosed cleans up.
    this.transport.startTls().catch(() => this.finish());
  }

  // SASL (RFC 6120 §6) --------------------------------------------------------------------------

  private onSasl(element: Element): void {
    if (this.state !== 'negotiating' || this.username !== undefined || this.authPending) {
      return this.close(new StreamError('policy-violation', 'unexpected SASL element'));
    }
    if (!this.transport.secure) {
      // Plaintext authentication is never accepted: TLS comes first (RFC 7590).
      return this.saslFailure('encryption-required', 'use STARTTLS before authenticating');
    }
    switch (element.name) {
      case 'auth':
        return this.onSaslAuth(element);
      case 'response':
        return this.onSaslResponse(element);
      case 'abort':
        this.sasl = undefined;
        return this.saslFailure('aborted');
      default:
        return this.close(new StreamError('policy-violation', 'unknown SASL element'));
    }
  }

  private onSaslAuth(element: Element): void {
    const mechanism = element.attrs.mechanism as string | undefined;
    if (this.sasl) return this.saslFailure('aborted', 'an authentication exchange is already running');
    if (!mechanism || !this.offeredMechanisms().includes(mechanism)) return this.saslFailure('invalid-mechanism');
    const lockedMs = this.context.loginThrottle.lockedFor(this.transport.remoteAddress);
    if (lockedMs > 0) return this.saslFailure('temporary-auth-failure', lockedText(lockedMs, 'from this address'));
    const data = decodeSaslPayload(element.getText());
    if (data === 'invalid') return this.saslFailure('incorrect-encoding');

    if (mechanism === 'PLAIN') {
      if (data === undefined) return this.saslFailure('malformed-request', 'PLAIN needs an initial response');
      return this.authenticatePlain(data);
    }
    const hash: ScramHash = mechanism.startsWith('SCRAM-SHA-256') ? 'sha256' : 'sha1';
    const scram = new ScramServerExchange({
      hash,
      plus: mechanism.endsWith('-PLUS'),
      serverOffersPlus: this.transport.channelBindingTypes().length > 0,
      channelBinding: (type) => this.transport.channelBinding(type),
      lookup: (username) => {
        const local = prepareLocalpart(username);
        return local ? this.context.storage.accounts.scramCredentials(local, hash) : undefined;
      },
      unknownUserSecret: this.context.unknownUserSecret,
      defaultIterations: this.context.config.auth.scramIterations,
    });
    this.sasl = { mechanism, scram };
    if (data === undefined) {
      // No initial response: ask for it with an empty challenge (RFC 6120 §6.4.2).
      this.transport.send(new Element('challenge', { xmlns: NS.sasl }));
      return;
    }
    this.scramStep(data);
  }

  private onSaslResponse(element: Element): void {
    if (!this.sasl?.scram) return this.saslFailure('malformed-request', 'no exchange in progress');
    const data = decodeSaslPayload(element.getText());
    if (data === 'invalid') return this.saslFailure('incorrect-encoding');
    this.scramStep(data ?? '');
  }

  private scramStep(message: string): void {
    const scram = this.sasl!.scram!;
    const firstStep = scram.username === undefined;
    const step = firstStep ? scram.start(message) : scram.finish(message);
    if (!step.ok) {
      // A wrong proof is a wrong password for the account named in client-first: it counts
      // against that account too, as with PLAIN, so guessing from many addresses locks it.
      const account = !firstStep && step.condition === 'not-authorized' ? prepareLocalpart(scram.username ?? '') : undefined;
      return this.saslFailure(step.condition, step.text, account);
    }
    if (firstStep) {
      this.transport.send(new Element('challenge', { xmlns: NS.sasl }).t(Buffer.from(step.message).toString('base64')));
      return;
    }
    const local = prepareLocalpart(scram.username ?? '');
    if (!scram.succeeded || !local) return this.saslFailure('not-authorized', undefined, local);
    this.authenticated(local, Buffer.from(step.message).toString('base64'));
  }

  private authenticatePlain(message: string): void {
    // RFC 4616: [authzid] NUL authcid NUL passwd
    const parts = message.split('\u0000');
    if (parts.length !== 3) return this.saslFailure('malformed-request');
    const [authzid, authcid, password] = parts as [string, string, string];
    let local: string | undefined;
    let prepared: string | undefined;
    try {
      local = prepareLocalpart(saslprep(authcid));
      prepared = saslprep(password);
    } catch {
      local = undefined;
    }
    const { domain } = this.context.config;
    if (authzid && local && authzid !== `${local}@${domain}`) return this.saslFailure('invalid-authzid');
    const credentials = local ? this.context.storage.accounts.scramCredentials(local, 'sha256') : undefined;
    // Verify even when the account is missing, so timing does not tell whether it exists.
    const fallback = { salt: this.context.unknownUserSecret, iterations: this.context.config.auth.scramIterations, storedKey: Buffer.alloc(32), serverKey: Buffer.alloc(32) };
    const valid = verifyPassword('sha256', prepared ?? '', credentials ?? fallback);
    if (!valid || !credentials || !local) return this.saslFailure('not-authorized', undefined, local);
    this.authenticated(local, undefined);
  }

  /** `username` is the account a wrong password was given for, when the client named one. */
  private saslFailure(condition: string, text?: string, username?: string): void {
    this.sasl = undefined;
    const failure = new Element('failure', { xmlns: NS.sasl });
    failure.c(condition);
    if (text) failure.c('text', { 'xml:lang': 'en' }).t(text);
    if (condition !== 'not-authorized') {
      this.transport.send(failure);
      return;
    }
    // A pause before every wrong-credential answer, growing with recent failures, slows guessing;
    // it is the same whether or not the account exists, so the answer does not tell.
    const delayMs = this.context.loginThrottle.recordFailure(this.transport.remoteAddress, username);
    this.authFailures++;
    this.authPending = true;
    setTimeout(() => {
      this.authPending = false;
      if (this.state === 'closed') return;
      this.transport.send(failure);
      if (this.authFailures >= maxAuthFailures) this.close(new StreamError('policy-violation', 'too many failed authentication attempts'));
    }, delayMs).unref();
    this.log.info('failed authentication attempt');
  }

  private authenticated(username: string, additionalData: string | undefined): void {
    this.sasl = undefined;
    // A locked account stays locked even for the right password: a guesser who finds it during
    // the lock learns nothing (RFC 6120 §6.5.12 temporary-auth-failure).
    const lockedMs = this.context.loginThrottle.lockedFor(this.transport.remoteAddress, username);
    if (lockedMs > 0) return this.saslFailure('temporary-auth-failure', lockedText(lockedMs, 'for this account'));
    this.context.loginThrottle.recordSuccess(this.transport.remoteAddress, username);
    this.admission?.authenticated();
    this.username = username;
    const success = new Element('success', { xmlns: NS.sasl });
    if (additionalData) success.t(additionalData);
    this.transport.send(success);
    // RFC 6120 §6.4.6: the stream restarts after SASL success.
    this.transport.restartStream();
    this.state = 'awaiting-stream';
  }

  // Stanzas (RFC 6120 §8) -------------------------------------------------------------------------

  private onStanza(stanza: Element): void {
    if (this.state === 'bound') return this.onBoundStanza(stanza);
    if (this.state === 'authenticated') return this.onUnboundStanza(stanza);
    return this.onUnauthenticatedStanza(stanza);
  }

  private onUnauthenticatedStanza(stanza: Element): void {
    // Only in-band registration (XEP-0077) may talk before authentication, and only over TLS.
    const payload = stanza.name === 'iq' ? iqPayload(stanza) : undefined;
    const type = stanza.attrs.type;
    if (this.transport.secure && payload && (type === 'get' || type === 'set') && stanza.attrs.id) {
      const reply = (answer: Element) => this.send(answer);
      const requestType: 'get' | 'set' = type;
      const handled = this.context.events.fire(`iq-${requestType}/pre-auth/${payload.getNS() as string}:${payload.getName()}`, {
        stanza,
        payload,
        session: this,
        remoteAddress: this.transport.remoteAddress,
        reply,
      });
      if (handled !== undefined) return;
      return reply(errorReply(stanza, new StanzaError('service-unavailable')));
    }
    this.close(new StreamError('not-authorized', 'authenticate first'));
  }

  private onUnboundStanza(stanza: Element): void {
    const payload = stanza.name === 'iq' && stanza.attrs.type === 'set' ? iqPayload(stanza) : undefined;
    if (!payload || !stanza.attrs.id) return this.close(new StreamError('not-authorized', 'bind a resource first'));
    if (payload.is('bind', NS.bind)) return this.bind(stanza, payload);
    this.close(new StreamError('not-authorized', 'bind a resource first'));
  }

  private bind(stanza: Element, payload: Element): void {
    const requestedText = payload.getChildText('resource');
    let requested: string | undefined;
    if (requestedText !== null && requestedText !== '') {
      requested = prepareResourcepart(requestedText);
      if (!requested) return this.send(errorReply(stanza, new StanzaError('bad-request', 'that resource is not allowed')));
    }
    const result = this.context.sessions.reserve(this.username!, requested);
    if (!result.ok) return this.send(errorReply(stanza, result.error));
    this.jid = result.jid;
    this.context.sessions.add(this);
    this.state = 'bound';
    clearTimeout(this.authTimer);
    this.authTimer = undefined;
    const bound = new Element('bind', { xmlns: NS.bind });
    bound.c('jid').t(this.jid.toString());
    this.send(iqResult(stanza, bound));
    this.context.events.fire('resource-bind', { session: this });
  }

  private onBoundStanza(stanza: Element): void {
    const jid = this.jid!;
    this.stanzasReceived++;
    // RFC 6120 §8.1.2.1: the server stamps `from`; a different one from the client is an error.
    const claimed = stanza.attrs.from as string | undefined;
    if (claimed !== undefined) {
      const parsed = parseJid(claimed);
      if (!parsed || !(parsed.equals(jid) || parsed.equals(jid.bare))) {
        return this.close(new StreamError('invalid-from', 'from must be your own address'));
      }
    }
    stanza.attrs.from = jid.toString();

    const problem = validateStanza(stanza);
    if (problem) {
      if (canBounce(stanza)) this.send(errorReply(stanza, problem));
      return;
    }

    // Legacy session establishment is a no-op (RFC 6121 dropped it); answer so old clients proceed.
    if (stanza.name === 'iq' && stanza.attrs.type === 'set' && stanza.attrs.to === undefined) {
      const payload = iqPayload(stanza);
      if (payload?.is('session', NS.session)) return this.send(iqResult(stanza));
      if (payload?.is('bind', NS.bind)) return this.send(errorReply(stanza, new StanzaError('not-allowed', 'a resource is already bound')));
    }

    const toText = stanza.attrs.to as string | undefined;
    if (toText === undefined) {
      if (stanza.name === 'presence' && (stanza.attrs.type === undefined || stanza.attrs.type === 'unavailable')) {
        this.context.events.fire('presence/broadcast', { session: this, stanza });
        return;
      }
      // RFC 6120 §10.3: no `to` means the account's own bare JID.
      if (stanza.name === 'message') stanza.attrs.to = jid.toBareString();
      return this.context.router.fromClient(stanza, this, jid, jid.bare);
    }
    const to = parseJid(toText);
    if (!to) {
      if (canBounce(stanza)) this.send(errorReply(stanza, new StanzaError('jid-malformed', 'the to address is not a valid JID')));
      return;
    }
    stanza.attrs.to = to.toString();
    this.context.router.fromClient(stanza, this, jid, to);
  }
}

/** Checks of RFC 6120 §8 that need no state; undefined when the stanza is acceptable. */
function validateStanza(stanza: Element): StanzaError | undefined {
  const type = stanza.attrs.type as string | undefined;
  if (stanza.name === 'iq') {
    if (!type || !iqTypes.has(type)) return new StanzaError('bad-request', 'iq needs a type of get, set, result or error');
    if (!stanza.attrs.id) return new StanzaError('bad-request', 'iq needs an id');
    if ((type === 'get' || type === 'set') && !iqPayload(stanza)) return new StanzaError('bad-request', 'iq get and set carry exactly one child');
  } else if (stanza.name === 'presence') {
    if (type !== undefined && !presenceTypes.has(type)) return new StanzaError('bad-request', `unknown presence type ${type}`);
  }
  return undefined;
}

/** SASL payloads are base64; "=" stands for an empty one (RFC 6120 §6.4.2). Undefined when absent. */
function decodeSaslPayload(text: string): string | undefined | 'invalid' {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  if (trimmed === '=') return '';
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) || trimmed.length % 4 !== 0) return 'invalid';
  return Buffer.from(trimmed, 'base64').toString('utf8');
}

function lockedText(ms: number, scope: string): string {
  const minutes = Math.ceil(ms / 60_000);
  return `too many failed sign-ins ${scope}; try again in ${minutes} minute${minutes === 1 ? '' : 's'}`;
}
