// JIDs per RFC 7622: localpart@domainpart/resourcepart, each part prepared before use so that
// two spellings of the same address compare equal (RFC 7622 §3.1: comparison happens on
// prepared parts only).
import { isIPv4, isIPv6 } from 'node:net';
import { domainToASCII, domainToUnicode } from 'node:url';

/** RFC 7622 §3.2–3.4: every part is at most 1023 octets of UTF-8. */
const MAX_PART_BYTES = 1023;
/** RFC 1035 §2.3.4 (via RFC 5890): a DNS label is at most 63 octets in its ASCII form. */
const MAX_LABEL_BYTES = 63;

/** An address whose parts are already prepared; build it with parseJid unless that is known. */
export class Jid {
  constructor(
    readonly local: string | undefined,
    readonly domain: string,
    readonly resource: string | undefined,
  ) {}

  get bare(): Jid {
    return this.resource === undefined ? this : new Jid(this.local, this.domain, undefined);
  }

  get isBare(): boolean {
    return this.resource === undefined;
  }

  toString(): string {
    return this.resource === undefined ? this.toBareString() : `${this.toBareString()}/${this.resource}`;
  }

  toBareString(): string {
    return this.local === undefined ? this.domain : `${this.local}@${this.domain}`;
  }

  equals(other: Jid): boolean {
    return this.local === other.local && this.domain === other.domain && this.resource === other.resource;
  }

  /** `resource` must already be prepared (see prepareResourcepart). */
  withResource(resource: string): Jid {
    return new Jid(this.local, this.domain, resource);
  }
}

/**
 * Splits per RFC 7622 §3.1: the resourcepart is everything after the first '/', so it may itself
 * contain '@' and '/'; the localpart is what precedes the first '@' before that '/'.
 * Returns undefined when any part is empty where a separator promised one, or fails preparation.
 */
export function parseJid(text: string): Jid | undefined {
  const slash = text.indexOf('/');
  const bare = slash === -1 ? text : text.slice(0, slash);
  const at = bare.indexOf('@');

  const domain = prepareDomainpart(at === -1 ? bare : bare.slice(at + 1));
  if (domain === undefined) return undefined;

  let local: string | undefined;
  if (at !== -1) {
    local = prepareLocalpart(bare.slice(0, at));
    if (local === undefined) return undefined;
  }

  let resource: string | undefined;
  if (slash !== -1) {
    resource = prepareResourcepart(text.slice(slash + 1));
    if (resource === undefined) return undefined;
  }

  return new Jid(local, domain, resource);
}

// --- localpart: PRECIS UsernameCaseMapped (RFC 8265 §3.3) plus RFC 7622 §3.3.1 -----------------

/** RFC 7622 §3.3.1: characters that would make a JID ambiguous or unsafe in XML. */
const LOCALPART_EXCLUDED = new Set(['"', '&', "'", '/', ':', '<', '>', '@']);
/** RFC 8264 §9.1 LetterDigits (the RFC 5892 categories), the non-ASCII core of IdentifierClass. */
const LETTER_DIGIT = /^[\p{Ll}\p{Lu}\p{Lo}\p{Nd}\p{Lm}\p{Mn}\p{Mc}]$/u;
/** RFC 8264 §9.13 PrecisIgnorableProperties; also covers the CONTEXTJ joiners, refused here. */
const IGNORABLE = /[\p{Default_Ignorable_Code_Point}\p{Noncharacter_Code_Point}]/u;
/**
 * Characters with a <wide> or <narrow> compatibility decomposition: the Halfwidth and Fullwidth
 * Forms block and the ideographic space (RFC 8265 §3.3.2 width-mapping rule).
 */
const WIDTH_VARIANT = /[\u3000\uFF00-\uFFEF]/gu;

/**
 * An approximation of UsernameCaseMapped (RFC 8265 §3.3.2) using the Unicode data built into V8:
 * width mapping, case mapping, NFC, then the IdentifierClass rules (RFC 8264 §4.2). The bidi
 * rule and the context rules for joiners and Old Hangul Jamo are not implemented; joiners are
 * refused outright, which is the safe side.
 */
export function prepareLocalpart(s: string): string | undefined {
  // RFC 8265 §3.3.2 steps 1, 3, 4. NFKC is applied to width variants only: elsewhere it would
  // fold characters (ligatures, superscripts) that IdentifierClass must refuse instead.
  const mapped = s
    .replace(WIDTH_VARIANT, (c) => c.normalize('NFKC'))
    .toLowerCase()
    .normalize('NFC');

  if (mapped === '' || byteLength(mapped) > MAX_PART_BYTES) return undefined;
  for (const c of mapped) {
    if (!isIdentifierChar(c)) return undefined;
  }
  return mapped;
}

