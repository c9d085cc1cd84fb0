// Another server's stream to us (RFC 6120 as the receiving entity). TLS comes first, always
// (RFC 7590 §3.1); then the peer authenticates its domain with SASL EXTERNAL, offered only when its
// certificate is valid for that domain (XEP-0178 §3), or with dialback, which we check with the
// peer's authoritative server over a link of our own (XEP-0220 §2.2). Every stanza must come from
// a domain authenticated on this stream and go to one of our hosts (RFC 6120 §8.1.1.1, §8.1.2.1);
// only then does it enter the router, as a stanza from a remote entity.
import { Element } from 'ltx';
import { randomBytes } from 'node:crypto';
import type { TcpTransport } from '../net/tcp-transport.js';
import type { StreamHeader } from '../net/xml-stream.js';
import { StanzaError, StreamError, type StanzaErrorCondition } from '../util/errors.js';
import { parseJid, prepareDomainpart, type Jid } from '../util/jid.js';
import type { Logger } from '../util/log.js';
import { NS } from '../util/namespaces.js';
import { canBounce, errorReply, iqPayload, isStanzaName } from '../util/stanza.js';
import { checkPeerCertificate } from './certificate-check.js';
import type { DialbackKeys } from './dialback-key.js';
import { S2S_NS } from './namespaces.js';

/** What the authoritative server said about a dialback key (XEP-0220 §2.2.2). */
export type DialbackVerdict = 'valid' | 'invalid' | { error: StanzaErrorCondition };

export interface IncomingStreamContext {
  /** Our domain and our component hosts. */
  isLocalHost(domain: string): boolean;
  dialbackKeys: DialbackKeys;
  /** Asks `remote`'s authoritative server whether `key` is its key for our stream `streamId` (XEP-0220 §2.1.2). */
  verifyDialback(local: string, remote: string, streamId: string, key: string): Promise<DialbackVerdict>;
  /** Hands an accepted stanza to the router, as from a remote entity. */
  deliver(stanza: Element, from: Jid, to: Jid): void;
  /** Routes a stanza we generate (an error answer), which goes back over our own link. */
  route(stanza: Element): void;
  log: Logger;
  /** The stream authenticated a remote domain (for the status page's link count). */
  authenticated(stream: IncomingStream, domain: string, mechanism: 'EXTERNAL' | 'dialback'): void;
}

type State = 'awaiting-header' | 'open' | 'closed';

const iqTypes = new Set(['get', 'set', 'result', 'error']);
const presenceTypes = new Set(['unavailable', 'subscribe', 'subscribed', 'unsubscribe', 'unsubscribed', 'probe', 'error']);

export class IncomingStream {
  /** Stream IDs are what dialback keys are bound to: unpredictable (XEP-0185 §4). */
  readonly id = randomBytes(12).toString('hex');
  private state: State = 'awaiting-header';
  /** The host the peer opened the stream to (the `to` of its header). */
  private localHost: string | undefined;
  /** The domain the peer says it is (the `from` of its header), for SASL EXTERNAL. */
  private claimedDomain: string | undefined;
  /** Domains that proved who they are on this stream. */
  readonly authenticatedDomains = new Set<string>();
  private saslOffered = false;
  private saslDone = false;
  /** Dialback requests waiting for the authoritative server, by sender domain. */
  private readonly pendingDialback = new Set<string>();
  private lastActivity = Date.now();

