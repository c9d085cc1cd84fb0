// Requests addressed to occupant JIDs (XEP-0045 §17.4 IQ business rules): passed on to the
// occupant's device (a vCard request to the occupant's account, so the server answers for it),
// with ids rewritten so the answer finds its way back. XEP-0410 self-pings are answered here.
import { clone } from 'ltx';
import { randomBytes } from 'node:crypto';
import type { IqEvent, StanzaEvent } from '../../core/events.js';
import { StanzaError } from '../../util/errors.js';
import { canBounce, errorReply, iqPayload, iqResult } from '../../util/stanza.js';
import type { MucService } from './service.js';
import { vcardTempNs } from './stanzas.js';

const answerTimeoutMs = 60_000;

interface Pending {
  /** The requester's device and its id. */
  requester: string;
  id: string;
  /** The occupant JID the request was for, which the answer comes from. */
  occupantJid: string;
  /** Who must answer: the occupant's device or account. */
  answerer: string;
  timer: NodeJS.Timeout;
}

export class OccupantIq {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly muc: MucService) {}

  /** XEP-0410 §4 (self-ping optimization): result for a joined device, not-acceptable otherwise; other pings are passed on. */
  ping(event: IqEvent): true {
    const { stanza, from, to } = event;
    const room = to.local === undefined ? undefined : this.muc.rooms.get(to.toBareString());
    if (to.local === undefined || to.resource === undefined) {
      // The service, or a room itself (XEP-0199 §4.3 pings to a component).
      const answer = to.local === undefined || room ? iqResult(stanza) : errorReply(stanza, new StanzaError('item-not-found', 'no such room'), to.toBareString());
      event.reply(answer);
      return true;
    }
    const sender = room?.occupantWithSession(from.toString());
    if (!room || !sender) {
      event.reply(errorReply(stanza, new StanzaError('not-acceptable', 'you are not in this room'), to.toBareString()));
      return true;
    }
    if (sender.nick === to.resource) {
      event.reply(iqResult(stanza));
      return true;
    }
    return this.forward(event);
  }

  /** A request to an occupant from another occupant; anyone else gets not-acceptable (§17.4). */
  forward(event: StanzaEvent): true {
    const { stanza, from, to } = event;
    const room = this.muc.rooms.get(to.toBareString());
    const sender = room?.occupantWithSession(from.toString());
    const refuse = (error: StanzaError) => {
      event.reply(errorReply(stanza, error, to.toBareString()));
      return true as const;
    };
    if (!room || !sender) return refuse(new StanzaError('not-acceptable', 'you are not in this room'));
    const target = room.occupants.get(to.resource!);
    if (!target) return refuse(new StanzaError('item-not-found', 'nobody in the room has that nickname'));
    const payload = iqPayload(stanza);
    const answerer = stanza.attrs.type === 'get' && payload?.is('vCard', vcardTempNs) ? target.bareJid : target.primary;
    const id = randomBytes(12).toString('base64url');
    const timer = setTimeout(() => this.pending.delete(id), answerTimeoutMs).unref();
    this.pending.set(id, { requester: from.toString(), id: stanza.attrs.id, occupantJid: to.toString(), answerer, timer });
    const request = clone(stanza);
    request.attrs.id = id;
    request.attrs.from = room.occupantJid(sender.nick);
    request.attrs.to = answerer;
    this.muc.mod.send(request);
    return true;
  }

  /** An answer to a request passed on: back to the requester, from the occupant JID it asked. */
  settle(event: StanzaEvent): boolean {
    const { stanza, from } = event;
    const pending = this.pending.get(String(stanza.attrs.id ?? ''));
    if (!pending || pending.answerer !== from.toString()) return false;
    this.pending.delete(String(stanza.attrs.id));
    clearTimeout(pending.timer);
    const answer = clone(stanza);
    answer.attrs.id = pending.id;
    answer.attrs.from = pending.occupantJid;
    answer.attrs.to = pending.requester;
    this.muc.mod.send(answer);
    return true;
  }

  /** Everything addressed to occupant JIDs that no more specific handler took. */
  handle(event: StanzaEvent): true | undefined {
    const { stanza, to } = event;
    const type = stanza.attrs.type;
    if (type === 'result' || type === 'error') {
      this.settle(event);
      return true;
    }
    if (to.local === undefined || to.resource === undefined) return undefined; // the router answers service-unavailable
    if (!canBounce(stanza)) return true;
    return this.forward(event);
  }

  stop(): void {
    for (const pending of this.pending.values()) clearTimeout(pending.timer);
    this.pending.clear();
  }
}
