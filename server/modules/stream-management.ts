// XEP-0198: Stream Management — https://xmpp.org/extensions/xep-0198.html
// Acknowledgements let phones on flaky networks know what arrived; resumption lets them come
// back within resumeTimeoutSeconds without losing anything. Whatever a session could not hand
// over is re-routed (to other devices or offline storage), never silently dropped.
import { Element, clone } from 'ltx';
import { randomBytes } from 'node:crypto';
import { defineModule, type ModuleApi } from '../core/module-host.js';
import type { ClientSession } from '../core/session.js';
import { StanzaError, StreamError } from '../util/errors.js';
import { NS } from '../util/namespaces.js';
import { canBounce, errorReply } from '../util/stanza.js';

const smNs = 'urn:xmpp:sm:3';
/** Counters wrap at 2^32 (XEP-0198 §4). */
const wrap = 2 ** 32;
const ackRequestDelayMs = 200;
/**
 * How long a session over maxUnackedStanzas has to acknowledge before it is closed. The server
 * itself sends bursts bigger than the limit when asked (offline messages at login, archive pages),
 * and a client cannot acknowledge in the middle of one; only a client that stays behind after
 * being asked is dropped (found by test/server/durability.test.ts).
 */
const overflowGraceMs = 10_000;

interface ManagedStream {
  id: string;
  resumable: boolean;
  /** session.stanzasReceived when management was enabled. */
  inboundBase: number;
  /** The last `h` the client acknowledged. */
  acked: number;
  /** Stanzas sent and not yet acknowledged, oldest first. */
  unacked: Element[];
  ackRequest: NodeJS.Timeout | undefined;
  hibernation: NodeJS.Timeout | undefined;
  /** Set while over maxUnackedStanzas: closes the session unless acks bring it back under. */
  overflow: NodeJS.Timeout | undefined;
}

export default defineModule({
  name: 'stream-management',
  setup(mod) {
    const { resumeTimeoutSeconds, maxUnackedStanzas } = mod.config.streamManagement;
    const streams = new WeakMap<ClientSession, ManagedStream>();
    const resumable = new Map<string, ClientSession>();

    mod.hook('stream-features', ({ features, authenticated }) => {
      if (authenticated) features.c('sm', { xmlns: smNs });
    });

    mod.hook(`stream-element/${smNs}:enable`, ({ session, element }) => {
      if (!session.jid || streams.has(session)) return failed(session, 'unexpected-request');
      const wantsResume = element.attrs.resume === 'true' || element.attrs.resume === '1';
      const stream: ManagedStream = {
        id: randomBytes(18).toString('base64url'),
        resumable: wantsResume && resumeTimeoutSeconds > 0,
        inboundBase: session.stanzasReceived,
        acked: 0,
        unacked: [],
        ackRequest: undefined,
        hibernation: undefined,
        overflow: undefined,
      };
      streams.set(session, stream);
      session.addOutgoingFilter((stanza) => {
        stream.unacked.push(stanza);
        if (stream.unacked.length >= maxUnackedStanzas && stream.overflow === undefined) {
          // Ask at once rather than after the usual delay, and give the client time to answer.
          session.sendNonza(new Element('r', { xmlns: smNs }));
          stream.overflow = setTimeout(() => {
            stream.overflow = undefined;
            if (stream.unacked.length >= maxUnackedStanzas) session.close(new StreamError('resource-constraint', 'too many unacknowledged stanzas'));
          }, overflowGraceMs).unref();
        }
        if (session.connected && stream.ackRequest === undefined) {
          stream.ackRequest = setTimeout(() => {
            stream.ackRequest = undefined;
            session.sendNonza(new Element('r', { xmlns: smNs }));
          }, ackRequestDelayMs).unref();
        }
        return stanza;
      }, -1000);
      const enabled = new Element('enabled', { xmlns: smNs, id: stream.id });
      if (stream.resumable) {
        resumable.set(stream.id, session);
        enabled.attrs.resume = 'true';
        enabled.attrs.max = String(resumeTimeoutSeconds);
      }
      session.sendNonza(enabled);
      return true;
    });

    mod.hook(`stream-element/${smNs}:r`, ({ session }) => {
      const stream = streams.get(session);
      if (!stream) return failed(session, 'unexpected-request');
      session.sendNonza(new Element('a', { xmlns: smNs, h: String(handledCount(session, stream)) }));
      return true;
    });

    mod.hook(`stream-element/${smNs}:a`, ({ session, element }) => {
      const stream = streams.get(session);
      if (!stream) return true; // an ack nobody asked for is harmless
      acknowledge(session, stream, element.attrs.h);
      if (stream.overflow !== undefined && stream.unacked.length < maxUnackedStanzas) {
        clearTimeout(stream.overflow);
        stream.overflow = undefined;
      }
      return true;
    });

    mod.hook(`stream-element/${smNs}:resume`, ({ session: fresh, element }) => {
      if (fresh.jid) return failed(fresh, 'unexpected-request');
      const previous = resumable.get(element.attrs.previd ?? '');
      const stream = previous && streams.get(previous);
      if (!previous || !stream || previous.username !== fresh.username) return failed(fresh, 'item-not-found');
      if (!acknowledge(previous, stream, element.attrs.h)) return true;
      if (!previous.takeOverConnection(fresh)) return failed(fresh, 'item-not-found');
      clearTimeout(stream.hibernation);
      stream.hibernation = undefined;
      previous.sendNonza(new Element('resumed', { xmlns: smNs, h: String(handledCount(previous, stream)), previd: stream.id }));
      // §5: everything the client has not acknowledged is sent again, in order, uncounted.
      for (const stanza of stream.unacked) previous.sendNonza(stanza);
      if (stream.unacked.length > 0) previous.sendNonza(new Element('r', { xmlns: smNs }));
      mod.log.debug('a session was resumed');
      return true;
    });

    mod.hook('c2s-connection-lost', ({ session }) => {
      const stream = streams.get(session);
      if (!stream?.resumable) return undefined;
      clearTimeout(stream.ackRequest);
      stream.ackRequest = undefined;
      stream.hibernation = setTimeout(() => session.close(), resumeTimeoutSeconds * 1000).unref();
      return true;
    });

    mod.hook('resource-unbind', ({ session }) => {
      const stream = streams.get(session);
      if (!stream) return;
      clearTimeout(stream.ackRequest);
      clearTimeout(stream.hibernation);
      clearTimeout(stream.overflow);
      resumable.delete(stream.id);
      streams.delete(session);
      reroute(mod, session, stream.unacked.splice(0));
    });

    // Sessions waiting to be resumed hold stanzas only in memory: hand them on before storage closes.
    mod.hook('server-stopping', () => {
      for (const session of [...resumable.values()]) if (!session.connected) session.close();
    });
  },
});

