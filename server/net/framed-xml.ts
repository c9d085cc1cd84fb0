// XML for the transports that carry a stream as separate messages rather than one long document:
// WebSocket (RFC 7395 §3.3.2: every message is a standalone XML document holding one element) and
// BOSH (XEP-0124 §6: every HTTP body is one <body/> element wrapping whole stanzas).
//
// Incoming messages go through the same strict XmlStreamParser as TCP, so the same well-formedness,
// restricted-XML (RFC 6120 §11) and size limits apply; outgoing elements carry every namespace
// declaration they need, since no stream header declares them for the peer.
import type { Element } from 'ltx';
import { StreamError } from '../util/errors.js';
import { NS } from '../util/namespaces.js';
import { serialize } from '../util/xml.js';
import { XmlStreamParser, type XmlStreamLimits } from './xml-stream.js';

/**
 * What the parser reads before each message: a stream header that makes jabber:client the default
 * namespace and binds the stream: prefix, the context a stanza has on a TCP stream. An element the
 * peer left unqualified is then a jabber:client one, as other servers treat it.
 */
const contextHeader = `<stream:stream xmlns='${NS.client}' xmlns:stream='${NS.streams}'>`;
const contextFooter = '</stream:stream>';

// An XML declaration (XML 1.0 §2.8) is allowed at the start of a message, though RFC 7395 §3.3.2
// does not recommend it. Only version 1.0 in UTF-8 is accepted (RFC 6120 §11.5, §11.6); anything
// else is left for the parser to refuse.
const xmlDeclaration = /^<\?xml\s+version\s*=\s*(['"])1\.0\1(?:\s+encoding\s*=\s*(['"])utf-8\2)?\s*\?>/i;

export type ParsedMessage = { ok: true; elements: Element[] } | { ok: false; error: StreamError };

/**
 * The complete first-level elements of one message, or the stream error it deserves. A message that
 * ends inside an element is not-well-formed: nothing carries over to the next one.
 */
export function parseMessage(bytes: Buffer, limits: XmlStreamLimits): ParsedMessage {
  const elements: Element[] = [];
  let error: StreamError | undefined;
  let ended = false;
  let closing = false;
  const parser = new XmlStreamParser(limits, {
    streamStart: () => {},
    stanza: (element) => elements.push(element),
    streamEnd: () => {
      ended = true;
      if (!closing) error ??= new StreamError('not-well-formed', 'a message closed a stream it never opened');
    },
    error: (reported) => {
      error ??= reported;
    },
  });
  parser.write(contextHeader);
  parser.write(withoutXmlDeclaration(bytes));
  if (error === undefined) {
    closing = true;
    parser.write(contextFooter);
    // The footer closes the context only when the message left no element open.
    if (!ended) error ??= new StreamError('not-well-formed', 'a message ended inside an element');
  }
  if (error !== undefined) {
    // The parser words mismatched tags for a stream; the message is what was cut short.
    if (closing && error.condition === 'not-well-formed') error = new StreamError('not-well-formed', 'a message ended inside an element');
    return { ok: false, error };
  }
  return { ok: true, elements };
}

function withoutXmlDeclaration(bytes: Buffer): Buffer {
  if (bytes.length < 5 || bytes.toString('latin1', 0, 5) !== '<?xml') return bytes;
  const match = xmlDeclaration.exec(bytes.toString('latin1', 0, Math.min(bytes.length, 128)));
  return match ? bytes.subarray(match[0].length) : bytes;
}

/**
 * The element as a standalone document: an unqualified element gets xmlns='jabber:client' (a
 * stanza built by a module inherits it from the stream header on TCP), and a stream: element
 * declares its prefix (RFC 7395 §3.3.2, XEP-0206 §8). The element itself is not changed: the same
 * stanza may be on its way to other sessions.
 */
export function standaloneXml(element: Element): string {
  const name = element.name;
  const attrs = element.attrs as Record<string, unknown>;
  let extra: Record<string, string> | undefined;
  if (name.startsWith('stream:')) {
    if (attrs['xmlns:stream'] === undefined) extra = { 'xmlns:stream': NS.streams };
  } else if (!name.includes(':') && attrs.xmlns === undefined) {
    extra = { xmlns: NS.client };
  }
  if (!extra) return serialize(element);
  // serialize() reads only name, attrs and children, so a shallow stand-in is enough.
  const standIn = { name, attrs: { ...extra, ...attrs }, children: element.children } as unknown as Element;
  return serialize(standIn);
}
