// Group chat fan-out (XEP-0045): a room of `occupants`, some of whom talk; every message goes to
// every occupant, the sender included (the room reflects it, §7.4). Deliveries per second is the
// figure; each sender keeps a window of messages in flight, closed by its own reflection.
import { performance } from 'node:perf_hooks';
import type { BenchSession } from '../client/session.js';
import { attribute } from '../client/stanza-splitter.js';
import { DeliveryLedger, settle } from '../stats.js';
import { closeAll, connectAll, inParallel, nextStanza, startPhase, type ScenarioContext } from './context.js';
import { describeLosses } from './messages.js';
import { emptyResult, type ScenarioResult } from './result.js';
import { messageKey } from './traffic.js';

export interface GroupchatOptions {
  occupants: number;
  /** How many of the occupants send. */
  senders: number;
  /** Messages to the room, over all senders. */
  messages: number;
  /** Messages in flight per sender. */
  window: number;
  stallMs: number;
  usernames: readonly string[];
}

const mucNs = 'http://jabber.org/protocol/muc';

export async function groupchatScenario(context: ScenarioContext, options: GroupchatOptions): Promise<ScenarioResult> {
  const result = emptyResult();
  const room = `family${Date.now()}@${context.mucDomain}`;
  const sessions = await connectAll(context, options.usernames.slice(0, options.occupants));
  try {
    const joinPhase = startPhase(context.pid);
    const created = await join(sessions[0]!, room, 'n0');
    if (created) await configureRoom(sessions[0]!, room);
    await inParallel(sessions.slice(1), 5, (session, i) => join(session, room, `n${i + 1}`));
    result.phases.join = joinPhase.stop();

    const ledger = new DeliveryLedger();
    const senders = Math.min(options.senders, sessions.length);
    const quota = Array.from({ length: senders }, (_, s) => Math.floor(options.messages / senders) + (s < options.messages % senders ? 1 : 0));
    const sent = quota.map(() => 0);
    let firstSent = Number.NaN;
    let lastArrival = Number.NaN;
    let errors = 0;
    const sendNext = (s: number) => {
      if (sent[s]! >= quota[s]!) return;
      const key = `g${s}.${sent[s]!++}`;
      const now = performance.now();
      for (let j = 0; j < sessions.length; j++) ledger.expect(`${key}>${j}`, now);
      sessions[s]!.send(`<message to='${room}' type='groupchat' id='${key}'><body>${key} Photos from the beach are up!</body></message>`);
    };
    sessions.forEach((session, j) => {
      session.onStanza = (xml, name) => {
        if (name !== 'message') return;
        const key = messageKey(xml, 'g');
        if (key === undefined) return;
        if (attribute(xml, 'type') === 'error') {
          errors++;
          return;
        }
        const now = performance.now();
        if (ledger.arrive(`${key}>${j}`, now) === 'delivered') lastArrival = now;
        const sender = Number(key.slice(1, key.indexOf('.')));
        if (sender === j) sendNext(sender);
      };
    });

    const total = quota.reduce((a, b) => a + b, 0) * sessions.length;
    const phase = startPhase(context.pid);
    firstSent = performance.now();
    for (let s = 0; s < senders; s++) for (let i = 0; i < options.window; i++) sendNext(s);
    await settle(() => ledger.delivered >= total, () => ledger.delivered + errors, options.stallMs);
    const cost = phase.stop();
    result.phases.fanout = cost;
    const latency = ledger.latencies.summary();
    result.figures['groupchat.rate'] = ledger.delivered / ((lastArrival - firstSent) / 1000);
    result.figures['groupchat.p50'] = latency.p50;
    result.figures['groupchat.p99'] = latency.p99;
    result.figures['groupchat.lost'] = ledger.lost + ledger.duplicates;
    result.figures['groupchat.cpuPer1000'] = cost.serverCpuSeconds / (ledger.delivered / 1000);
    describeLosses(result, 'fan-out', ledger, errors);
  } finally {
    await closeAll(sessions);
  }
  return result;
}

/** Enters the room (§7.2); true when this created it (status 201), so it still needs configuring. */
async function join(session: BenchSession, room: string, nick: string): Promise<boolean> {
  const occupantJid = `${room}/${nick}`;
  const answer = nextStanza(session, (xml, name) => name === 'presence' && attribute(xml, 'from') === occupantJid && (/code=['"]110['"]/.test(xml) || attribute(xml, 'type') === 'error'));
  session.send(`<presence to='${occupantJid}'><x xmlns='${mucNs}'><history maxstanzas='0'/></x></presence>`);
  const presence = await answer;
  if (attribute(presence, 'type') === 'error') throw new Error(`${nick} could not join: ${presence}`);
  return /code=['"]201['"]/.test(presence);
}

/**
 * §10.1.3: the owner submits the configuration, which also unlocks the new room. The same room
 * on both servers: open to anyone (not members-only), real JIDs visible, kept, archived.
 */
async function configureRoom(owner: BenchSession, room: string): Promise<void> {
  const field = (name: string, value: string) => `<field var='${name}'><value>${value}</value></field>`;
  await owner.iq(
    'set',
    room,
    `<query xmlns='${mucNs}#owner'><x xmlns='jabber:x:data' type='submit'>` +
      field('FORM_TYPE', `${mucNs}#roomconfig`) +
      field('muc#roomconfig_persistentroom', '1') +
      field('muc#roomconfig_membersonly', '0') +
      field('muc#roomconfig_whois', 'anyone') +
      field('muc#roomconfig_enablearchiving', '1') +
      `</x></query>`,
  );
}