  constructor(
    private readonly transport: TcpTransport,
    private readonly context: IncomingStreamContext,
  ) {
    transport.setInputHandlers({
      streamStart: (header) => this.guard(() => this.onStreamStart(header)),
      stanza: (element) => this.guard(() => this.onElement(element)),
      streamEnd: () => this.close(),
      error: (error) => this.close(error),
    });
    transport.onClose(() => this.finish());
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  /** Milliseconds since anything arrived on this stream. */
  idleFor(now = Date.now()): number {
    return now - this.lastActivity;
  }

  close(error?: StreamError): void {
    if (this.state === 'closed') return;
    if (this.state === 'awaiting-header') {
      // RFC 6120 §4.9.1.2: an error before the stream is open still opens ours first.
      this.openStream(this.localHost ?? undefined);
    }
    this.state = 'closed';
    if (error) this.transport.send(error.toElement());
    this.transport.closeStream();
  }

  private finish(): void {
    this.state = 'closed';
  }

  private openStream(from: string | undefined): void {
    const attributes: Record<string, string> = { id: this.id, version: '1.0', 'xmlns:db': S2S_NS.dialback };
    if (from) attributes.from = from;
    if (this.claimedDomain) attributes.to = this.claimedDomain;
    this.transport.openStream(attributes, NS.server);
  }

  private onStreamStart(header: StreamHeader): void {
    this.lastActivity = Date.now();
    const to = header.attributes.to ? prepareDomainpart(header.attributes.to) : undefined;
    const from = header.attributes.from ? prepareDomainpart(header.attributes.from) : undefined;
    if (to && this.context.isLocalHost(to)) this.localHost = to;
    if (from && !this.context.isLocalHost(from)) this.claimedDomain = from;
    this.openStream(this.localHost);
    this.state = 'open';

    if (header.defaultNamespace !== NS.server) return this.close(new StreamError('invalid-namespace', 'server streams use jabber:server'));
    // RFC 6120 §4.9.3.6: the stream must be for a host we serve.
    if (!this.localHost) return this.close(new StreamError('host-unknown', 'this server does not serve that domain'));
    if (header.attributes.from !== undefined && !from) return this.close(new StreamError('invalid-from', 'the from address is not a domain'));
    if (from && !this.claimedDomain) return this.close(new StreamError('invalid-from', 'you cannot be one of our own domains'));
    const version = header.attributes.version;
    if (!version || !/^1\.\d+$/.test(version)) return this.close(new StreamError('unsupported-version', 'XMPP 1.0 streams (with TLS) only'));
    this.transport.send(this.features());
  }

  private features(): Element {
    const features = new Element('stream:features');
    if (!this.transport.secure) {
      // RFC 7590 §3.1: TLS is mandatory; nothing else is offered before it.
      features.c('starttls', { xmlns: NS.tls }).c('required');
      return features;
    }
    if (this.saslDone) return features;
    // XEP-0178 §3 step 9: EXTERNAL only when the certificate is valid for the domain the peer claims.
    const socket = this.transport.tlsSocket;
    this.saslOffered = this.claimedDomain !== undefined && socket !== undefined && checkPeerCertificate(socket, this.claimedDomain).valid;
    if (this.saslOffered) features.c('mechanisms', { xmlns: NS.sasl }).c('mechanism').t('EXTERNAL');
    // XEP-0220 §2.4.2: dialback, with its error handling.
    features.c('dialback', { xmlns: S2S_NS.dialbackFeature }).c('errors');
    return features;
  }

  private onElement(element: Element): void {
    if (this.state !== 'open') return;
    this.lastActivity = Date.now();
    const ns = element.attrs.xmlns as string | undefined;
    if (ns === NS.tls) return this.onStartTls(element);
    if (!this.transport.secure) {
      // RFC 7590 §3.1, RFC 6120 §5.3.1: TLS is mandatory-to-negotiate here.
      return this.close(new StreamError('policy-violation', 'STARTTLS is required first'));
    }
    if (ns === NS.sasl) return this.onSasl(element);
    if (ns === S2S_NS.dialback && element.name === 'result' && element.attrs.type === undefined) return this.onDialbackResult(element);
    if (ns === S2S_NS.dialback && element.name === 'verify' && element.attrs.type === undefined) return this.onDialbackVerify(element);
    if (ns === NS.server && isStanzaName(element.name)) return this.onStanza(element);
    this.close(new StreamError('unsupported-stanza-type', `<${element.name}/> in ${ns ?? 'no namespace'} is not supported here`));
  }

  private onStartTls(element: Element): void {
    if (element.name !== 'starttls' || !this.transport.canStartTls) {
      this.transport.send(new Element('failure', { xmlns: NS.tls }));
      return this.close();
    }
    this.transport.send(new Element('proceed', { xmlns: NS.tls }));
    // RFC 6120 §5.4.3.3: the peer opens a fresh stream over TLS.
    this.state = 'awaiting-header';
    this.transport.startTls().catch(() => this.finish());
  }

  // SASL EXTERNAL (XEP-0178 §3) ---------------------------------------------------------------------

  private onSasl(element: Element): void {
    if (this.saslDone || element.name !== 'auth') return this.close(new StreamError('policy-violation', 'unexpected SASL element'));
    if (!this.saslOffered) return this.saslFailure('not-authorized', 'no SASL mechanism was offered');
    if (element.attrs.mechanism !== 'EXTERNAL') return this.saslFailure('invalid-mechanism');
    const text = element.getText().trim();
    let authzid = '';
    if (text !== '' && text !== '=') {
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0) return this.saslFailure('incorrect-encoding');
      authzid = Buffer.from(text, 'base64').toString('utf8');
    }
    // XEP-0178 §3 step 10: an empty authorization identity means the domain of the stream header.
    const domain = authzid === '' ? this.claimedDomain : prepareDomainpart(authzid);
    if (!domain || domain !== this.claimedDomain) return this.saslFailure('invalid-authzid', 'authorize as the domain in your stream header');
    this.saslDone = true;
    this.authenticate(domain, 'EXTERNAL');
    this.transport.send(new Element('success', { xmlns: NS.sasl }));
    // RFC 6120 §6.4.6: the stream restarts after SASL success.
    this.transport.restartStream();
    this.state = 'awaiting-header';
  }

