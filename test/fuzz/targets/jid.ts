// Fuzz target: JID parsing and preparation (server/util/jid.ts, RFC 7622). Invariants:
// - parseJid never throws: a bad address is undefined;
// - preparation is idempotent (RFC 7622 §3.1, RFC 8264 §7): parsing the string form of a parsed
//   JID gives the same JID, and each prepared part prepares to itself; otherwise two spellings of
//   one address could be two accounts, or an address could change each time it is stored;
// - every part is within RFC 7622's 1023 bytes.
import { parseJid, prepareDomainpart, prepareLocalpart, prepareResourcepart } from '../../../server/util/jid.js';
import type { FuzzTarget } from '../engine.js';

class InvariantError extends Error {
  override name = 'InvariantError';
}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new InvariantError(message);
}

const show = (value: unknown) => JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' ? [...v].map((c) => (c.codePointAt(0)! > 0x7e ? `\\u{${c.codePointAt(0)!.toString(16)}}` : c)).join('') : v));

export const jidTarget: FuzzTarget = {
  name: 'jid',
  coverage: /\/server\/util\/jid\.ts/,
  maxLength: 2048,
  dictionary: ['@', '/', '.', 'xn--', 'localhost', 'example.org', '[::1]', '[2001:db8::1]', '127.0.0.1', '%41', '_', '-', '\u3002', '\uFF0E', '\uFF21', '\u0130', '\u00DF', '\u03A3', '\u200D', '\u00A0', '\u3000', '\u0301', '\u212B', '\uFB01', '\u{1D400}', '\u0663', 'xn--nxasmq6b', 'xn--ls8h', '\u00C5', 'A\u030A'],
  run(input) {
    const text = input.toString('utf8');
    const jid = parseJid(text);
    if (jid === undefined) return;
    for (const [part, value] of [['local', jid.local], ['domain', jid.domain], ['resource', jid.resource]] as const) {
      if (value !== undefined) check(Buffer.byteLength(value) <= 1023, `the ${part}part of ${show(text)} is longer than 1023 bytes`);
    }
    check(prepareDomainpart(jid.domain) === jid.domain, `the domainpart ${show(jid.domain)} prepares to ${show(prepareDomainpart(jid.domain))}`);
    if (jid.local !== undefined) check(prepareLocalpart(jid.local) === jid.local, `the localpart ${show(jid.local)} prepares to ${show(prepareLocalpart(jid.local))}`);
    if (jid.resource !== undefined) {
      check(prepareResourcepart(jid.resource) === jid.resource, `the resourcepart ${show(jid.resource)} prepares to ${show(prepareResourcepart(jid.resource))}`);
    }
    const again = parseJid(jid.toString());
    check(again !== undefined && again.equals(jid), `${show(text)} parses to ${show(jid.toString())}, which parses to ${show(again?.toString())}`);
    check(parseJid(jid.toBareString())?.equals(jid.bare) === true, `the bare form of ${show(text)} does not parse back`);
  },
};
