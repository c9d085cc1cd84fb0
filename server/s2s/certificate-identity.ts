// Does a certificate name this server? RFC 6120 §13.7.1.2 and RFC 7590 §3.2 (after RFC 6125 §6):
// a server certificate may name the domain as a DNS-ID (dNSName, wildcards in the left-most label
// only), an SRV-ID "_xmpp-server.<domain>" (RFC 4985) or an XmppAddr (id-on-xmppAddr otherName,
// RFC 6120 §13.7.1.4). The common name counts only when there are no subjectAltNames at all.
import type { X509Certificate } from 'node:crypto';
import { domainToASCII } from 'node:url';
import { prepareDomainpart } from '../util/jid.js';

export interface SubjectAltName {
  /** "DNS", "IP Address", "email", "URI", or "othername:XmppAddr", "othername:SRVName" ... */
  type: string;
  value: string;
}

/**
 * The subjectAltName entries, from Node's text form of the extension ("DNS:a.example,
 * othername:XmppAddr:a.example"). Node quotes (as JSON strings) any value holding a comma or a
 * quote, so splitting outside quotes cannot be fooled by a name that contains ", DNS:...".
 */
export function subjectAltNames(certificate: X509Certificate): SubjectAltName[] {
  const text = certificate.subjectAltName;
  if (!text) return [];
  const names: SubjectAltName[] = [];
  for (const entry of splitOutsideQuotes(text)) {
    const colon = entry.indexOf(':');
    if (colon < 0) continue;
    let type = entry.slice(0, colon);
    let value = unquote(entry.slice(colon + 1));
    if (value === undefined) continue;
    if (type === 'othername') {
      // othername:<name of the OID>:<value>; unknown OIDs read "othername:<unsupported>".
      const inner = value.indexOf(':');
      if (inner < 0) continue;
      type = `othername:${value.slice(0, inner)}`;
      value = value.slice(inner + 1);
    }
    names.push({ type, value });
  }
  return names;
}

/** Whether `certificate` is valid for the XMPP server `domain` (prepared, as in a JID). */
export function certificateNamesServer(certificate: X509Certificate, domain: string): boolean {
  const ascii = domainToASCII(domain);
  if (ascii === '') return false;
  const names = subjectAltNames(certificate);
  // RFC 6125 §6.4.4: the CN-ID only when the certificate has no subjectAltName identifiers.
  const subject = names.length === 0 ? 'always' : 'never';
  if (certificate.checkHost(ascii, { subject, wildcards: true, partialWildcards: false, multiLabelWildcards: false }) !== undefined) return true;
  const srvId = `_xmpp-server.${ascii}`;
  for (const { type, value } of names) {
    // RFC 4985 §2: the SRV-ID's name is compared as a DNS name, case-insensitively, no wildcards.
    if (type === 'othername:SRVName' && value.toLowerCase() === srvId) return true;
    // RFC 6120 §13.7.1.4: an XmppAddr is a JID; a server's is its bare domain, compared prepared.
    if (type === 'othername:XmppAddr' && prepareDomainpart(value) === domain) return true;
  }
  return false;
}

/** The names a certificate is for, to tell an admin why it does not fit ("a.example, b.example"). */
export function certificateServerNames(certificate: X509Certificate): string[] {
  const names = subjectAltNames(certificate)
    .filter(({ type }) => type === 'DNS' || type === 'othername:XmppAddr' || type === 'othername:SRVName')
    .map(({ type, value }) => (type === 'othername:SRVName' ? value.replace(/^_xmpp-server\./i, '') : value));
  if (names.length > 0) return [...new Set(names)];
  const commonName = /(?:^|\n)CN=([^\n]*)/.exec(certificate.subject)?.[1];
  return commonName ? [commonName] : [];
}

function splitOutsideQuotes(text: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quoted) {
      current += char;
      if (char === '\\' && i + 1 < text.length) current += text[++i];
      else if (char === '"') quoted = false;
    } else if (char === '"') {
      quoted = true;
      current += char;
    } else if (char === ',' && text[i + 1] === ' ') {
      parts.push(current);
      current = '';
      i++;
    } else {
      current += char;
    }
  }
  if (current !== '') parts.push(current);
  return parts;
}

/** A value as Node wrote it: plain, or a JSON string when it needed quoting; undefined if malformed. */
function unquote(value: string): string | undefined {
  if (!value.startsWith('"')) return value;
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === 'string' ? parsed : undefined;
  } catch {
    return undefined;
  }
}
