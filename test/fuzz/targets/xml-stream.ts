// Fuzz target: the XMPP stream parser (server/net/xml-stream.ts), fed bytes the way a socket
// delivers them. Invariants:
// - it only ever reports a stream header, elements, the stream end, or one StreamError, and
//   nothing after the error or the end; write() itself never throws;
// - what it hands over respects the limits (depth, attributes, bytes);
// - the result does not depend on how the bytes were cut into reads;
// - every element it hands over serializes (server/util/xml.ts) to XML that parses back to the
//   same element: what the server forwards cannot smuggle markup into someone else's stream.
import { createHash } from 'node:crypto';
import type { Element } from 'ltx';
import { XmlStreamParser, type XmlStreamLimits } from '../../../server/net/xml-stream.js';
import { StreamError } from '../../../server/util/errors.js';
import { NS } from '../../../server/util/namespaces.js';
import { serialize } from '../../../server/util/xml.js';
import type { FuzzTarget } from '../engine.js';

// Small limits, so that inputs of a few hundred bytes reach them.
const limits: XmlStreamLimits = { maxStanzaBytes: 1024, maxDepth: 6, maxAttributes: 6 };
const roomyLimits: XmlStreamLimits = { maxStanzaBytes: 1 << 20, maxDepth: 64, maxAttributes: 64 };

const header = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>";

class InvariantError extends Error {
  override name = 'InvariantError';
}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new InvariantError(message);
}

/** Depth, attributes (as written: the parser adds xmlns declarations to detached stanzas) and content bytes. */
function checkLimits(stanza: Element): void {
  let contentBytes = 0;
  const walk = (element: Element, depth: number) => {
    check(depth <= limits.maxDepth, `an element at depth ${depth} got through (limit ${limits.maxDepth})`);
    const written = Object.keys(element.attrs).filter((name) => name !== 'xmlns' && !name.startsWith('xmlns:'));
    check(written.length <= limits.maxAttributes, `an element with ${written.length} attributes got through`);
    contentBytes += Buffer.byteLength(element.name);
    for (const name of written) contentBytes += Buffer.byteLength(name) + Buffer.byteLength(String(element.attrs[name]));
    for (const child of element.children) {
      if (typeof child === 'string') contentBytes += Buffer.byteLength(child);
      else walk(child as Element, depth + 1);
    }
  };
  walk(stanza, 1);
  // Decoded content is never longer than its markup, so it bounds what the limit let through.
  check(contentBytes <= limits.maxStanzaBytes, `a stanza with ${contentBytes} bytes of content got through (limit ${limits.maxStanzaBytes})`);
}

/** Parses `input` cut at `cuts`, and returns what the parser reported, in order. */
function parse(input: Buffer, cuts: number[], parserLimits = limits, inspect = true): string[] {
  const events: string[] = [];
  let finished = false;
  const parser: XmlStreamParser = new XmlStreamParser(parserLimits, {
    streamStart(streamHeader) {
      check(!finished, 'a stream header after the stream ended or failed');
      events.push(`header ${streamHeader.defaultNamespace} ${JSON.stringify(streamHeader.attributes)}`);
    },
    stanza(element) {
      check(!finished, 'an element after the stream ended or failed');
      check(typeof element.name === 'string' && element.parent == null, 'a first-level element that is not detached');
      if (inspect) checkLimits(element);
      events.push(`element ${serialize(element)}`);
      // The session restarts the stream after STARTTLS (RFC 6120 §5.4.3.3): the rest of the read is dropped.
      if (element.name === 'starttls' && element.attrs.xmlns === NS.tls) {
        events.push('reset');
        parser.reset();
      }
    },
    streamEnd() {
      check(!finished, 'a second stream end, or one after an error');
      finished = true;
      events.push('end');
    },
    error(error) {
      check(error instanceof StreamError, `an error that is not a StreamError: ${String(error)}`);
      check(!finished, 'a second error, or one after the stream end');
      finished = true;
      events.push(`error ${error.condition}`);
    },
  });
  let start = 0;
  for (const cut of [...cuts, input.length]) {
    if (cut <= start) continue;
    parser.write(input.subarray(start, cut));
    start = cut;
  }
  parser.end();
  return events;
}

