// Message traffic between sessions, counted in a DeliveryLedger: closed loop (each flow keeps a
// window of messages in flight, the fastest the server can go) or at a fixed rate. Every message
// carries its key as the first word of its body, which is all a receiver has to read.
import { performance } from 'node:perf_hooks';
import type { BenchSession } from '../client/session.js';
import { attribute, childText } from '../client/stanza-splitter.js';
import { settle, type DeliveryLedger } from '../stats.js';

export interface Flow {
  sender: BenchSession;
  receiver: BenchSession;
  /** Messages this flow sends. */
  quota: number;
}

export interface TrafficRun {
  /** performance.now() of the first message sent and of the last delivery seen. */
  firstSent: number;
  lastArrival: number;
  /** Messages sent. */
  sent: number;
  /** Error stanzas that came back instead of deliveries. */
  errors: number;
}

/** A one-to-one chat message of everyday size; `key` is "<prefix><flow>.<n>". */
export function chatMessage(to: string, key: string): string {
  return `<message to='${to}' type='chat' id='${key}'><body>${key} Are we still meeting at the station at six?</body></message>`;
}

/** The key of a received benchmark message, or undefined for anything else. */
export function messageKey(xml: string, prefix: string): string | undefined {
  const body = childText(xml, 'body');
  if (body === undefined || !body.startsWith(prefix)) return undefined;
  const space = body.indexOf(' ');
  return space === -1 ? body : body.slice(0, space);
}

function flowOf(key: string, prefix: string): number {
  return Number(key.slice(prefix.length, key.indexOf('.', prefix.length)));
}

/**
 * Installs the receivers' listeners: a message whose key has `prefix` is a delivery (unless it is
 * an error bounced back), then `after` runs with its flow.
 */
function listen(flows: readonly Flow[], prefix: string, ledger: DeliveryLedger, run: TrafficRun, after: (flow: number, key: string, xml: string) => void): void {
  for (const receiver of new Set(flows.map((f) => f.receiver))) {
    const previous = receiver.onStanza;
    receiver.onStanza = (xml, name) => {
      if (name !== 'message') return previous?.(xml, name);
      const key = messageKey(xml, prefix);
      if (key === undefined) return previous?.(xml, name);
      if (attribute(xml, 'type') === 'error') {
        run.errors++;
        return;
      }
      const now = performance.now();
      if (ledger.arrive(key, now) === 'delivered') run.lastArrival = now;
      after(flowOf(key, prefix), key, xml);
    };
  }
  for (const sender of new Set(flows.map((f) => f.sender))) {
    if (flows.some((f) => f.receiver === sender)) continue;
    const previous = sender.onStanza;
    sender.onStanza = (xml, name) => {
      if (name === 'message' && attribute(xml, 'type') === 'error' && messageKey(xml, prefix) !== undefined) run.errors++;
      else previous?.(xml, name);
    };
  }
}

/**
 * Each flow keeps `window` messages in flight: a delivery lets its flow send the next. Resolves
 * when every message arrived, or when nothing arrived for `stallMs` (the rest is lost).
 */
export async function closedLoop(
  flows: readonly Flow[],
  options: { window: number; prefix: string; ledger: DeliveryLedger; stallMs: number; onDelivery?: (key: string, xml: string) => void },
): Promise<TrafficRun> {
  const { prefix, ledger } = options;
  const sentPerFlow = flows.map(() => 0);
  const run: TrafficRun = { firstSent: performance.now(), lastArrival: Number.NaN, sent: 0, errors: 0 };
  const sendNext = (index: number) => {
    const flow = flows[index]!;
    if (sentPerFlow[index]! >= flow.quota || !flow.sender.open) return;
    const key = `${prefix}${index}.${sentPerFlow[index]!++}`;
    ledger.expect(key, performance.now());
    run.sent++;
    flow.sender.send(chatMessage(flow.receiver.bareJid, key));
  };
  listen(flows, prefix, ledger, run, (flow, key, xml) => {
    options.onDelivery?.(key, xml);
    sendNext(flow);
  });
  const total = flows.reduce((sum, f) => sum + f.quota, 0);
  for (let index = 0; index < flows.length; index++) for (let i = 0; i < options.window; i++) sendNext(index);
  await settle(() => ledger.delivered >= total, () => ledger.delivered + run.errors, options.stallMs);
  return run;
}

/**
 * `rate` messages a second in total, spread evenly over the flows, for `seconds`; then waits for
 * the last deliveries as closedLoop does. Latency at a fixed load compares servers fairly even
 * when one of them is much faster at saturation.
 */
export async function fixedRate(
  flows: readonly Flow[],
  options: { rate: number; seconds: number; prefix: string; ledger: DeliveryLedger; stallMs: number },
): Promise<TrafficRun> {
  const { prefix, ledger } = options;
  const run: TrafficRun = { firstSent: performance.now(), lastArrival: Number.NaN, sent: 0, errors: 0 };
  listen(flows, prefix, ledger, run, () => {});
  const total = Math.round(options.rate * options.seconds);
  const sentPerFlow = flows.map(() => 0);
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - run.firstSent) / 1000) * options.rate));
      while (run.sent < due) {
        const index = run.sent % flows.length;
        const flow = flows[index]!;
        const key = `${prefix}${index}.${sentPerFlow[index]!++}`;
        ledger.expect(key, performance.now());
        run.sent++;
        flow.sender.send(chatMessage(flow.receiver.bareJid, key));
      }
      if (run.sent >= total) {
        clearInterval(tick);
        resolve();
      }
    }, 5);
  });
  await settle(() => ledger.delivered >= total, () => ledger.delivered + run.errors, options.stallMs);
  return run;
}
