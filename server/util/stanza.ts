// Stanza builders. Stanzas are ltx Elements, never strings glued together (DESIGN.md).
import { Element } from 'ltx';
import { StanzaError } from './errors.js';

export type StanzaName = 'message' | 'presence' | 'iq';

export function isStanzaName(name: string): name is StanzaName {
  return name === 'message' || name === 'presence' || name === 'iq';
}

/** An iq result for `request`, addressed back to its sender, with an optional payload. */
export function iqResult(request: Element, payload?: Element): Element {
  const result = new Element('iq', replyAddressing(request, { type: 'result', id: request.attrs.id }));
  if (payload) result.cnode(payload);
  return result;
}

/**
 * The error answer to `stanza` (RFC 6120 §8.3.1): same name and id, addresses swapped,
 * type="error". The original payload is not echoed back: it may be large and the sender has it.
 * Callers must not answer an error with an error (see canBounce).
 */
export function errorReply(stanza: Element, error: StanzaError, by?: string): Element {
  const reply = new Element(stanza.name, replyAddressing(stanza, { type: 'error', id: stanza.attrs.id }));
  reply.cnode(error.toElement(by));
  return reply;
}

/** RFC 6120 §8.3.1: never answer an error with an error, nor an iq result. */
export function canBounce(stanza: Element): boolean {
  const type = stanza.attrs.type;
  if (type === 'error') return false;
  if (stanza.name === 'iq' && type === 'result') return false;
  return true;
}

function replyAddressing(stanza: Element, extra: Record<string, string | undefined>): Record<string, string> {
  const attrs: Record<string, string> = {};
  if (stanza.attrs.xmlns) attrs.xmlns = stanza.attrs.xmlns;
  if (stanza.attrs.to) attrs.from = stanza.attrs.to;
  if (stanza.attrs.from) attrs.to = stanza.attrs.from;
  for (const [key, value] of Object.entries(extra)) if (value !== undefined) attrs[key] = value;
  return attrs;
}

/** The single payload child of an iq get/set (RFC 6120 §8.2.3 requires exactly one). */
export function iqPayload(iq: Element): Element | undefined {
  const children = iq.children.filter((c): c is Element => typeof c !== 'string');
  return children.length === 1 ? children[0] : undefined;
}

export function elementChildren(element: Element): Element[] {
  return element.children.filter((c): c is Element => typeof c !== 'string');
}