/** Cut points derived from the input itself, so a saved input replays the same reads. */
function cutsFor(input: Buffer): number[] {
  const digest = createHash('sha256').update(input).digest();
  const cuts: number[] = [];
  let position = 0;
  for (let i = 0; position < input.length; i = (i + 1) % digest.length) {
    // Mostly short reads (1-8 bytes) with an occasional long one, like a slow socket.
    const byte = digest[i]!;
    position += byte < 200 ? (byte % 8) + 1 : byte;
    cuts.push(position);
  }
  return cuts;
}

/** Events up to the first stream restart: after it, what is left of a read is dropped by design. */
function untilReset(events: string[]): string[] {
  const reset = events.indexOf('reset');
  return reset === -1 ? events : events.slice(0, reset + 1);
}

/**
 * The byte limits are checked once per read, over everything saxes holds (RFC 6120 §13.12 asks
 * for limits, not for where they bite): a read with a long run of unfinished input fails with
 * policy-violation where smaller reads may get further, or fail on the markup first. Then
 * `short` ends in that policy-violation, and what it delivered before is the start of `long`.
 */
function limitCutShort(short: string[], long: string[]): boolean {
  if (short.at(-1) !== 'error policy-violation' && !(long.at(-1) === 'error policy-violation' && short.at(-1)?.startsWith('error '))) return false;
  const before = short.slice(0, -1);
  return before.length <= long.length && before.every((event, i) => event === long[i]);
}

export const xmlStreamTarget: FuzzTarget = {
  name: 'xml-stream',
  coverage: /\/server\/net\/xml-stream\.ts|\/node_modules\/saxes\//,
  maxLength: 4096,
  dictionary: [
    header,
    "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback'>",
    '</stream:stream>',
    "<?xml version='1.0' encoding='UTF-8'?>",
    "<?xml version='1.1'?>",
    '<?pi data?>',
    '<!DOCTYPE stream [<!ENTITY x "y">]>',
    '<!ENTITY a "&b;&b;">',
    '<!-- c -->',
    '<![CDATA[',
    ']]>',
    '&amp;',
    '&lt;',
    '&x;',
    '&#x10FFFF;',
    '&#0;',
    '&#65;',
    '<message>',
    '</message>',
    "<message to='a@b' type='chat'><body>hi</body></message>",
    "<iq type='get' id='1'><ping xmlns='urn:xmpp:ping'/></iq>",
    "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
    "<db:result from='a' to='b'>key</db:result>",
    "<x:y xmlns:x='urn:x'/>",
    " xmlns='urn:a'",
    " xmlns:p='urn:p'",
    " p:a='1'",
    " xml:lang='en'",
    " a='1'",
    ' b="2"',
    '<a>',
    '</a>',
    '<a/>',
    '/>',
    '>',
    '<',
    '\r\n',
    ' \t',
    '\u00e9',
    '\u{1F600}',
    '\uFEFF',
  ],
  run(input) {
    const whole = parse(input, []);
    const chunked = parse(input, cutsFor(input));
    const a = untilReset(whole);
    const b = untilReset(chunked);
    if (a.at(-1) === 'error unsupported-encoding') {
      // A read with a byte that is not UTF-8 fails as a whole, before any of it is parsed; read
      // in pieces, the pieces before the bad byte are parsed first. Either way the stream fails.
      check(a.length === 1, `elements were delivered from a read that is not UTF-8: ${JSON.stringify(a)}`);
      // (Unless the stream ended or restarted first: then the rest of its read is not looked at.)
      check(b.at(-1)?.startsWith('error ') === true || b.at(-1) === 'end' || b.at(-1) === 'reset', `a stream with bytes that are not UTF-8 did not fail: ${JSON.stringify(b)}`);
      return;
    }
    check(
      JSON.stringify(a) === JSON.stringify(b) || limitCutShort(a, b) || limitCutShort(b, a),
      `the result depends on how the input was cut into reads:\nwhole:   ${JSON.stringify(a)}\nchunked: ${JSON.stringify(b)}`,
    );
    for (const event of a) {
      if (!event.startsWith('element ')) continue;
      const xml = event.slice('element '.length);
      const again = parse(Buffer.from(header + xml), [], roomyLimits, false);
      check(
        again.length >= 2 && again[1] === event,
        `an element does not survive serialize and parse:\nfirst:  ${event}\nsecond: ${JSON.stringify(again)}`,
      );
    }
  },
};
