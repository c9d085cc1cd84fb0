// Cuts a server's XML stream into top-level elements (stanzas and nonzas) without building a
// tree: the load generator only needs a few attributes and the body of what it receives, and a
// full parser per connection would make it the bottleneck. It trusts its input, which comes from
// the servers under test; it is not a validator (the servers have real parsers for that).

export interface SplitterHandlers {
  /** The <stream:stream ...> opening tag (at the start and after each stream restart). */
  streamOpen(tag: string): void;
  /** One complete top-level element, as received. */
  element(xml: string): void;
  /** </stream:stream>. */
  streamClose(): void;
}

const LT = 0x3c;
const GT = 0x3e;
const SLASH = 0x2f;
const QUESTION = 0x3f;
const BANG = 0x21;
const QUOTE = 0x22;
const APOSTROPHE = 0x27;

export class StanzaSplitter {
  private buffer = '';
  /** Where in `buffer` scanning resumes. */
  private scan = 0;
  /** 0 before the stream header, 1 between stanzas, 2 and more inside a stanza. */
  private depth = 0;
  /** Where the stanza being received starts in `buffer` (depth >= 2). */
  private stanzaStart = 0;

  constructor(private readonly handlers: SplitterHandlers) {}

  push(chunk: string): void {
    const text = this.buffer + chunk;
    let i = this.scan;
    for (;;) {
      const lt = text.indexOf('<', i);
      if (lt === -1) {
        i = text.length;
        break;
      }
      const next = text.charCodeAt(lt + 1);
      if (Number.isNaN(next)) {
        i = lt;
        break;
      }
      if (next === QUESTION || next === BANG) {
        // The XML declaration, or a comment: neither nests, neither is a stanza.
        const terminator = next === QUESTION ? '?>' : text.startsWith('<!--', lt) ? '-->' : '>';
        const end = text.indexOf(terminator, lt + 2);
        if (end === -1) {
          i = lt;
          break;
        }
        i = end + terminator.length;
        continue;
      }
      if (next === SLASH) {
        const end = text.indexOf('>', lt + 2);
        if (end === -1) {
          i = lt;
          break;
        }
        i = end + 1;
        this.depth--;
        if (this.depth === 1) this.handlers.element(text.slice(this.stanzaStart, i));
        else if (this.depth <= 0) {
          this.depth = 0;
          this.handlers.streamClose();
        }
        continue;
      }
      const end = tagEnd(text, lt + 1);
      if (end === -1) {
        i = lt;
        break;
      }
      i = end + 1;
      if (text.startsWith('<stream:stream', lt)) {
        // A (re)opened stream: whatever came before is finished (RFC 6120 §4.3.3).
        this.depth = 1;
        this.handlers.streamOpen(text.slice(lt, i));
        continue;
      }
      if (text.charCodeAt(end - 1) === SLASH) {
        if (this.depth === 1) this.handlers.element(text.slice(lt, i));
        continue;
      }
      this.depth++;
      if (this.depth === 2) this.stanzaStart = lt;
    }
    // Keep only what is still needed: the unfinished stanza, or the unfinished tag.
    const keepFrom = this.depth >= 2 ? Math.min(this.stanzaStart, i) : i;
    this.buffer = text.slice(keepFrom);
    this.scan = i - keepFrom;
    this.stanzaStart -= keepFrom;
  }
}

/** The index of the '>' that ends the tag starting before `from`, skipping quoted attribute values; -1 if not received yet. */
export function tagEnd(text: string, from: number): number {
  let quote = 0;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (quote !== 0) {
      if (c === quote) quote = 0;
    } else if (c === QUOTE || c === APOSTROPHE) {
      quote = c;
    } else if (c === GT) {
      return i;
    } else if (c === LT) {
      // Not well-formed; the servers never send it, and stopping here keeps the scan bounded.
      return -1;
    }
  }
  return -1;
}

/** The element's name, with its prefix if any: "message", "stream:features". */
export function elementName(xml: string): string {
  let end = 1;
  while (end < xml.length) {
    const c = xml.charCodeAt(end);
    if (c === 0x20 || c === GT || c === SLASH || c === 0x0a || c === 0x09 || c === 0x0d) break;
    end++;
  }
  return xml.slice(1, end);
}

const attributePatterns = new Map<string, RegExp>();

/** An attribute of the element's opening tag (not of its children), with entities decoded. */
export function attribute(xml: string, name: string): string | undefined {
  let pattern = attributePatterns.get(name);
  if (!pattern) {
    pattern = new RegExp(`\\s${name.replace(/[.:-]/g, '\\$&')}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`);
    attributePatterns.set(name, pattern);
  }
  const end = tagEnd(xml, 1);
  const match = pattern.exec(end === -1 ? xml : xml.slice(0, end + 1));
  if (!match) return undefined;
  return decodeEntities(match[1] ?? match[2]!);
}

/** The text of the first <tag>...</tag> inside, decoded; '' for <tag/>, undefined when absent. */
export function childText(xml: string, tag: string): string | undefined {
  const found = findChildTag(xml, tag, 1);
  if (found === undefined) return undefined;
  if (xml.charCodeAt(found.end - 1) === SLASH) return '';
  const close = xml.indexOf(`</${tag}>`, found.end + 1);
  return close === -1 ? undefined : decodeEntities(xml.slice(found.end + 1, close));
}

/** The opening tag of the first <tag ...> inside, e.g. to read a stanza-id's attributes. */
export function childTag(xml: string, tag: string): string | undefined {
  const found = findChildTag(xml, tag, 1);
  return found && xml.slice(found.start, found.end + 1);
}

/** Every opening tag <tag ...> inside, in order. */
export function childTags(xml: string, tag: string): string[] {
  const tags: string[] = [];
  for (let found = findChildTag(xml, tag, 1); found; found = findChildTag(xml, tag, found.end)) tags.push(xml.slice(found.start, found.end + 1));
  return tags;
}

function findChildTag(xml: string, tag: string, from: number): { start: number; end: number } | undefined {
  let open = xml.indexOf(`<${tag}`, from);
  while (open !== -1) {
    const after = xml.charCodeAt(open + tag.length + 1);
    // <body> must not match <bodyx>: the name has to end here.
    if (after === 0x20 || after === GT || after === SLASH || after === 0x0a || after === 0x09 || after === 0x0d) {
      const end = tagEnd(xml, open + 1);
      return end === -1 ? undefined : { start: open, end };
    }
    open = xml.indexOf(`<${tag}`, open + 1);
  }
  return undefined;
}

const entities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, name: string) => {
    if (name.startsWith('#x')) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(parseInt(name.slice(1), 10));
    return entities[name] ?? whole;
  });
}

/** Escapes text for an attribute value or character data. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&${c === '&' ? 'amp' : c === '<' ? 'lt' : c === '>' ? 'gt' : c === '"' ? 'quot' : 'apos'};`);
}
