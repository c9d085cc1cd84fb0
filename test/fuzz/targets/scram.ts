// Fuzz target: the SCRAM server (server/util/scram.ts) reading client-first and client-final
// messages (RFC 5802 §7). The input is split at its first NUL into the two messages. Invariants:
// - nothing throws: a malformed message is an answer (a SASL failure), never an exception;
// - failures carry one of the RFC 6120 §6.5 conditions the code promises;
// - parseScramAttributes either refuses a message or gives back exactly what was written;
// - without the password nobody succeeds: the fuzzer cannot compute a proof, so a success is a bug;
// - the exchange is a state machine: nothing after a failure, no second start.
import { randomBytes } from 'node:crypto';
import { deriveScramCredentials, parseScramAttributes, ScramServerExchange, type ScramHash, type ScramStep } from '../../../server/util/scram.js';
import type { FuzzTarget } from '../engine.js';

class InvariantError extends Error {
  override name = 'InvariantError';
}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new InvariantError(message);
}

const conditions = new Set(['malformed-request', 'not-authorized', 'invalid-authzid', 'encryption-required', 'mechanism-too-weak', 'temporary-auth-failure']);
// A password the fuzzer never sees: nothing in the input can be a valid proof for it.
const password = randomBytes(24).toString('base64');
const salt = Buffer.from('fuzz-salt-16byte');
const credentials: Record<ScramHash, ReturnType<typeof deriveScramCredentials>> = {
  sha1: deriveScramCredentials('sha1', password, salt, 4096),
  sha256: deriveScramCredentials('sha256', password, salt, 4096),
};
const unknownUserSecret = Buffer.alloc(32, 7);

function checkStep(step: ScramStep, where: string): void {
  check(typeof step === 'object' && step !== null && typeof step.ok === 'boolean', `${where} returned ${JSON.stringify(step)}`);
  if (!step.ok) check(conditions.has(step.condition), `${where} failed with an unknown condition ${step.condition}`);
  else check(typeof step.message === 'string', `${where} succeeded without a message`);
}

function checkAttributes(message: string): void {
  const attributes = parseScramAttributes(message);
  if (attributes === undefined) return;
  const rebuilt = [...attributes].map(([key, value]) => `${key}=${value}`).join(',');
  check(rebuilt === message, `parseScramAttributes changed the message: ${JSON.stringify(message)} -> ${JSON.stringify(rebuilt)}`);
  for (const [key, value] of attributes) {
    check(/^[A-Za-z]$/.test(key) && value.length > 0 && !value.includes('\0'), `a bad attribute ${JSON.stringify(key)}=${JSON.stringify(value)}`);
  }
}

export const scramTarget: FuzzTarget = {
  name: 'scram',
  coverage: /\/server\/util\/scram\.ts|\/node_modules\/@mongodb-js\/saslprep\//,
  maxLength: 1024,
  dictionary: ['n,,', 'y,,', 'p=tls-exporter,,', 'p=tls-unique,', 'n=', 'r=', 'a=', 'c=', 'p=', 's=', 'i=', 'm=', 'biws', '=2C', '=3D', '=', ',', '\0', 'user', 'fyko+d2lbbFgONRv9qkxdawL', '\u00AD', '\u2163', '\u0627', '\u0041', '==', 'AAAA'],
  run(input) {
    const text = input.toString('utf8');
    const nul = text.indexOf('\0');
    const first = nul === -1 ? text : text.slice(0, nul);
    const final = nul === -1 ? '' : text.slice(nul + 1);
    checkAttributes(first);
    checkAttributes(final);
    // The input's length picks the mechanism, so one corpus explores all four of them and the
    // offers around them (the 'y' flag's downgrade check).
    const variant = input.length & 7;
    const hash: ScramHash = variant & 1 ? 'sha256' : 'sha1';
    const plus = (variant & 2) !== 0;
    const exchange = new ScramServerExchange(
      {
        hash,
        plus,
        serverOffersPlus: (variant & 4) !== 0,
        channelBinding: (type) => (type === 'tls-exporter' ? Buffer.alloc(32, 1) : undefined),
        lookup: (username) => (username === 'user' ? credentials[hash] : undefined),
        unknownUserSecret,
        defaultIterations: 4096,
      },
      () => 'servernonce',
    );
    const started = exchange.start(first);
    checkStep(started, 'start()');
    if (!started.ok) {
      check(!exchange.succeeded, 'succeeded after a failed start');
      const after = exchange.finish(final);
      check(!after.ok, 'finish() after a failed start succeeded');
      return;
    }
    check(/^r=[^,]+,s=[A-Za-z0-9+/=]+,i=\d+$/.test(started.message), `a malformed server-first-message ${JSON.stringify(started.message)}`);
    check(typeof exchange.username === 'string' && exchange.username.length > 0, 'no username after a successful start');
    const finished = exchange.finish(final);
    checkStep(finished, 'finish()');
    check(!finished.ok && !exchange.succeeded, `authenticated without the password: ${JSON.stringify([first, final])}`);
    check(!exchange.start(first).ok && !exchange.finish(final).ok, 'the exchange went on after it was over');
  },
};
