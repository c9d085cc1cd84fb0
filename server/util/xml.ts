// Writing XML for the stream: stanzas and the stream's own open and close tags.
//
// ltx's toString escapes & < > (and quotes in attributes) but writes CR, TAB and LF raw, which a
// parser normalises away (XML 1.0 §2.11, §3.3.3), and writes characters XML 1.0 cannot carry at
// all, which would make the peer's parser end the stream. This serializer keeps what it sends both
// well-formed and faithful.
import type { Element } from 'ltx';
import { NS } from './namespaces.js';

// Characters outside XML 1.0's Char production (§2.2) cannot be sent even as references; they
// become U+FFFD. Lone surrogates are left to the UTF-8 encoder, which does the same.
const TEXT_SPECIAL = /[&<>\r\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;
const ATTRIBUTE_SPECIAL = /[&<>"'\t\n\r\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

const REPLACEMENTS: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  // Character references survive end-of-line and attribute-value normalisation.
  '\t': '&#x9;',
  '\n': '&#xA;',
  '\r': '&#xD;',
};

function replace(char: string): string {
  return REPLACEMENTS[char] ?? '\uFFFD';
}

export function escapeText(text: string): string {
  return text.replace(TEXT_SPECIAL, replace);
}

export function escapeAttribute(value: string): string {
  return value.replace(ATTRIBUTE_SPECIAL, replace);
}

/** The element as XML, ready for the stream. Attributes whose value is undefined or null are left out. */
export function serialize(element: Element): string {
  let out = `<${element.name}`;
  const attrs = element.attrs as Record<string, unknown>;
  for (const name in attrs) {
    const value = attrs[name];
    if (value === undefined || value === null) continue;
    out += ` ${name}="${escapeAttribute(String(value))}"`;
  }
  const children = element.children;
  if (children.length === 0) return `${out}/>`;
  out += '>';
  for (const child of children) {
    if (child === undefined || child === null) continue;
    out += typeof child === 'object' ? serialize(child) : escapeText(String(child));
  }
  return `${out}</${element.name}>`;
}

/**
 * Our half of the stream's opening (RFC 6120 §4.7): the XML declaration (§11.5) and the
 * <stream:stream> tag with the content namespace and the attributes given (from, to, id, version,
 * xml:lang ...). xmlns and xmlns:stream in attrs are ignored; the namespaces are fixed here.
 */
export function streamHeader(attrs: Record<string, string | undefined>, defaultNamespace: string = NS.client): string {
  let out = `<?xml version='1.0'?><stream:stream xmlns='${escapeAttribute(defaultNamespace)}' xmlns:stream='${NS.streams}'`;
  for (const name in attrs) {
    const value = attrs[name];
    if (value === undefined || name === 'xmlns' || name === 'xmlns:stream') continue;
    out += ` ${name}='${escapeAttribute(value)}'`;
  }
  return `${out}>`;
}

/** Closes our stream (RFC 6120 §4.4). */
export const streamFooter = '</stream:stream>';
