// The XMPP stream parser: one long-lived XML document per stream (RFC 6120 §4), cut into
// first-level elements (stanzas, <starttls/>, <auth/> ...), under the restrictions of RFC 6120 §11.
//
// saxes does the XML work (well-formedness, namespaces, character checks); this file turns its
// events into detached ltx Elements and enforces what XMPP adds: the stream namespaces, restricted
// XML, and the limits that keep a hostile peer from exhausting memory. ltx's own parser is not used
// because it silently accepts broken XML.
import { Element } from 'ltx';
import { SaxesParser, type SaxesTagNS, type XMLDecl } from 'saxes';
import { StreamError, type StreamErrorCondition } from '../util/errors.js';
import { NS } from '../util/namespaces.js';

export interface XmlStreamLimits {
  /** Largest first-level element, in UTF-8 bytes from its `<` to the `>` of its end tag. */
  maxStanzaBytes: number;
  /** Deepest nesting inside a stanza; the stanza element itself is depth 1. */
  maxDepth: number;
  /** Most attributes (namespace declarations included) on one element. */
  maxAttributes: number;
}

export interface XmlStreamHandlers {
  /** The opening <stream:stream ...> tag, checked for the streams and content namespaces. */
  streamStart(header: StreamHeader): void;
  /** Each complete first-level child of the stream, detached and self-contained. */
  stanza(element: Element): void;
  /** The peer closed its stream with </stream:stream> (RFC 6120 §4.4). */
  streamEnd(): void;
  /** The first error only; after it the parser ignores further input. */
  error(error: StreamError): void;
}

export interface StreamHeader {
  localName: string;
  namespace: string;
  defaultNamespace: string | undefined;
  /** Attributes as written (to, from, version, xml:lang, id ...), without namespace declarations. */
  attributes: Record<string, string>;
}

type ParserOptions = { xmlns: true; position: true; forceXMLVersion: true; defaultXMLVersion: '1.0' };

/** One open element of the stanza being built. */
interface Frame {
  element: Element;
  /** Namespace declarations made on this element (saxes' own map). */
  declared: Record<string, string>;
  /** The default namespace a child without xmlns would get in the detached tree. */
  defaultNamespace: string;
}

/**
 * The properties saxes looks its event handlers up in. `sax.on(event, handler)` stores each as a
 * property of the parser, so every parser (one per stream, so per connection) carried eleven
 * closures of its own, and V8 turned it into a slow dictionary object (issue 12). saxes calls
 * eight of them as methods of the parser: StreamSax has those on its prototype, shared by every
 * parser. The other three it calls detached from the parser (no `this`); each parser has its own
 * closures for those (DetachedSaxesHandlers). saxesHandlerSlot lists the names; a test checks them
 * against saxes' own on().
 */
interface SaxesHandlerSlots extends DetachedSaxesHandlers {
  xmldeclHandler(this: StreamSax, decl: XMLDecl): void;
  openTagStartHandler(this: StreamSax): void;
  attributeHandler(this: StreamSax): void;
  openTagHandler(this: StreamSax, tag: SaxesTagNS): void;
  cdataHandler(this: StreamSax, text: string): void;
  commentHandler(this: StreamSax): void;
  piHandler(this: StreamSax): void;
  doctypeHandler(this: StreamSax): void;
}

interface DetachedSaxesHandlers {
  errorHandler(error: Error): void;
  closeTagHandler(): void;
  textHandler(text: string): void;
}

/** The slot of each saxes event XmlStreamParser handles. */
export const saxesHandlerSlot: Record<string, keyof SaxesHandlerSlots> = {
  error: 'errorHandler',
  xmldecl: 'xmldeclHandler',
  opentagstart: 'openTagStartHandler',
  attribute: 'attributeHandler',
  opentag: 'openTagHandler',
  closetag: 'closeTagHandler',
  text: 'textHandler',
  cdata: 'cdataHandler',
  comment: 'commentHandler',
  processinginstruction: 'piHandler',
  doctype: 'doctypeHandler',
};

