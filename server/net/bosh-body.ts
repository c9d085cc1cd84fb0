// The <body/> wrapper of BOSH (XEP-0124 §6): every HTTP request and response carries exactly one,
// whose attributes drive the session and whose children are the XMPP payloads (XEP-0206 §4).
import { Element } from 'ltx';
import { NS } from '../util/namespaces.js';
import { escapeAttribute } from '../util/xml.js';
import { parseMessage } from './framed-xml.js';
import type { XmlStreamLimits } from './xml-stream.js';

export const httpbindNs = 'http://jabber.org/protocol/httpbind';
/** XEP-0206 §3: the xmpp: attributes (version, restart, restartlogic). */
export const xboshNs = 'urn:xmpp:xbosh';

/** XEP-0124 §17.2 terminal binding conditions (those this server sends). */
export type BoshCondition =
  | 'bad-request'
  | 'host-unknown'
  | 'improper-addressing'
  | 'item-not-found'
  | 'policy-violation'
  | 'remote-stream-error'
  | 'system-shutdown';

export interface BoshBody {
  /** The wrapper's attributes as written (rid, sid, wait, xmpp:version ...), namespace declarations included. */
  attrs: Record<string, string>;
  /** The payloads, each detached and qualified by its own namespace. */
  payloads: Element[];
}

export type ParsedBody = { ok: true; body: BoshBody } | { ok: false; condition: BoshCondition; text: string };

/**
 * Parses one request body with the stream's strict parser. `limits` apply to the whole <body/>,
 * which is one level deeper than the stanzas it carries.
 */
export function parseBody(bytes: Buffer, limits: XmlStreamLimits): ParsedBody {
  if (bytes.length === 0) return { ok: false, condition: 'bad-request', text: 'the request has no <body/>' };
  const parsed = parseMessage(bytes, limits);
  if (!parsed.ok) {
    // Limits broken are the client breaking the session's rules (§17.2 policy-violation); anything
    // else is a syntax error (bad-request).
    const condition = parsed.error.condition === 'policy-violation' ? 'policy-violation' : 'bad-request';
    return { ok: false, condition, text: parsed.error.text ?? parsed.error.condition };
  }
  const [body, extra] = parsed.elements;
  if (!body || extra || body.name !== 'body' || body.attrs.xmlns !== httpbindNs) {
    return { ok: false, condition: 'bad-request', text: `a request is one <body xmlns='${httpbindNs}'/>` };
  }
  const payloads: Element[] = [];
  for (const child of body.children) {
    if (typeof child === 'string') {
      if (child.trim() !== '') return { ok: false, condition: 'bad-request', text: '<body/> holds elements only' };
      continue;
    }
    payloads.push(detachPayload(child, body));
  }
  return { ok: true, body: { attrs: body.attrs as Record<string, string>, payloads } };
}

/**
 * A payload as a standalone element. XEP-0206 §4 wants stanzas qualified by jabber:client; one
 * left unqualified (so in the httpbind namespace it inherited) is taken as jabber:client, as
 * other servers do. Prefixes the wrapper declared are copied onto the payload that may use them.
 */
function detachPayload(payload: Element, body: Element): Element {
  const ownNamespace = payload.attrs.xmlns as string | undefined;
  if (!payload.name.includes(':') && (ownNamespace === undefined || ownNamespace === httpbindNs)) payload.attrs.xmlns = NS.client;
  for (const [name, value] of Object.entries(body.attrs as Record<string, string>)) {
    if (name.startsWith('xmlns:') && payload.attrs[name] === undefined) payload.attrs[name] = value;
  }
  payload.parent = null as unknown as Element;
  return payload;
}

/** A response <body/> with these attributes around payloads already serialized as standalone XML. */
export function responseBody(attributes: Record<string, string | undefined>, payloads: readonly string[] = []): string {
  let out = `<body xmlns='${httpbindNs}'`;
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined) out += ` ${name}='${escapeAttribute(value)}'`;
  }
  if (payloads.length === 0) return `${out}/>`;
  return `${out}>${payloads.join('')}</body>`;
}

/** A terminal binding error (XEP-0124 §17.2). */
export function terminateBody(condition?: BoshCondition, payloads: readonly string[] = []): string {
  const attributes: Record<string, string | undefined> = { type: 'terminate', condition };
  // XEP-0206 §6: a stream error travels inside the terminating body, which declares its prefix.
  if (condition === 'remote-stream-error') attributes['xmlns:stream'] = NS.streams;
  return responseBody(attributes, payloads);
}