  private saslFailure(condition: string, text?: string): void {
    const failure = new Element('failure', { xmlns: NS.sasl });
    failure.c(condition);
    if (text) failure.c('text', { 'xml:lang': 'en' }).t(text);
    this.transport.send(failure);
  }

  // Dialback (XEP-0220) ---------------------------------------------------------------------------

  /** §2.2.1: the initiating server asks to send from `from` to `to`; its authoritative server decides. */
  private onDialbackResult(element: Element): void {
    const to = prepareDomainpart(String(element.attrs.to ?? ''));
    const from = prepareDomainpart(String(element.attrs.from ?? ''));
    if (!to || !from) return this.close(new StreamError('improper-addressing', 'db:result needs from and to domains'));
    const answer = (type: 'valid' | 'invalid' | 'error', condition?: StanzaErrorCondition) => {
      const result = new Element('db:result', { from: to, to: from, type });
      if (condition) result.cnode(new StanzaError(condition).toElement());
      this.transport.send(result);
    };
    // XEP-0220 §2.5: a target we do not serve is an item-not-found dialback error; the stream goes on.
    if (!this.context.isLocalHost(to)) return answer('error', 'item-not-found');
    if (this.context.isLocalHost(from)) return this.close(new StreamError('invalid-from', 'you cannot be one of our own domains'));
    if (this.authenticatedDomains.has(from)) return answer('valid');
    if (this.pendingDialback.has(from)) return;
    this.pendingDialback.add(from);
    const key = element.getText().trim();
    this.context
      .verifyDialback(to, from, this.id, key)
      .then((verdict) => {
        this.pendingDialback.delete(from);
        if (this.state === 'closed') return;
        if (verdict === 'valid') {
          this.authenticate(from, 'dialback');
          return answer('valid');
        }
        if (verdict === 'invalid') {
          // §2.2.1: an invalid key on a stream with nothing else authorized ends it.
          this.context.log.warn(`the authoritative server of ${from} denied a dialback key: someone may be posing as it`);
          if (this.authenticatedDomains.size > 0) return answer('error', 'forbidden');
          answer('invalid');
          return this.close();
        }
        answer('error', verdict.error);
      })
      .catch((error: unknown) => {
        this.pendingDialback.delete(from);
        this.context.log.error('dialback verification failed', error);
        if (this.state !== 'closed') answer('error', 'internal-server-error');
      });
  }

  /** §2.2.2: another server asks whether a key it received in our name is ours. */
  private onDialbackVerify(element: Element): void {
    const to = prepareDomainpart(String(element.attrs.to ?? ''));
    const from = prepareDomainpart(String(element.attrs.from ?? ''));
    const id = element.attrs.id as string | undefined;
    if (!to || !from || !id) return this.close(new StreamError('improper-addressing', 'db:verify needs from, to and id'));
    if (!this.context.isLocalHost(to)) {
      const error = new Element('db:verify', { from: to, to: from, id, type: 'error' });
      error.cnode(new StanzaError('item-not-found').toElement());
      return this.transport.send(error);
    }
    // The key was made by us as the originating server: receiving = the asker, originating = us.
    const valid = this.context.dialbackKeys.verify(from, to, id, element.getText());
    if (!valid) this.context.log.warn(`${from} asked about a dialback key that is not ours: someone may be posing as this server`);
    this.transport.send(new Element('db:verify', { from: to, to: from, id, type: valid ? 'valid' : 'invalid' }));
  }