const saxOptions: ParserOptions = {
  xmlns: true,
  position: true,
  // RFC 6120 §11.8: XMPP is XML 1.0; a declaration claiming 1.1 must not widen the character set.
  forceXMLVersion: true,
  defaultXMLVersion: '1.0',
};

/**
 * What every saxes parser builds for itself in its constructor although it is the same for all:
 * the table of its state methods (references to SaxesParser.prototype's, called with the parser
 * as `this`), the map of the two predefined prefixes, xml and xmlns (only read after the
 * constructor), and the map of entities (the predefined five, on its prototype; none can be added,
 * as restricted XML has no DTD). StreamSax shares the first parser's: 650 bytes less per
 * connection. A test checks that they still hold only what is the same for every parser.
 */
interface SaxesPerParserConstants {
  stateTable: unknown[];
  ns: Record<string, string>;
  ENTITIES: Record<string, string>;
}
let sharedConstants: SaxesPerParserConstants | undefined;

/** The saxes parser of one stream, with its handlers shared on the prototype (set up below). */
class StreamSax extends SaxesParser<ParserOptions> {
  constructor(readonly owner: XmlStreamParser) {
    super(saxOptions);
    const own = this as unknown as SaxesPerParserConstants;
    sharedConstants ??= { stateTable: own.stateTable, ns: own.ns, ENTITIES: Object.freeze(own.ENTITIES) };
    own.stateTable = sharedConstants.stateTable;
    own.ns = sharedConstants.ns;
    own.ENTITIES = sharedConstants.ENTITIES;
  }
}

/** saxes' record of the tags it is in (the stream root, and the stanza's elements). */
interface SaxesOpenTags {
  tags: SaxesTagNS[];
  tag: SaxesTagNS | null;
  topNS: Record<string, string>;
}

/**
 * One frozen copy of each set of stream-header namespace declarations (nearly every client
 * declares jabber:client and the stream prefix, every server jabber:server, the stream and the
 * dialback prefixes), instead of one map per connection. A peer can vary them at will, so only
 * the first few sets are shared.
 */
const sharedDeclarationSets = new Map<string, Record<string, string>>();
const maxSharedDeclarationSets = 16;

function sharedDeclarations(declared: Record<string, string>): Record<string, string> {
  const key = JSON.stringify(Object.entries(declared));
  let shared = sharedDeclarationSets.get(key);
  if (shared === undefined) {
    if (sharedDeclarationSets.size >= maxSharedDeclarationSets) return declared;
    shared = Object.freeze(Object.assign(Object.create(null) as Record<string, string>, declared));
    sharedDeclarationSets.set(key, shared);
  }
  return shared;
}

/** Whether this parser shares the state table and root namespaces (for the test). */
export function sharesSaxesConstants(parser: XmlStreamParser): boolean {
  const own = (parser as unknown as { sax: SaxesPerParserConstants }).sax;
  return sharedConstants !== undefined && own.stateTable === sharedConstants.stateTable && own.ns === sharedConstants.ns && own.ENTITIES === sharedConstants.ENTITIES;
}

const noAttributes: SaxesTagNS['attributes'] = Object.freeze(Object.create(null) as SaxesTagNS['attributes']);

/** Thrown from inside saxes callbacks to stop the parse of the current chunk. Never escapes write(). */
const ABORT = Symbol('abort');
const END = Symbol('stream end');

// XML's S production (2.3).
const NON_WHITESPACE = /[^ \t\n\r]/;
const WHITESPACE_ONLY = /^[ \t\n\r]*$/;

