// Routing to component hosts (conference.<domain> and the like): stanzas for a registered
// component, and for any address at it, fire the component events instead of bouncing as remote.
import { parse, type Element } from 'ltx';
import { beforeEach, describe, expect, it } from 'vitest';
import { EventBus } from '../../../server/core/event-bus.js';
import type { EventMap, StanzaEvent } from '../../../server/core/events.js';
import { Router } from '../../../server/core/router.js';
import type { ClientSession } from '../../../server/core/session.js';
import { parseJid } from '../../../server/util/jid.js';
import { silentLogger } from '../../../server/util/log.js';
import { iqResult } from '../../../server/util/stanza.js';

const component = 'conference.example.org';
let events: EventBus<EventMap>;
let router: Router;
/** What the router delivered to the user's full JID (answers to the user). */
let toUser: Element[];

beforeEach(() => {
  events = new EventBus<EventMap>();
  router = new Router('example.org', events, silentLogger);
  router.addComponent(component);
  toUser = [];
  for (const kind of ['message', 'presence', 'iq'] as const) {
    events.on(`${kind}/full`, ({ stanza }) => {
      toUser.push(stanza);
      return true;
    });
  }
});

function route(xml: string): void {
  router.route(parse(xml) as Element, undefined);
}

function errorCondition(stanza: Element | undefined): string | undefined {
  return stanza?.getChild('error')?.getChildElements()[0]?.name;
}

describe('a component host', () => {
  it('gets messages and presence for itself and for addresses at it as component events', () => {
    const seen: Array<[string, string]> = [];
    for (const kind of ['message', 'presence'] as const) {
      events.on(`component/${kind}`, ({ to }) => {
        seen.push([kind, to.toString()]);
        return true;
      });
    }
    route(`<message from='alice@example.org/phone' to='room@${component}' type='groupchat'><body>hi</body></message>`);
    route(`<presence from='alice@example.org/phone' to='room@${component}/Alice'/>`);
    route(`<message from='alice@example.org/phone' to='${component}'/>`);
    expect(seen).toEqual([
      ['message', `room@${component}`],
      ['presence', `room@${component}/Alice`],
      ['message', component],
    ]);
    expect(toUser).toEqual([]);
  });

  it('fires the typed iq event first, with the payload, then component/iq', () => {
    const order: string[] = [];
    events.on(`iq-get/component/urn:xmpp:ping:ping`, ({ payload }) => {
      order.push(`typed ${payload.name}`);
      return undefined;
    });
    events.on('component/iq', ({ stanza, reply }: StanzaEvent) => {
      order.push('component/iq');
      reply(iqResult(stanza));
      return true;
    });
    route(`<iq type='get' id='p1' from='alice@example.org/phone' to='room@${component}/Bob'><ping xmlns='urn:xmpp:ping'/></iq>`);
    expect(order).toEqual(['typed ping', 'component/iq']);
    expect(toUser.map((s) => [s.attrs.type, s.attrs.id, s.attrs.from])).toEqual([['result', 'p1', `room@${component}/Bob`]]);
  });

  it('answers a request nobody handles with service-unavailable, and bounces an unhandled message', () => {
    route(`<iq type='get' id='q1' from='alice@example.org/phone' to='${component}'><query xmlns='jabber:iq:version'/></iq>`);
    route(`<message id='m1' from='alice@example.org/phone' to='room@${component}'><body>anyone?</body></message>`);
    route(`<presence from='alice@example.org/phone' to='room@${component}/Alice'/>`);
    expect(toUser.map((s) => [s.name, s.attrs.id, errorCondition(s)])).toEqual([
      ['iq', 'q1', 'service-unavailable'],
      ['message', 'm1', 'service-unavailable'],
    ]);
  });

  it('is a remote domain again once removed', () => {
    router.removeComponent(component);
    route(`<message id='m2' from='alice@example.org/phone' to='room@${component}'><body>hi</body></message>`);
    expect(errorCondition(toUser[0])).toBe('remote-server-not-found');
  });

  it('leaves other domains remote', () => {
    route(`<message id='m3' from='alice@example.org/phone' to='room@conference.example.net'><body>hi</body></message>`);
    expect(errorCondition(toUser[0])).toBe('remote-server-not-found');
  });

  it('still fires the pre- events of a client stanza by the shape of its address', () => {
    const pre: string[] = [];
    events.on('pre-message/bare', () => {
      pre.push('pre-message/bare');
      return undefined;
    });
    events.on('component/message', () => true);
    const sent: Element[] = [];
    const origin = { send: (s: Element) => sent.push(s) } as unknown as ClientSession;
    const stanza = parse(`<message from='alice@example.org/phone' to='room@${component}' type='groupchat'><body>hi</body></message>`) as Element;
    router.fromClient(stanza, origin, parseJid('alice@example.org/phone')!, parseJid(`room@${component}`)!);
    expect(pre).toEqual(['pre-message/bare']);
    expect(sent).toEqual([]);
  });
});

describe('other servers (federation)', () => {
  let carried: Array<[string, string, string]>;

  beforeEach(() => {
    carried = [];
    router.setRemoteRoute((stanza, from, to) => carried.push([stanza.name, from.toString(), to.toString()]));
  });

  it('hands stanzas for another domain to the remote route instead of bouncing them', () => {
    route(`<message id='m4' from='alice@example.org/phone' to='bob@example.net'><body>hi</body></message>`);
    route(`<presence from='room@${component}/Alice' to='bob@example.net/laptop'/>`);
    expect(carried).toEqual([
      ['message', 'alice@example.org/phone', 'bob@example.net'],
      ['presence', `room@${component}/Alice`, 'bob@example.net/laptop'],
    ]);
    expect(toUser).toEqual([]);
  });

  it('dispatches a stanza from another server locally, with no origin and a reply that goes back out', () => {
    let event: StanzaEvent | undefined;
    events.on('iq-get/host/jabber:iq:version:query', (e) => {
      event = e;
      e.reply(iqResult(e.stanza));
      return true;
    });
    const stanza = parse(`<iq type='get' id='v1' from='bob@example.net/laptop' to='example.org'><query xmlns='jabber:iq:version'/></iq>`) as Element;
    router.fromRemote(stanza, parseJid('bob@example.net/laptop')!, parseJid('example.org')!);
    expect(event?.origin).toBeUndefined();
    expect(carried).toEqual([['iq', 'example.org', 'bob@example.net/laptop']]);
  });

  it('never relays a stanza from one other server to another', () => {
    const stanza = parse(`<message from='bob@example.net' to='carol@example.com'/>`) as Element;
    router.fromRemote(stanza, parseJid('bob@example.net')!, parseJid('carol@example.com')!);
    route(`<message from='bob@example.net' to='carol@example.com'/>`);
    expect(carried).toEqual([]);
  });

  it('bounces again with remote-server-not-found once federation is gone', () => {
    router.setRemoteRoute(undefined);
    route(`<message id='m5' from='alice@example.org/phone' to='bob@example.net'><body>hi</body></message>`);
    expect(errorCondition(toUser[0])).toBe('remote-server-not-found');
  });
});