function handledCount(session: ClientSession, stream: ManagedStream): number {
  return (session.stanzasReceived - stream.inboundBase) % wrap;
}

/** Applies the client's `h`; false (and the stream closed) when it acknowledges more than was sent. */
function acknowledge(session: ClientSession, stream: ManagedStream, hText: string | undefined): boolean {
  const h = Number(hText);
  if (!Number.isInteger(h) || h < 0 || h >= wrap) {
    session.close(new StreamError('undefined-condition', 'invalid h in a stream management acknowledgement'));
    return false;
  }
  const newlyAcked = (h - stream.acked + wrap) % wrap;
  if (newlyAcked > stream.unacked.length) {
    // XEP-0198 §4: acknowledging stanzas never sent is a protocol error.
    const error = new StreamError('undefined-condition', 'acknowledged more stanzas than were sent').toElement();
    error.c('handled-count-too-high', { xmlns: smNs, h: String(h), 'send-count': String((stream.acked + stream.unacked.length) % wrap) });
    session.sendNonza(error);
    session.close();
    return false;
  }
  stream.unacked.splice(0, newlyAcked);
  stream.acked = h;
  return true;
}

/** Answers with <failed/> (XEP-0198 §3, §5) and marks the element handled. */
function failed(session: ClientSession, condition: 'unexpected-request' | 'item-not-found'): true {
  const element = new Element('failed', { xmlns: smNs });
  element.c(condition, { xmlns: NS.stanzaErrors });
  session.sendNonza(element);
  return true;
}

/**
 * XEP-0198 §5 leaves undelivered stanzas to the server: messages go to the account again (other
 * devices, else offline storage), requests get an error, presence is stale and dropped.
 */
function reroute(mod: ModuleApi, session: ClientSession, stanzas: Element[]): void {
  const bare = session.jid!.toBareString();
  for (const stanza of stanzas) {
    const type = stanza.attrs.type ?? 'normal';
    if (stanza.name === 'message' && (type === 'chat' || type === 'normal') && !isCopyForThisDevice(stanza)) {
      const copy = clone(stanza);
      copy.attrs.to = bare;
      if (!copy.getChild('delay', NS.delay)) {
        copy.c('delay', { xmlns: NS.delay, from: mod.host, stamp: new Date().toISOString() });
      }
      mod.send(copy);
    } else if (stanza.name === 'iq' && canBounce(stanza) && (type === 'get' || type === 'set')) {
      mod.send(errorReply(stanza, new StanzaError('recipient-unavailable')));
    }
  }
}

/**
 * Archive query results and carbon copies were made for the device that went away; the other
 * devices have their own, and offline storage must not keep them (XEP-0313, XEP-0280).
 */
function isCopyForThisDevice(stanza: Element): boolean {
  return stanza.getChildElements().some((child) => {
    const ns = child.getNS() ?? '';
    return (child.name === 'result' && ns.startsWith('urn:xmpp:mam:')) || (ns === 'urn:xmpp:carbons:2' && (child.name === 'sent' || child.name === 'received'));
  });
}