export class XmlStreamParser {
  private sax: StreamSax;
  /** The last bytes of the previous read when they end inside a multi-byte character. */
  private partialCharacter: Buffer | undefined;
  /** Whether the stream's first character has been read (a byte-order mark there is dropped). */
  private pastFirstCharacter = false;
  /** Set after an error, after </stream:stream> and after end(): input is ignored. */
  private stopped = false;
  private writing = false;
  private streamOpen = false;
  private frames: Frame[] = [];
  private stanzaRoot: Element | undefined;
  /**
   * A finished first-level element (or the stream end) waiting to be handed over. saxes calls the
   * close-tag handler before it checks that the end tag's name matches, so handing it over at once
   * would let `<message></iq>` through; it goes out at the next event or at the end of the write,
   * by which time saxes has had its chance to object.
   */
  private pending: Element | typeof END | undefined;
  private attributeCount = 0;

  // Byte accounting. saxes positions count UTF-16 code units of its input; the limits are in UTF-8
  // bytes, so positions are converted with Buffer.byteLength over the text between a cursor and the
  // event. Events only move forward, so each write costs one native pass over its text.
  /** The text of the write in progress. */
  private chunk = '';
  /** saxes position of chunk[0]. */
  private chunkPosition = 0;
  /** Index in chunk up to which bytes have been counted, and the stream byte offset there. */
  private cursor = 0;
  private cursorBytes = 0;
  /** UTF-16 units given to the current saxes parser, and the UTF-8 bytes they encode. */
  private unitsWritten = 0;
  private bytesWritten = 0;
  /** Byte offset where the last complete first-level construct ended (or the next `<` began). */
  private boundaryBytes = 0;
  /** Byte offset of the `<` of the stanza being read, or -1 between stanzas. */
  private stanzaStartBytes = -1;
  /** saxes position of the last boundary. */
  private boundaryUnits = 0;
  /**
   * Only whitespace arrived since the last complete stanza (or the header). Whitespace-only
   * writes in this state are keepalives (RFC 6120 §4.6.4) and are not fed to saxes, which would
   * otherwise keep them as text until the next stanza and grow without bound on a quiet stream.
   */
  private idleBetweenStanzas = false;

  constructor(
    private readonly limits: XmlStreamLimits,
    private handlers: XmlStreamHandlers,
  ) {
    this.sax = this.createSax();
  }

  /** Where the events go from now on (a transport made before its session passes them on). */
  setHandlers(handlers: XmlStreamHandlers): void {
    this.handlers = handlers;
  }

  write(chunk: Buffer | string): void {
    if (this.stopped) return;
    if (this.writing) throw new Error('XmlStreamParser.write() called from one of its own handlers');
    let text: string;
    if (typeof chunk === 'string') {
      text = chunk;
    } else {
      try {
        text = this.decode(chunk);
      } catch {
        // RFC 6120 §11.6 and §4.9.3.22: the stream must be UTF-8, and improperly encoded
        // UTF-8 is reported as unsupported-encoding.
        this.report(new StreamError('unsupported-encoding', 'the stream is not valid UTF-8'));
        return;
      }
    }
    if (text.length === 0) return;
    if (this.idleBetweenStanzas && WHITESPACE_ONLY.test(text)) return;

    const sax = this.sax;
    this.writing = true;
    this.chunk = text;
    this.chunkPosition = this.unitsWritten;
    this.cursor = 0;
    this.cursorBytes = this.bytesWritten;
    try {
      sax.write(text);
      // saxes reads its chunk only inside write(); left there, each idle connection keeps its
      // last read.
      (sax as unknown as { chunk: string }).chunk = '';
      if (this.pending !== undefined) this.flush(sax);
      this.unitsWritten += text.length;
      this.bytesWritten = this.bytesAt(this.unitsWritten);
      this.checkUnfinished();
      this.idleBetweenStanzas = this.restingAfter(text);
    } catch (error) {
      if (error !== ABORT) {
        // A handler threw: a bug for the session boundary to log. The rest of this chunk was not
        // parsed, so the stream cannot continue.
        this.stop();
        throw error;
      }
    } finally {
      this.writing = false;
      this.chunk = '';
    }
  }

