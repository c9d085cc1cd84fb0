// Our side of a stream to another server (RFC 6120 as the initiating entity): open the stream,
// STARTTLS unless TLS came first (XEP-0368), check the certificate, then authenticate this host
// with SASL EXTERNAL when offered (XEP-0178 §3) or else with dialback (XEP-0220 §2.1.1). Only then
// may stanzas flow. Dialback verification requests (<db:verify/>, XEP-0220 §2.1.2) ride on the same
// stream once it is secured, even before our own authentication ends.
import { Element } from 'ltx';
import type { TcpTransport } from '../net/tcp-transport.js';
import type { StreamHeader } from '../net/xml-stream.js';
import { StreamError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { NS } from '../util/namespaces.js';
import { elementChildren } from '../util/stanza.js';
import { checkPeerCertificate } from './certificate-check.js';
import type { DialbackKeys } from './dialback-key.js';
import { notFound, timedOut, type LinkFailure } from './link-failure.js';
import { S2S_NS } from './namespaces.js';

export type AuthMechanism = 'EXTERNAL' | 'dialback';

export interface OutgoingStreamEvents {
  /** Authenticated: stanzas may be sent. `certificateValid` is false when only s2s.insecureDomains let it through. */
  ready(details: { mechanism: AuthMechanism; certificateValid: boolean }): void;
  /** <db:verify/> requests may be sent from now on. */
  canVerify(): void;
  /** The answer to a <db:verify/> we sent (XEP-0220 §2.1.2 step 3). */
  verifyAnswer(answer: { id: string; from: string; valid: boolean }): void;
  /** The stream never became ready. Called once, and then nothing else. */
  failed(failure: LinkFailure): void;
  /** A ready stream ended. */
  closed(): void;
}

export interface OutgoingStreamOptions {
  /** Our host the stream is from (the domain, or a component host such as conference.<domain>). */
  local: string;
  remote: string;
  transport: TcpTransport;
  /** The transport is already TLS (XEP-0368 direct TLS). */
  directTls: boolean;
  /** The remote domain is in s2s.insecureDomains: an invalid certificate is accepted (with a warning). */
  insecureAllowed: boolean;
  dialbackKeys: DialbackKeys;
  log: Logger;
  events: OutgoingStreamEvents;
}

type State = 'awaiting-header' | 'awaiting-features' | 'starttls' | 'sasl' | 'dialback' | 'ready' | 'closed';

export class OutgoingStream {
  private state: State = 'awaiting-header';
  /** The receiving server's stream ID, which the dialback key is bound to (XEP-0185 §2). */
  private streamId: string | undefined;
  private saslDone = false;
  private certificateValid = false;
  private dialbackOffered = false;
  private verifying = false;
  private readonly transport: TcpTransport;

  constructor(private readonly options: OutgoingStreamOptions) {
    this.transport = options.transport;
    this.transport.setInputHandlers({
      streamStart: (header) => this.onStreamStart(header),
      stanza: (element) => this.guard(() => this.onElement(element)),
      streamEnd: () => this.end(timedOut('the server closed the stream')),
      error: (error) => this.abort(error, timedOut(`the server's stream was broken (${error.condition})`)),
    });
    this.transport.onClose(() => this.end(timedOut('the connection closed')));
    if (options.directTls && !this.acceptCertificate()) return;
    this.openStream();
  }

  get isReady(): boolean {
    return this.state === 'ready';
  }

  /** Sends a stanza (only when ready). */
  send(stanza: Element): void {
    if (this.state === 'ready') this.transport.send(stanza);
  }

  /** XEP-0220 §2.1.2 step 2: asks the authoritative server whether `key` is its key for stream `id`. */
  sendVerify(id: string, key: string): void {
    if (!this.verifying) return;
    this.transport.send(new Element('db:verify', { from: this.options.local, to: this.options.remote, id }).t(key));
  }

  /** Ends the stream politely (RFC 6120 §4.4), e.g. when the link has been idle. */
  close(error?: StreamError): void {
    if (this.state === 'closed') return;
    const wasReady = this.state === 'ready';
    this.state = 'closed';
    if (error) this.transport.send(error.toElement());
    this.transport.closeStream();
    if (wasReady) this.options.events.closed();
  }

  private openStream(): void {
    this.state = 'awaiting-header';
    this.transport.openStream({ from: this.options.local, to: this.options.remote, version: '1.0', 'xmlns:db': S2S_NS.dialback }, NS.server);
  }

  private onStreamStart(header: StreamHeader): void {
    if (this.state !== 'awaiting-header') return this.abort(new StreamError('bad-format', 'unexpected stream header'), timedOut('the server sent a second stream header'));
    if (header.defaultNamespace !== NS.server) return this.abort(new StreamError('invalid-namespace', 'server streams use jabber:server'), notFound('it does not speak the server-to-server protocol'));
    // RFC 6120 §4.7.5: version 1.0 streams have features; older ones (dialback only, no TLS) are refused.
    if (!header.attributes.version || !/^1\.\d+$/.test(header.attributes.version)) {
      return this.abort(new StreamError('unsupported-version', 'XMPP 1.0 streams only'), notFound('it does not support XMPP 1.0 streams (and so no TLS)'));
    }
    this.streamId = header.attributes.id;
    this.state = 'awaiting-features';
  }

  private onElement(element: Element): void {
    const ns = element.attrs.xmlns as string | undefined;
    if (ns === NS.streams && element.name === 'error') return this.onStreamError(element);
    if (ns === NS.streams && element.name === 'features' && this.state === 'awaiting-features') return this.onFeatures(element);
    if (ns === NS.tls && this.state === 'starttls') return this.onTlsAnswer(element);
    if (ns === NS.sasl && this.state === 'sasl') return this.onSaslAnswer(element);
    if (ns === S2S_NS.dialback && element.name === 'result' && this.state === 'dialback') return this.onDialbackResult(element);
    if (ns === S2S_NS.dialback && element.name === 'verify' && this.verifying && element.attrs.type !== undefined) return this.onVerifyAnswer(element);
    // Streams are one-way (RFC 6120 §4.5): nothing else may come back on ours.
    this.abort(new StreamError('unsupported-stanza-type', `<${element.name}/> is not expected on this stream`), timedOut('the server sent something unexpected'));
  }

  private onFeatures(features: Element): void {
    if (!this.transport.secure) {
      if (features.getChild('starttls', NS.tls)) {
        this.state = 'starttls';
        this.transport.send(new Element('starttls', { xmlns: NS.tls }));
        return;
      }
      // RFC 7590 §3.1: TLS is required; a server that does not offer it gets nothing from us.
      return this.abort(new StreamError('policy-violation', 'TLS is required for server-to-server streams'), notFound('it does not offer TLS (STARTTLS), which Hearth requires'));
    }
    if (this.saslDone) return this.becomeReady('EXTERNAL');
    this.dialbackOffered = features.getChild('dialback', S2S_NS.dialbackFeature) !== undefined;
    const mechanisms = features.getChild('mechanisms', NS.sasl);
    const external = mechanisms !== undefined && elementChildren(mechanisms).some((m) => m.name === 'mechanism' && m.getText().trim() === 'EXTERNAL');
    if (external) {
      // XEP-0178 §3 step 10: the authorization identity is our domain, base64-encoded.
      this.state = 'sasl';
      this.transport.send(new Element('auth', { xmlns: NS.sasl, mechanism: 'EXTERNAL' }).t(Buffer.from(this.options.local).toString('base64')));
      return;
    }
    if (this.dialbackOffered) return this.startDialback();
    this.abort(new StreamError('unsupported-feature', 'neither SASL EXTERNAL nor dialback was offered'), timedOut('it offered no way to authenticate (SASL EXTERNAL or dialback)'));
  }

  private onTlsAnswer(element: Element): void {
    if (element.name !== 'proceed') return this.end(notFound('its STARTTLS failed'));
    this.state = 'awaiting-header';
    this.transport
      .startTls()
      .then(() => {
        if (this.state === 'closed') return;
        if (this.acceptCertificate()) this.openStream();
      })
      .catch((error: Error) => this.end(notFound(`the TLS handshake failed (${tlsReason(error)})`)));
  }

  /** RFC 6120 §13.7.2: the certificate must be valid for the domain, unless the admin allowed otherwise. */
  private acceptCertificate(): boolean {
    const socket = this.transport.tlsSocket;
    const verdict = socket ? checkPeerCertificate(socket, this.options.remote) : { valid: false as const, problem: 'missing' as const, text: 'it presented no certificate' };
    if (verdict.valid) {
      this.certificateValid = true;
      return true;
    }
    if (this.options.insecureAllowed) {
      this.options.log.warn(`accepting ${this.options.remote} although ${verdict.text}: it is in s2s.insecureDomains`);
      return true;
    }
    // Our stream is opened only to say why (RFC 6120 §4.9.1.2), then closed.
    this.transport.openStream({ from: this.options.local, to: this.options.remote, version: '1.0' }, NS.server);
    this.abort(new StreamError('policy-violation', `certificate refused: ${verdict.text}`), notFound(`refused: ${verdict.text}`));
    return false;
  }

  private onSaslAnswer(element: Element): void {
    if (element.name === 'success') {
      // XEP-0178 §3 step 11 and RFC 6120 §6.4.6: a new stream on the authenticated connection.
      this.saslDone = true;
      this.transport.restartStream();
      return this.openStream();
    }
    if (element.name === 'failure') {
      // XEP-0178 §3 step 11b: the receiving server would not accept our certificate; dialback may still do.
      this.options.log.info(`SASL EXTERNAL was refused by ${this.options.remote}${this.dialbackOffered ? '; trying dialback' : ''}`);
      if (this.dialbackOffered) return this.startDialback();
      return this.abort(undefined, timedOut('it refused our certificate (SASL EXTERNAL) and offers no dialback'));
    }
    this.abort(new StreamError('policy-violation', 'unexpected SASL element'), timedOut('it broke the SASL exchange'));
  }

  private startDialback(): void {
    if (this.streamId === undefined) {
      return this.abort(new StreamError('undefined-condition', 'a stream ID is needed for dialback'), timedOut('its stream has no ID, so dialback cannot work'));
    }
    this.state = 'dialback';
    const { local, remote } = this.options;
    this.transport.send(new Element('db:result', { from: local, to: remote }).t(this.options.dialbackKeys.generate(remote, local, this.streamId)));
    this.enableVerify();
  }

  private onDialbackResult(element: Element): void {
    const { local, remote } = this.options;
    // XEP-0220 §2.1.1: the answer must correlate with the request on this stream.
    if (element.attrs.from !== remote || element.attrs.to !== local) return;
    const type = element.attrs.type;
    if (type === 'valid') return this.becomeReady('dialback');
    if (type === 'invalid') return this.abort(undefined, { condition: 'internal-server-error', text: 'it found our dialback key invalid' });
    const condition = elementChildren(element.getChild('error') ?? new Element('error'))[0]?.name ?? 'undefined-condition';
    this.abort(undefined, timedOut(`it could not verify us (dialback error ${condition})`));
  }

  private onVerifyAnswer(element: Element): void {
    const id = element.attrs.id as string | undefined;
    if (!id || element.attrs.from !== this.options.remote || element.attrs.to !== this.options.local) return;
    this.options.events.verifyAnswer({ id, from: this.options.remote, valid: element.attrs.type === 'valid' });
  }

  private onStreamError(element: Element): void {
    const condition = elementChildren(element).find((child) => child.attrs.xmlns === NS.streamErrors && child.name !== 'text')?.name ?? 'undefined-condition';
    const text = element.getChild('text', NS.streamErrors)?.getText();
    this.options.log.info(`${this.options.remote} closed its stream with ${condition}${text ? `: ${text.slice(0, 200)}` : ''}`);
    this.end(condition === 'host-unknown' || condition === 'host-gone' ? notFound(`it does not serve ${this.options.remote} (${condition})`) : timedOut(`it closed the stream (${condition}${text ? `: ${text.slice(0, 200)}` : ''})`));
  }

  private becomeReady(mechanism: 'EXTERNAL' | 'dialback'): void {
    this.state = 'ready';
    this.enableVerify();
    this.options.events.ready({ mechanism, certificateValid: this.certificateValid });
  }

  private enableVerify(): void {
    if (this.verifying) return;
    this.verifying = true;
    this.options.events.canVerify();
  }

  /** Closes with a stream error of ours (if any) and reports the failure. */
  private abort(error: StreamError | undefined, failure: LinkFailure): void {
    if (this.state === 'closed') return;
    const wasReady = this.state === 'ready';
    this.state = 'closed';
    if (error) this.transport.send(error.toElement());
    this.transport.closeStream();
    if (wasReady) this.options.events.closed();
    else this.options.events.failed(failure);
  }

  /** The connection or the stream ended by itself. */
  private end(failure: LinkFailure): void {
    if (this.state === 'closed') return;
    const wasReady = this.state === 'ready';
    this.state = 'closed';
    this.transport.close();
    if (wasReady) this.options.events.closed();
    else this.options.events.failed(failure);
  }

  /** The session boundary: a bug in handling one element closes this stream, never the server. */
  private guard(run: () => void): void {
    try {
      run();
    } catch (error) {
      this.options.log.error(`an outgoing stream to ${this.options.remote} failed`, error);
      this.abort(new StreamError('internal-server-error'), timedOut('an internal error'));
    }
  }
}

/** A short reason for a failed handshake, without addresses. */
function tlsReason(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code ?? (error.message.length < 120 ? error.message : 'handshake error');
}
