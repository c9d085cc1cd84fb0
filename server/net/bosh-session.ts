// One BOSH session (XEP-0124) carrying one XMPP stream (XEP-0206): the transport a C2sSession
// runs on, like a TCP connection. Requests are taken in 'rid' order (§14.2), each is held until
// there is something to send or 'wait' runs out (§8), at most 'hold' at a time, and the last
// responses are kept for a client that repeats a request after a broken connection (§14.3). A
// session with no request for 'inactivity' seconds is over (§10), which the C2sSession sees as a
// dropped connection (and XEP-0198 can resume).
import { Element } from 'ltx';
import { StreamError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { NS } from '../util/namespaces.js';
import { serialize } from '../util/xml.js';
import { type BoshCondition, responseBody, terminateBody } from './bosh-body.js';
import { ByteRateLimit } from './byte-rate-limit.js';
import { standaloneXml } from './framed-xml.js';
import type { ChannelBindingType, StreamInputHandlers, StreamTransport } from './transport.js';
import type { StreamHeader, XmlStreamLimits } from './xml-stream.js';

/** Where the answer to one HTTP request goes. */
export interface BoshReply {
  send(body: string): void;
  /** The client sent the same request again: the connection this one came on is given up. */
  abandon(): void;
}

export interface BoshRequest {
  rid: number;
  attrs: Record<string, string>;
  payloads: Element[];
  /** Size of the HTTP body, for the byte rate limit. */
  bytes: number;
  arrivedAt: number;
  reply: BoshReply;
}

export interface BoshSessionSettings {
  /** What was agreed at creation (XEP-0124 §7.2), in milliseconds where it is a time. */
  waitMs: number;
  hold: number;
  requests: number;
  inactivityMs: number;
  pollingMs: number;
  maxPauseSeconds: number;
  /** Attributes of the session creation response (sid, wait, ver, xmpp:version ...). */
  creationAttributes: Record<string, string>;
  /** The stream header the creation request stands for (to, version, xml:lang). */
  streamAttributes: Record<string, string>;
  limits: XmlStreamLimits;
  bytesPerSecond: number;
  remoteAddress: string | undefined;
  log: Logger;
}

interface HeldRequest {
  rid: number;
  reply: BoshReply;
  timer: NodeJS.Timeout | undefined;
  creation: boolean;
  pause: boolean;
  empty: boolean;
  arrivedAt: number;
}

export class BoshSession implements StreamTransport {
  readonly remoteAddress: string | undefined;
  /** Every request comes over HTTPS (XEP-0206 §9 security considerations). */
  readonly secure = true;
  readonly canStartTls = false;

  private handlers: StreamInputHandlers | undefined;
  private readonly closeListeners: Array<() => void> = [];
  /** The rid of the last request taken in order. */
  private lastRid: number;
  /** Requests that arrived before one with a lower rid (§14.2), by rid. */
  private readonly early = new Map<number, BoshRequest>();
  /** Requests being held, oldest first; they are answered in that order. */
  private held: HeldRequest[] = [];
  /** Elements waiting for a request to carry them. */
  private outbox: string[] = [];
  private streamErrorQueued = false;
  /** The last responses by rid, for retransmission (§14.3). */
  private readonly answered = new Map<number, string>();
  private lastAnswerEmpty = false;
  private lastTaken: { rid: number; empty: boolean; arrivedAt: number };
  private restartExpected = false;
  private ended = false;
  /** The terminating body, when the stream ended with no request to carry it. */
  private finalBody: string | undefined;
  private pauseMs: number | undefined;
  private inactivityTimer: NodeJS.Timeout | undefined;
  private flushScheduled = false;
  private throttleTimer: NodeJS.Timeout | undefined;
  private throttledUntil = 0;
  private readonly rateLimit: ByteRateLimit | undefined;

  constructor(
    private readonly settings: BoshSessionSettings,
    creation: BoshRequest,
    /** Called when the session is over: it stays known `lingerMs` longer for retransmissions. */
    private readonly onEnd: (lingerMs: number) => void,
  ) {
    this.remoteAddress = settings.remoteAddress;
    this.lastRid = creation.rid;
    this.lastTaken = { rid: creation.rid, empty: true, arrivedAt: creation.arrivedAt };
    if (settings.bytesPerSecond > 0) {
      this.rateLimit = new ByteRateLimit(settings.bytesPerSecond, Math.max(settings.bytesPerSecond * 2, settings.limits.maxStanzaBytes));
    }
    this.hold({ rid: creation.rid, reply: creation.reply, timer: undefined, creation: true, pause: false, empty: true, arrivedAt: creation.arrivedAt });
  }

  /** Opens the stream once accept() has attached the session: the creation request is its header. */
  begin(): void {
    if (this.ended) return;
    this.handlers?.streamStart(this.streamHeader());
    this.settle();
  }

  /** A request that named this session's sid. */
  receive(request: BoshRequest): void {
    if (this.ended) return this.receiveAfterEnd(request);
    clearTimeout(this.inactivityTimer);
    this.inactivityTimer = undefined;
    this.route(request);
    this.settle();
  }

  /** Ends the session with a terminal binding error (XEP-0124 §17.2), answering every request. */
  terminate(condition: BoshCondition, request: BoshRequest | undefined, why: string): void {
    if (this.ended) {
      request?.reply.send(terminateBody(condition));
      return;
    }
    this.settings.log.debug(`ended a BOSH session with ${condition}: ${why}`);
    const body = terminateBody(condition);
    request?.reply.send(body);
    for (const early of this.early.values()) early.reply.send(body);
    this.early.clear();
    for (const held of [...this.held]) this.answer(held, { condition });
    this.end();
  }

  // StreamTransport ---------------------------------------------------------------------------

  channelBindingTypes(): ChannelBindingType[] {
    // The requests of one session may come over different TLS connections: nothing to bind to.
    return [];
  }

  channelBinding(): Buffer | undefined {
    return undefined;
  }

  setInputHandlers(handlers: StreamInputHandlers): void {
    this.handlers = handlers;
  }

  openStream(): void {
    // XEP-0206 §5: the session creation response stands for our stream header; nothing to send.
  }

  send(element: Element): void {
    if (this.ended) return;
    if (element.name === 'stream:error') this.streamErrorQueued = true;
    this.outbox.push(standaloneXml(element));
    this.scheduleFlush();
  }

  restartStream(): void {
    // XEP-0206 §5: after SASL the client asks for a restart with xmpp:restart='true'.
    this.restartExpected = true;
  }

  startTls(): Promise<void> {
    return Promise.reject(new Error('STARTTLS is not available over BOSH'));
  }

  closeStream(): void {
    if (this.ended) return;
    // XEP-0206 §6: a stream error goes out in the terminating body, with condition remote-stream-error.
    const condition: BoshCondition | undefined = this.streamErrorQueued ? 'remote-stream-error' : undefined;
    const body = terminateBody(condition);
    for (const early of this.early.values()) early.reply.send(body);
    this.early.clear();
    if (this.held.length === 0) {
      // The client learns at its next request, if it comes before the session is forgotten.
      this.finalBody = terminateBody(condition, this.outbox.splice(0));
    }
    for (const held of [...this.held]) this.answer(held, { condition });
    this.end();
  }

  close(): void {
    if (this.ended) return;
    // The stream lives on elsewhere (XEP-0198 resumption took it over): what was waiting here is
    // resent there, so the requests still held only learn that this session is over.
    this.outbox = [];
    const body = terminateBody();
    for (const early of this.early.values()) early.reply.send(body);
    this.early.clear();
    for (const held of [...this.held]) this.answer(held, {});
    this.end();
  }

  onClose(listener: () => void): void {
    this.closeListeners.push(listener);
  }

  // Requests ----------------------------------------------------------------------------------

  private route(request: BoshRequest): void {
    const { rid } = request;
    if (rid <= this.lastRid) return this.receiveRepeat(request);
    // §14.2: a rid beyond the window of simultaneous requests ends the session.
    if (rid > this.lastRid + this.settings.requests) return this.terminate('item-not-found', request, 'rid beyond the window');
    const earlier = this.early.get(rid);
    if (earlier) {
      // The same request again before its turn: the newer connection is the live one.
      earlier.reply.abandon();
      this.early.set(rid, request);
      return;
    }
    const overactive = this.overactivity(request);
    if (overactive) return this.terminate('policy-violation', request, overactive);
    this.early.set(rid, request);
    this.takeInOrder();
  }

  private receiveRepeat(request: BoshRequest): void {
    const previous = this.answered.get(request.rid);
    if (previous !== undefined) {
      // §14.3: the client lost the response; it gets the same one again.
      return request.reply.send(previous);
    }
    const held = this.held.find((h) => h.rid === request.rid);
    if (held) {
      // The client gave up on the connection that carried this request; answer on the new one.
      held.reply.abandon();
      held.reply = request.reply;
      return;
    }
    // §14.3: a response no longer kept ends the session, the same as a rid too large.
    this.terminate('item-not-found', request, 'repeated rid whose response is no longer kept');
  }

  private receiveAfterEnd(request: BoshRequest): void {
    const previous = this.answered.get(request.rid);
    if (previous !== undefined) return request.reply.send(previous);
    if (this.finalBody !== undefined && request.rid > this.lastRid && request.rid <= this.lastRid + this.settings.requests) {
      const body = this.finalBody;
      this.finalBody = undefined;
      this.lastRid = request.rid;
      this.remember(request.rid, body);
      return request.reply.send(body);
    }
    request.reply.send(terminateBody('item-not-found'));
  }

  /**
   * XEP-0124 §11 and §12: the reason to end a session that asks too often, or undefined. Pause and
   * terminate requests may always come on top.
   */
  private overactivity(request: BoshRequest): string | undefined {
    if (request.attrs.pause !== undefined || request.attrs.type === 'terminate') return undefined;
    const { requests, hold, pollingMs } = this.settings;
    const unanswered = this.held.length + this.early.size;
    if (unanswered >= requests) return `more than ${requests} simultaneous requests`;
    // A restart carries no payload but is not a poll.
    const empty = request.payloads.length === 0 && request.attrs['xmpp:restart'] !== 'true';
    const previous = this.lastTaken;
    if (!empty || !previous.empty || previous.rid !== request.rid - 1) return undefined;
    const soon = request.arrivedAt - previous.arrivedAt < pollingMs;
    // Held and polling sessions differ (§11, §12): two empty requests waiting at once, or an empty
    // poll right after an empty answer.
    if (hold > 0 && soon && unanswered === requests - 1 && this.held.some((h) => h.rid === previous.rid)) {
      return `empty requests more often than every ${pollingMs / 1000} seconds`;
    }
    if (hold === 0 && soon && this.lastAnswerEmpty) return `polling more often than every ${pollingMs / 1000} seconds`;
    return undefined;
  }

  private takeInOrder(): void {
    while (!this.ended) {
      const next = this.early.get(this.lastRid + 1);
      if (!next) break;
      const waitMs = this.throttledUntil - Date.now();
      if (waitMs > 0) {
        // The byte rate limit: the next request is taken when the client's budget allows.
        if (!this.throttleTimer) {
          this.throttleTimer = setTimeout(() => {
            this.throttleTimer = undefined;
            this.takeInOrder();
          }, waitMs).unref();
        }
        return;
      }
      this.early.delete(next.rid);
      this.lastRid = next.rid;
      this.take(next);
    }
    this.settle();
  }

  private take(request: BoshRequest): void {
    const { attrs, payloads } = request;
    const empty = payloads.length === 0;
    this.lastTaken = { rid: request.rid, empty: empty && attrs['xmpp:restart'] !== 'true', arrivedAt: request.arrivedAt };
    const held: HeldRequest = { rid: request.rid, reply: request.reply, timer: undefined, creation: false, pause: false, empty, arrivedAt: request.arrivedAt };
    this.hold(held);
    // §10: any request puts the inactivity period back to normal after a pause.
    this.pauseMs = undefined;
    const pauseMs = this.rateLimit?.take(request.bytes) ?? 0;
    if (pauseMs > 0) this.throttledUntil = Date.now() + pauseMs;

    if (attrs['xmpp:restart'] === 'true') {
      // XEP-0206 §5: a restart comes after SASL success only, and carries nothing.
      if (!this.restartExpected || !empty) return this.terminate('bad-request', undefined, 'a restart not after SASL success, or with payloads');
      this.restartExpected = false;
      this.handlers?.streamStart(this.streamHeader());
    }
    for (const payload of payloads) {
      if (this.ended) return;
      if (Buffer.byteLength(serialize(payload)) > this.settings.limits.maxStanzaBytes) {
        this.handlers?.error(new StreamError('policy-violation', `a stanza is larger than the limit of ${this.settings.limits.maxStanzaBytes} bytes`));
        return;
      }
      this.handlers?.stanza(payload);
    }
    if (this.ended) return;
    if (attrs.pause !== undefined) return this.pause(held, attrs.pause);
    // §13: the client ends the session; the C2sSession closes the stream, which answers it.
    if (attrs.type === 'terminate') this.handlers?.streamEnd();
  }

  private pause(request: HeldRequest, requested: string): void {
    const seconds = Number(requested);
    const { maxPauseSeconds } = this.settings;
    if (maxPauseSeconds === 0 || !/^\d+$/.test(requested) || seconds > maxPauseSeconds) {
      return this.terminate('policy-violation', undefined, 'a pause longer than maxpause');
    }
    // §10: every held request is answered now, the pause request itself without payloads.
    request.pause = true;
    for (const held of this.held.filter((h) => h !== request)) this.answer(held);
    this.answer(request);
    this.pauseMs = seconds * 1000;
  }

  // Responses ---------------------------------------------------------------------------------

  private hold(request: HeldRequest): void {
    this.held.push(request);
    request.timer = setTimeout(() => {
      if (!this.held.includes(request)) return;
      this.answer(request);
      this.settle();
    }, this.settings.waitMs).unref();
  }

  /** After a request: at most `hold` stay waiting (§8), anything queued goes out, idleness is timed. */
  private settle(): void {
    if (this.ended) return;
    while (this.held.length > this.settings.hold) this.answer(this.held[0]!);
    if (this.outbox.length > 0) this.scheduleFlush();
    this.timeInactivity();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // Elements sent in the same turn (a result and an <r/>, say) share one response.
    setImmediate(() => {
      this.flushScheduled = false;
      if (this.ended || this.outbox.length === 0 || this.held.length === 0) return;
      this.answer(this.held[0]!);
      this.settle();
    });
  }

  private answer(request: HeldRequest, terminate?: { condition?: BoshCondition | undefined }): void {
    const index = this.held.indexOf(request);
    if (index < 0) return;
    this.held.splice(index, 1);
    clearTimeout(request.timer);
    // §10: the answer to a pause request carries no payloads; they wait for the next request.
    const payloads = request.pause ? [] : this.outbox.splice(0);
    let body: string;
    if (terminate) body = terminateBody(terminate.condition, payloads);
    else body = responseBody(request.creation ? this.settings.creationAttributes : {}, payloads);
    // §14.3: kept for retransmission, except answers to pauses and binding errors.
    if (!request.pause && !terminate?.condition) this.remember(request.rid, body);
    this.lastAnswerEmpty = payloads.length === 0;
    request.reply.send(body);
  }

  private remember(rid: number, body: string): void {
    this.answered.set(rid, body);
    for (const old of this.answered.keys()) {
      if (this.answered.size <= this.settings.requests) break;
      this.answered.delete(old);
    }
  }

  private timeInactivity(): void {
    // Requests that wait for an earlier rid are not held: if the gap never fills, the session ends.
    if (this.ended || this.held.length > 0 || this.inactivityTimer) return;
    this.inactivityTimer = setTimeout(() => this.expire(), this.pauseMs ?? this.settings.inactivityMs).unref();
  }

  /** §10: the client stopped asking; the session ends as if it had never been. */
  private expire(): void {
    this.inactivityTimer = undefined;
    if (this.ended || this.held.length > 0) return;
    for (const early of this.early.values()) early.reply.send(terminateBody('item-not-found'));
    this.early.clear();
    this.settings.log.debug('a BOSH session ended after its client stopped sending requests');
    this.end(0);
  }

  private end(lingerMs = this.settings.inactivityMs): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.inactivityTimer);
    clearTimeout(this.throttleTimer);
    for (const held of this.held) clearTimeout(held.timer);
    this.onEnd(lingerMs);
    for (const listener of this.closeListeners) listener();
  }

  private streamHeader(): StreamHeader {
    return { localName: 'stream', namespace: NS.streams, defaultNamespace: NS.client, attributes: { ...this.settings.streamAttributes } };
  }
}