  /**
   * Starts over for a stream restart (RFC 6120 §5.4.3.3 after STARTTLS, §6.4.6 after SASL
   * success). Called from a handler, the rest of the current chunk is discarded: after
   * <starttls/> it is plaintext an attacker may have injected, and a client must wait for
   * <proceed/> or <success/> before it sends anything for the new stream anyway.
   */
  reset(): void {
    this.sax = this.createSax();
    this.partialCharacter = undefined;
    this.pastFirstCharacter = false;
    this.stopped = false;
    this.streamOpen = false;
    this.frames = [];
    this.stanzaRoot = undefined;
    this.pending = undefined;
    this.attributeCount = 0;
    this.chunkPosition = 0;
    this.cursor = 0;
    this.cursorBytes = 0;
    this.unitsWritten = 0;
    this.bytesWritten = 0;
    this.boundaryBytes = 0;
    this.boundaryUnits = 0;
    this.idleBetweenStanzas = false;
    this.stanzaStartBytes = -1;
  }

  /** The socket closed. Nothing is reported: an unclosed stream is the session's business. */
  end(): void {
    this.stop();
  }

  private stop(): void {
    this.stopped = true;
    this.frames = [];
    this.stanzaRoot = undefined;
    this.pending = undefined;
  }

  private createSax(): StreamSax {
    const sax = new StreamSax(this);
    const detached: DetachedSaxesHandlers = {
      errorHandler: (error) => this.onSaxError(sax, error),
      closeTagHandler: () => this.onCloseTag(sax),
      textHandler: (text) => this.onText(sax, text, true),
    };
    return Object.assign(sax, detached);
  }

  /**
   * The text of a read. One decoder serves every stream: a multi-byte character cut by the end
   * of a read waits here for the rest instead of in a streaming TextDecoder per connection (each
   * holds an ICU converter, over a kilobyte). Throws on bytes that are not UTF-8.
   */
  private decode(chunk: Buffer): string {
    let bytes = chunk;
    if (this.partialCharacter !== undefined) {
      bytes = Buffer.concat([this.partialCharacter, chunk]);
      this.partialCharacter = undefined;
    }
    const complete = completeUtf8Length(bytes);
    if (complete < bytes.length) this.partialCharacter = Buffer.from(bytes.subarray(complete));
    const text = utf8.decode(complete === bytes.length ? bytes : bytes.subarray(0, complete));
    if (this.pastFirstCharacter || text.length === 0) return text;
    // A byte-order mark may begin the stream (XML 1.0 §4.3.3); anywhere else it is a character.
    this.pastFirstCharacter = true;
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  }

  /** The handlers saxes calls as methods of the parser, on StreamSax's prototype (see SaxesHandlerSlots). */
  static {
    const handlers: Omit<SaxesHandlerSlots, keyof DetachedSaxesHandlers> = {
      xmldeclHandler(decl) {
        this.owner.onXmlDecl(this, decl);
      },
      openTagStartHandler() {
        this.owner.onOpenTagStart(this);
      },
      attributeHandler() {
        const owner = this.owner;
        if (++owner.attributeCount > owner.limits.maxAttributes) {
          owner.abort(new StreamError('policy-violation', `an element has more than ${owner.limits.maxAttributes} attributes`));
        }
      },
      openTagHandler(tag) {
        this.owner.onOpenTag(this, tag);
      },
      cdataHandler(text) {
        this.owner.onText(this, text, false);
      },
      // RFC 6120 §11.1: comments, processing instructions and DTDs are restricted XML.
      commentHandler() {
        this.owner.restricted(this, 'comments are not allowed (RFC 6120 §11.1)');
      },
      piHandler() {
        this.owner.restricted(this, 'processing instructions are not allowed (RFC 6120 §11.1)');
      },
      doctypeHandler() {
        this.owner.restricted(this, 'DTDs are not allowed (RFC 6120 §11.1)');
      },
    };
    Object.assign(StreamSax.prototype, handlers);
  }

  /**
   * The element finished just before restricted markup is complete, and is still handed over as
   * it would be had the markup come in the next read (found by the fuzzer, test/fuzz).
   */
  private restricted(sax: StreamSax, text: string): never {
    if (this.pending !== undefined) this.flush(sax);
    this.abort(new StreamError('restricted-xml', text));
  }