  private authenticate(domain: string, mechanism: 'EXTERNAL' | 'dialback'): void {
    this.authenticatedDomains.add(domain);
    this.context.authenticated(this, domain, mechanism);
  }

  // Stanzas (RFC 6120 §8) ----------------------------------------------------------------------------

  private onStanza(stanza: Element): void {
    // RFC 6120 §4.9.3.12: nothing before authentication.
    if (this.authenticatedDomains.size === 0) return this.close(new StreamError('not-authorized', 'authenticate first'));
    const fromText = stanza.attrs.from as string | undefined;
    const toText = stanza.attrs.to as string | undefined;
    // RFC 6120 §8.1.1.1 and §8.1.2.1: between servers both addresses are required.
    if (!fromText || !toText) return this.close(new StreamError('improper-addressing', 'stanzas between servers need from and to'));
    const from = parseJid(fromText);
    if (!from) return this.close(new StreamError('improper-addressing', 'the from address is not a valid JID'));
    // RFC 6120 §8.1.2.1 and §4.9.3.9: the sender's domain must be one this stream authenticated.
    if (!this.authenticatedDomains.has(from.domain)) return this.close(new StreamError('invalid-from', `this stream is not authenticated for ${from.domain}`));
    const to = parseJid(toText);
    if (!to) {
      if (canBounce(stanza)) this.bounce(stanza, from, new StanzaError('jid-malformed', 'the to address is not a valid JID'));
      return;
    }
    // We never relay between other servers: the stanza must be for one of our hosts.
    if (!this.context.isLocalHost(to.domain)) return this.close(new StreamError('host-unknown', `this server does not serve ${to.domain}`));
    const problem = validateStanza(stanza);
    if (problem) {
      if (canBounce(stanza)) this.bounce(stanza, from, problem);
      return;
    }
    stanza.attrs.from = from.toString();
    stanza.attrs.to = to.toString();
    // Local sessions speak jabber:client; the stanza's children inherit whatever the root says.
    stanza.attrs.xmlns = NS.client;
    this.removeForgedStanzaIds(stanza);
    this.context.deliver(stanza, from, to);
  }

  /** XEP-0359 §3: a stanza-id in the name of one of our hosts comes from us or it is forged. */
  private removeForgedStanzaIds(stanza: Element): void {
    for (const child of stanza.getChildren('stanza-id', S2S_NS.stanzaId)) {
      const by = parseJid(String(child.attrs.by ?? ''));
      if (!by || this.context.isLocalHost(by.domain)) stanza.remove(child);
    }
  }

  /** Answers on our own link back (streams are one-way, RFC 6120 §4.5), through the router. */
  private bounce(stanza: Element, from: Jid, error: StanzaError): void {
    const reply = errorReply(stanza, error);
    reply.attrs.to = from.toString();
    // The error comes from the host it was sent to; a bad `to` gets our stream's host instead.
    const to = parseJid(String(stanza.attrs.to ?? ''));
    reply.attrs.from = to && this.context.isLocalHost(to.domain) ? to.toString() : this.localHost!;
    delete reply.attrs.xmlns;
    this.context.route(reply);
  }

  /** The session boundary: a bug closes this stream with internal-server-error, never the server. */
  private guard(run: () => void): void {
    try {
      run();
    } catch (error) {
      this.context.log.error('an incoming server stream failed', error);
      this.close(new StreamError('internal-server-error'));
    }
  }
}

/** RFC 6120 §8.2.3 and RFC 6121 §4.7.1: the stateless checks the core also makes on client stanzas. */
function validateStanza(stanza: Element): StanzaError | undefined {
  const type = stanza.attrs.type as string | undefined;
  if (stanza.name === 'presence') return type === undefined || presenceTypes.has(type) ? undefined : new StanzaError('bad-request', `unknown presence type ${type}`);
  if (stanza.name !== 'iq') return undefined;
  if (!type || !iqTypes.has(type)) return new StanzaError('bad-request', 'iq needs a type of get, set, result or error');
  if (!stanza.attrs.id) return new StanzaError('bad-request', 'iq needs an id');
  if ((type === 'get' || type === 'set') && !iqPayload(stanza)) return new StanzaError('bad-request', 'iq get and set carry exactly one child');
  return undefined;
}
