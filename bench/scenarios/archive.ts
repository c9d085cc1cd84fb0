// Message archive (XEP-0313) queries over a big archive. The archive is filled the honest way:
// `contacts` accounts send `archived` messages through the server to one reader, who is online,
// so both servers archive them exactly as they would in use (once for each side). Then the reader
// asks, one query at a time, for the kinds of pages clients ask for:
//   latest  - the last 50 messages (a new device showing recent history);
//   with    - the last 50 with one contact (opening one conversation);
//   after   - 50 after an id in the middle (a device catching up from where it was).
import { performance } from 'node:perf_hooks';
import { attribute, childTag, childTags } from '../client/stanza-splitter.js';
import { DeliveryLedger, LatencySamples } from '../stats.js';
import { closeAll, connect, connectAll, startPhase, type ScenarioContext } from './context.js';
import { describeLosses } from './messages.js';
import { emptyResult, type ScenarioResult } from './result.js';
import { closedLoop, type Flow } from './traffic.js';
import type { BenchSession } from '../client/session.js';

export interface ArchiveOptions {
  /** Messages put into the reader's archive. */
  archived: number;
  /** Accounts sending them (the `with` query asks for one of them). */
  senders: readonly string[];
  reader: string;
  /** Queries of each kind... */
  queries: number;
  /** ...or fewer, when they take longer than this in all (but at least 3). */
  queryBudgetMs: number;
  /** Messages in flight per sender while filling. */
  window: number;
  stallMs: number;
}

const mamNs = 'urn:xmpp:mam:2';
const pageSize = 50;

export async function archiveScenario(context: ScenarioContext, options: ArchiveOptions): Promise<ScenarioResult> {
  const result = emptyResult();
  const reader = await connect(context, options.reader, 'bench');
  const senders = await connectAll(context, options.senders);
  try {
    const base = Math.floor(options.archived / senders.length);
    const flows: Flow[] = senders.map((sender, i) => ({ sender, receiver: reader, quota: base + (i < options.archived % senders.length ? 1 : 0) }));
    // The archive id (XEP-0359 stanza-id, set by the reader's server) of a message in the middle.
    const middleKey = `h0.${Math.floor(flows[0]!.quota / 2)}`;
    let middleId: string | undefined;
    const ledger = new DeliveryLedger();
    const phase = startPhase(context.pid);
    const run = await closedLoop(flows, {
      window: options.window,
      prefix: 'h',
      ledger,
      stallMs: options.stallMs,
      onDelivery: (key, xml) => {
        if (key === middleKey) middleId = stanzaIdFor(xml, reader.bareJid);
      },
    });
    result.phases.fill = phase.stop();
    result.figures['archive.fillRate'] = ledger.delivered / ((run.lastArrival - run.firstSent) / 1000);
    result.figures['archive.lost'] = ledger.lost + ledger.duplicates;
    describeLosses(result, 'archive fill', ledger, run.errors);
    if (!middleId) throw new Error(`the message ${middleKey} arrived without a stanza-id from the archive`);

    const kinds: Record<string, string> = {
      latest: rsm('<before/>'),
      with: form({ with: senders[0]!.bareJid }) + rsm('<before/>'),
      after: rsm(`<after>${middleId}</after>`),
    };
    for (const [kind, payload] of Object.entries(kinds)) {
      const latencies = new LatencySamples();
      const queryPhase = startPhase(context.pid);
      const budgetEnds = performance.now() + options.queryBudgetMs;
      for (let i = 0; i < options.queries && (i < 3 || performance.now() < budgetEnds); i++) {
        const { ms, results } = await query(reader, `${kind}${i}`, payload);
        latencies.add(ms);
        if (results !== pageSize) {
          result.notes.push(`${kind} query ${i} returned ${results} messages instead of ${pageSize}`);
          result.figures['archive.badPages'] = (result.figures['archive.badPages'] ?? 0) + 1;
        }
      }
      result.phases[`query ${kind}`] = queryPhase.stop();
      const summary = latencies.summary();
      result.figures[`archive.${kind}.p50`] = summary.p50;
      result.figures[`archive.${kind}.p99`] = summary.p99;
      if (summary.count < options.queries) result.notes.push(`${kind}: ${summary.count} queries in the ${options.queryBudgetMs / 1000} s budget, not ${options.queries}`);
    }
  } finally {
    await closeAll([reader, ...senders]);
  }
  return result;
}

function rsm(inner: string): string {
  return `<set xmlns='http://jabber.org/protocol/rsm'><max>${pageSize}</max>${inner}</set>`;
}

function form(fields: Record<string, string>): string {
  const values = Object.entries(fields).map(([name, value]) => `<field var='${name}'><value>${value}</value></field>`);
  return `<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>${mamNs}</value></field>${values.join('')}</x>`;
}

/** One query (§4): its result messages are counted until the iq result (with <fin/>) arrives. */
async function query(reader: BenchSession, queryId: string, payload: string): Promise<{ ms: number; results: number }> {
  let results = 0;
  const previous = reader.onStanza;
  reader.onStanza = (xml, name) => {
    const result = name === 'message' ? childTag(xml, 'result') : undefined;
    if (result !== undefined && attribute(result, 'queryid') === queryId) results++;
    else previous?.(xml, name);
  };
  const started = performance.now();
  try {
    await reader.iq('set', undefined, `<query xmlns='${mamNs}' queryid='${queryId}'>${payload}</query>`);
    return { ms: performance.now() - started, results };
  } finally {
    reader.onStanza = previous;
  }
}

/** The id in <stanza-id by='owner'/> (XEP-0359), which is the archive id for MAM queries. */
function stanzaIdFor(xml: string, owner: string): string | undefined {
  const tag = childTags(xml, 'stanza-id').find((t) => attribute(t, 'by') === owner);
  return tag && attribute(tag, 'id');
}