  private onSaxError(sax: StreamSax, error: Error): void {
    const message = error.message;
    // A close-tag error comes right after saxes handed us the element it belongs to; anything
    // else leaves the element finished before it intact, so it is still delivered.
    if (this.pending !== undefined && !message.includes('close tag') && !message.includes('closing tag')) {
      this.flush(sax);
    }
    this.abort(new StreamError(conditionFor(message), message));
  }

  private onXmlDecl(sax: StreamSax, decl: XMLDecl): void {
    // RFC 6120 §11.6: UTF-8 is the only encoding.
    if (decl.encoding !== undefined && decl.encoding.toLowerCase() !== 'utf-8') {
      this.abort(new StreamError('unsupported-encoding', 'XMPP streams are UTF-8'));
    }
    this.markBoundary(sax.position);
  }

  private onOpenTagStart(sax: StreamSax): void {
    if (this.pending !== undefined) this.flush(sax);
    this.attributeCount = 0;
    if (!this.streamOpen) return; // the stream header, checked once its namespaces are known
    const depth = this.frames.length + 1;
    if (depth > this.limits.maxDepth) {
      this.abort(new StreamError('policy-violation', `elements are nested deeper than ${this.limits.maxDepth} levels`));
    }
    if (depth === 1) this.stanzaStartBytes = this.boundaryBytes;
  }

  private onOpenTag(sax: StreamSax, tag: SaxesTagNS): void {
    if (!this.streamOpen) return this.openStream(sax, tag);

    const frames = this.frames;
    const attrs: Record<string, string> = {};
    const tagAttributes = tag.attributes;
    for (const name in tagAttributes) attrs[name] = tagAttributes[name]!.value;

    let element: Element;
    let defaultNamespace: string;
    let root: Element;
    if (frames.length === 0) {
      // The stanza root loses any prefix and carries its namespace itself, so the detached
      // element reads the same whichever way the peer wrote it (<message> or <db:result>).
      attrs.xmlns = tag.uri;
      element = new Element(tag.local);
      element.attrs = attrs;
      defaultNamespace = tag.uri;
      root = this.stanzaRoot = element;
    } else {
      const parent = frames[frames.length - 1]!;
      const ownDefault = tag.ns[''];
      if (ownDefault !== undefined) {
        defaultNamespace = ownDefault;
      } else {
        defaultNamespace = parent.defaultNamespace;
        // Only differs when the stanza root was prefixed: its children in the stream's default
        // namespace must say so now that the root declares another default.
        if (tag.prefix === '' && tag.uri !== defaultNamespace) {
          attrs.xmlns = tag.uri;
          defaultNamespace = tag.uri;
        }
      }
      element = new Element(tag.name);
      element.attrs = attrs;
      root = this.stanzaRoot!;
      if (tag.prefix !== '') this.declareInherited(root, tag.prefix, tag.uri, tag.ns);
      parent.element.children.push(element);
      element.parent = parent.element;
    }
    for (const name in tagAttributes) {
      const attribute = tagAttributes[name]!;
      const prefix = attribute.prefix;
      if (prefix !== '' && prefix !== 'xml' && prefix !== 'xmlns') {
        this.declareInherited(root, prefix, attribute.uri, tag.ns);
      }
    }
    frames.push({ element, declared: tag.ns, defaultNamespace });
  }

  /**
   * A prefix bound only on the stream header (xmlns:db on a server stream, say) would dangle in the
   * detached stanza; the binding is copied onto the stanza root.
   */
  private declareInherited(root: Element, prefix: string, uri: string, declaredHere: Record<string, string>): void {
    if (declaredHere[prefix] !== undefined) return;
    const frames = this.frames;
    for (let i = frames.length - 1; i >= 0; i--) {
      if (frames[i]!.declared[prefix] !== undefined) return;
    }
    const key = `xmlns:${prefix}`;
    if (root.attrs[key] === undefined) root.attrs[key] = uri;
  }