function isIdentifierChar(c: string): boolean {
  const cp = c.codePointAt(0)!;
  // RFC 8264 §9.11 ASCII7: printable ASCII is valid (space and controls are not).
  if (cp < 0x80) return cp >= 0x21 && cp <= 0x7e && !LOCALPART_EXCLUDED.has(c);
  if (IGNORABLE.test(c)) return false;
  // RFC 8264 §9.17 HasCompat: compatibility characters are disallowed, not folded.
  if (c.normalize('NFKC') !== c.normalize('NFC')) return false;
  // Unassigned (Cn), private use, surrogates, symbols, punctuation and spaces all fall outside
  // LetterDigits, which is what IdentifierClass allows beyond ASCII7.
  return LETTER_DIGIT.test(c);
}

// --- resourcepart: PRECIS OpaqueString (RFC 8265 §4.2) -----------------------------------------

const NON_ASCII_SPACE = /(?!\u0020)\p{Zs}/gu;
/** FreeformClass (RFC 8264 §4.3) disallows controls, unassigned code points and ignorables. */
const FREEFORM_DISALLOWED = /[\p{Cc}\p{Cs}\p{Cn}\p{Default_Ignorable_Code_Point}]/u;

/** OpaqueString (RFC 8265 §4.2.2): spaces mapped to U+0020, NFC, case preserved (RFC 7622 §3.4). */
export function prepareResourcepart(s: string): string | undefined {
  const mapped = s.replace(NON_ASCII_SPACE, ' ').normalize('NFC');
  if (mapped === '' || byteLength(mapped) > MAX_PART_BYTES) return undefined;
  if (FREEFORM_DISALLOWED.test(mapped)) return undefined;
  return mapped;
}

// --- domainpart (RFC 7622 §3.2) ------------------------------------------------------------------

/** RFC 5890 §2.3.1 LDH label, lowercase after preparation. */
const LDH_LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const NON_ASCII = /[^\x00-\x7f]/u;

/**
 * Returns the lowercase Unicode form (U-labels) of a domainpart, or undefined.
 * IDNA2008 is approximated with UTS #46 as implemented by node:url, applied one label at a time
 * so that WHATWG host parsing (percent-decoding, "0x7f" read as an IPv4 number) never applies.
 */
export function prepareDomainpart(s: string): string | undefined {
  // RFC 7622 §3.2: a trailing label separator is stripped before anything else.
  const domain = (s.endsWith('.') ? s.slice(0, -1) : s).toLowerCase().normalize('NFC');
  if (domain === '') return undefined;

  // RFC 7622 §3.2: an IP-literal (RFC 3986 §3.2.2) for IPv6, or a dotted IPv4 address.
  if (domain.startsWith('[')) return prepareIPv6Literal(domain);
  if (isIPv4(domain)) return domain;

  const asciiLabels: string[] = [];
  for (const label of domain.split('.')) {
    const ascii = labelToASCII(label);
    if (ascii === undefined) return undefined;
    asciiLabels.push(ascii);
  }
  // An all-numeric last label would be read as part of an IPv4 address (RFC 3696 §2).
  if (/^[0-9]+$/.test(asciiLabels[asciiLabels.length - 1]!)) return undefined;

  // Only A-labels are converted back: domainToUnicode on "123" would parse it as an IPv4 number.
  const unicodeLabels = asciiLabels.map((l) => (l.startsWith('xn--') ? domainToUnicode(l) : l));
  // A prepared domainpart must prepare to itself (the fuzzer found A-labels whose Unicode form
  // does not convert back to them): refuse a label that does not make the round trip.
  for (const [i, label] of unicodeLabels.entries()) {
    if (label !== label.toLowerCase().normalize('NFC') || labelToASCII(label) !== asciiLabels[i]) return undefined;
  }
  const result = unicodeLabels.join('.');
  return byteLength(result) > MAX_PART_BYTES ? undefined : result;
}

/** The A-label (or LDH label) for one label, or undefined if it is not a valid hostname label. */
function labelToASCII(label: string): string | undefined {
  // ASCII other than letters, digits and hyphens is refused even beside non-ASCII characters:
  // UTS #46 would let '_' through and node:url would percent-decode '%41'.
  if (/[^a-z0-9-]/.test(label.replace(/[^\x00-\x7f]/gu, ''))) return undefined;
  const isAscii = !NON_ASCII.test(label);
  // "xn--" labels still go through domainToASCII, which refuses invalid Punycode.
  const ascii = isAscii && !label.startsWith('xn--') ? label : domainToASCII(label);
  // An empty result means UTS #46 refused the label; the LDH test also refuses a '.' produced
  // by a full-stop variant, as RFC 7622 §3.2 only recognizes U+002E as a separator.
  if (ascii === '' || ascii.length > MAX_LABEL_BYTES || !LDH_LABEL.test(ascii)) return undefined;
  return ascii;
}

function prepareIPv6Literal(domain: string): string | undefined {
  if (!domain.endsWith(']') || !isIPv6(domain.slice(1, -1))) return undefined;
  try {
    // The WHATWG URL parser canonicalizes (RFC 5952 compression, lowercase), so two spellings
    // of one address give one JID. It also refuses zone identifiers, which have no place here.
    return new URL(`http://${domain}/`).hostname;
  } catch {
    return undefined;
  }
}

function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}