  private openStream(sax: StreamSax, tag: SaxesTagNS): void {
    // RFC 6120 §4.8.1 and §4.9.3.10: the root is <stream> in the streams namespace, and the
    // content namespace is jabber:client or jabber:server (§4.8.2).
    if (tag.local !== 'stream' || tag.uri !== NS.streams) {
      this.abort(new StreamError('invalid-namespace', `the root element must be <stream> in ${NS.streams}`));
    }
    const defaultNamespace = tag.ns[''];
    if (defaultNamespace !== NS.client && defaultNamespace !== NS.server) {
      this.abort(new StreamError('invalid-namespace', `the default namespace must be ${NS.client} or ${NS.server}`));
    }
    const attributes: Record<string, string> = {};
    for (const name in tag.attributes) {
      const attribute = tag.attributes[name]!;
      if (attribute.prefix === 'xmlns' || name === 'xmlns') continue;
      attributes[name] = attribute.value;
    }
    this.streamOpen = true;
    // The tag's name and namespace are slices of the header's text, and would keep all of it.
    tag.uri = NS.streams;
    if (tag.name === 'stream:stream') tag.name = 'stream:stream';
    // saxes keeps the root tag until </stream:stream> (to match it, and for the namespaces it
    // declares); its attribute objects, copied above, would otherwise stay with every connection,
    // and so would its own map of the declarations, the same for nearly every peer.
    tag.attributes = noAttributes;
    tag.ns = sharedDeclarations(tag.ns);
    (sax as unknown as SaxesOpenTags).topNS = tag.ns;
    this.markBoundary(sax.position);
    this.handlers.streamStart({ localName: tag.local, namespace: tag.uri, defaultNamespace, attributes });
    if (this.sax !== sax) throw ABORT; // reset() from the handler
  }

  private onCloseTag(sax: StreamSax): void {
    if (this.pending !== undefined) this.flush(sax);
    const frames = this.frames;
    if (frames.length === 0) {
      this.pending = END;
      return;
    }
    const frame = frames.pop()!;
    if (frames.length !== 0) return;
    // saxes keeps the tag it closed last, and that tag's namespace map, until the next tag opens:
    // between stanzas, most of an idle connection's life, that would be a stanza's worth of
    // objects. Nothing reads them before the next tag replaces them; the stream's root takes over.
    const open = sax as unknown as SaxesOpenTags;
    const root = open.tags[open.tags.length - 1];
    if (root !== undefined) {
      open.tag = root;
      open.topNS = root.ns;
    }
    // A fresh empty array between stanzas: the emptied one keeps room for 17 frames, held by
    // every idle connection.
    this.frames = [];
    const end = this.bytesAt(sax.position);
    if (end - this.stanzaStartBytes > this.limits.maxStanzaBytes) this.abortOversized();
    this.stanzaStartBytes = -1;
    this.markBoundary(sax.position);
    this.stanzaRoot = undefined;
    this.pending = frame.element;
  }

  private onText(sax: StreamSax, text: string, beforeTag: boolean): void {
    if (this.pending !== undefined) this.flush(sax);
    const frames = this.frames;
    if (frames.length !== 0) {
      frames[frames.length - 1]!.element.children.push(text);
      return;
    }
    // Between stanzas only whitespace (RFC 6120 §11.7; keepalives, §4.6.4) may appear. Anything else
    // is not XMPP framing; it is reported as not-well-formed, the condition peers handle best
    // for garbage on the stream (saxes reports text outside the root element the same way).
    if (this.streamOpen && NON_WHITESPACE.test(text)) {
      this.abort(new StreamError('not-well-formed', 'only whitespace may appear between stanzas'));
    }
    // saxes delivers text when it reads the next `<`, which begins the next construct.
    this.markBoundary(beforeTag ? sax.position - 1 : sax.position);
  }

  private markBoundary(position: number): void {
    this.boundaryBytes = this.bytesAt(position);
    this.boundaryUnits = position;
  }

  /** Whether, after this write, the stream is between stanzas with only whitespace pending. */
  private restingAfter(text: string): boolean {
    if (!this.streamOpen || this.frames.length !== 0 || this.stanzaStartBytes >= 0) return false;
    const boundaryIndex = this.boundaryUnits - this.chunkPosition;
    if (boundaryIndex < 0) return this.idleBetweenStanzas && WHITESPACE_ONLY.test(text);
    return WHITESPACE_ONLY.test(text.slice(boundaryIndex));
  }

  private flush(sax: StreamSax): void {
    const pending = this.pending!;
    this.pending = undefined;
    if (pending === END) {
      this.stop();
      this.handlers.streamEnd();
      throw ABORT;
    }
    this.handlers.stanza(pending);
    if (this.sax !== sax) throw ABORT; // reset() from the handler
  }

  /**
   * saxes buffers whatever produced no event yet (a long attribute value, text, endless
   * whitespace), so the limit also applies to input that has not completed anything.
   */
  private checkUnfinished(): void {
    const max = this.limits.maxStanzaBytes;
    if (this.stanzaStartBytes >= 0) {
      if (this.bytesWritten - this.stanzaStartBytes > max) this.abortOversized();
    } else if (this.bytesWritten - this.boundaryBytes > max) {
      this.abort(new StreamError('policy-violation', `more than ${max} bytes arrived without completing an element`));
    }
  }

  private abortOversized(): never {
    this.abort(new StreamError('policy-violation', `a stanza is larger than the limit of ${this.limits.maxStanzaBytes} bytes`));
  }

  /** The UTF-8 byte offset in this stream of a saxes position inside the current chunk. */
  private bytesAt(position: number): number {
    const chunk = this.chunk;
    let index = position - this.chunkPosition;
    // saxes carries a trailing CR or high surrogate over to the next write; positions can sit
    // one unit before the chunk. Clamping costs at most that one character.
    if (index < 0) index = 0;
    else if (index > chunk.length) index = chunk.length;
    if (index >= this.cursor) {
      if (index > this.cursor) {
        this.cursorBytes += Buffer.byteLength(chunk.slice(this.cursor, index));
        this.cursor = index;
      }
      return this.cursorBytes;
    }
    return this.cursorBytes - Buffer.byteLength(chunk.slice(index, this.cursor));
  }

  /** Reports outside saxes callbacks. */
  private report(error: StreamError): void {
    if (this.stopped) return;
    this.stop();
    this.handlers.error(error);
  }

  /** Reports from inside saxes callbacks, and stops saxes from reading the rest of the chunk. */
  private abort(error: StreamError): never {
    this.report(error);
    throw ABORT;
  }
}

function conditionFor(message: string): StreamErrorCondition {
  // RFC 6120 §4.9.3.2: a prefix the peer never bound.
  if (message.includes('unbound namespace prefix')) return 'bad-namespace-prefix';
  // RFC 6120 §11.1: only the five predefined entities exist without a DTD; a DOCTYPE inside the
  // stream is reported by saxes as misplaced rather than through the doctype event.
  if (message.includes('undefined entity') || message.includes('doctype')) return 'restricted-xml';
  return 'not-well-formed';
}

/**
 * Decodes whole UTF-8 text, refusing anything malformed (RFC 6120 §11.6). ignoreBOM: each read is
 * decoded on its own, and only the stream's first may lose a byte-order mark (decode() above).
 */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * How many leading bytes of `bytes` end on a character boundary: all of them unless the last one
 * to three bytes begin a multi-byte character that the next read completes. Bytes that can never
 * begin a character are left in, for the decoder to refuse.
 */
export function completeUtf8Length(bytes: Uint8Array): number {
  const length = bytes.length;
  // A character is at most 4 bytes: its lead byte is within the last 3 if it is cut.
  for (let back = 1; back <= 3 && back <= length; back++) {
    const byte = bytes[length - back]!;
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: the lead is further back
    const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return needed > back && byte < 0xf8 ? length - back : length;
  }
  return length;
}
