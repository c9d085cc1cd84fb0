import { describe, it, expect } from 'vitest';
import type { Element } from 'ltx';
import { SaxesParser } from 'saxes';
import { completeUtf8Length, saxesHandlerSlot, sharesSaxesConstants, XmlStreamParser, type StreamHeader, type XmlStreamLimits } from '../../../server/net/xml-stream.js';
import type { StreamError } from '../../../server/util/errors.js';

const clientHeader =
  "<?xml version='1.0'?><stream:stream to='example.com' version='1.0' xml:lang='en' " +
  "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";

const defaultLimits: XmlStreamLimits = { maxStanzaBytes: 10_000, maxDepth: 10, maxAttributes: 20 };

function collect(limits: Partial<XmlStreamLimits> = {}) {
  const headers: StreamHeader[] = [];
  const stanzas: Element[] = [];
  const errors: StreamError[] = [];
  let ended = 0;
  const parser = new XmlStreamParser(
    { ...defaultLimits, ...limits },
    {
      streamStart: (header) => headers.push(header),
      stanza: (element) => stanzas.push(element),
      streamEnd: () => ended++,
      error: (error) => errors.push(error),
    },
  );
  return {
    parser,
    headers,
    stanzas,
    errors,
    get ended() {
      return ended;
    },
  };
}

/** A parser that has already read the client stream header. */
function openStream(limits: Partial<XmlStreamLimits> = {}) {
  const stream = collect(limits);
  stream.parser.write(clientHeader);
  return stream;
}

describe('XmlStreamParser', () => {
  describe('stream header', () => {
    it('reports the header with its namespaces and plain attributes', () => {
      const { headers, errors } = openStream();
      expect(errors).toEqual([]);
      expect(headers).toEqual([
        {
          localName: 'stream',
          namespace: 'http://etherx.jabber.org/streams',
          defaultNamespace: 'jabber:client',
          attributes: { to: 'example.com', version: '1.0', 'xml:lang': 'en' },
        },
      ]);
    });

    it('accepts a server stream with the stream prefix spelled differently', () => {
      const { parser, headers, errors } = collect();
      parser.write("<s:stream xmlns='jabber:server' xmlns:s='http://etherx.jabber.org/streams' to='example.net'>");
      expect(errors).toEqual([]);
      expect(headers[0]?.defaultNamespace).toBe('jabber:server');
    });

    it('refuses a root element outside the streams namespace with invalid-namespace', () => {
      const { parser, errors, headers } = collect();
      parser.write("<stream:stream xmlns='jabber:client' xmlns:stream='http://example.com/streams'>");
      expect(errors.map((e) => e.condition)).toEqual(['invalid-namespace']);
      expect(headers).toEqual([]);
    });

    it('refuses a root element other than stream with invalid-namespace', () => {
      const { parser, errors } = collect();
      parser.write("<stream:features xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>");
      expect(errors.map((e) => e.condition)).toEqual(['invalid-namespace']);
    });

    it('refuses a content namespace other than jabber:client or jabber:server with invalid-namespace', () => {
      const { parser, errors } = collect();
      parser.write("<stream:stream xmlns='jabber:iq:roster' xmlns:stream='http://etherx.jabber.org/streams'>");
      expect(errors.map((e) => e.condition)).toEqual(['invalid-namespace']);
    });

    it('refuses a header without a default namespace with invalid-namespace', () => {
      const { parser, errors } = collect();
      parser.write("<stream:stream xmlns:stream='http://etherx.jabber.org/streams'>");
      expect(errors.map((e) => e.condition)).toEqual(['invalid-namespace']);
    });

    it('refuses an unbound stream prefix with bad-namespace-prefix', () => {
      const { parser, errors } = collect();
      parser.write("<stream:stream xmlns='jabber:client'>");
      expect(errors.map((e) => e.condition)).toEqual(['bad-namespace-prefix']);
    });

    it('refuses an XML declaration naming an encoding other than UTF-8 with unsupported-encoding', () => {
      const { parser, errors } = collect();
      parser.write("<?xml version='1.0' encoding='ISO-8859-1'?>");
      expect(errors.map((e) => e.condition)).toEqual(['unsupported-encoding']);
    });

    it('refuses HTTP sent to the XMPP port with not-well-formed', () => {
      const { parser, errors } = collect();
      parser.write('GET / HTTP/1.1\r\nHost: example.com\r\n\r\n');
      expect(errors.map((e) => e.condition)).toEqual(['not-well-formed']);
    });
  });

  describe('stanzas', () => {
    it('emits a message with the client namespace set on it', () => {
      const { parser, stanzas } = openStream();
      parser.write("<message to='juliet@example.com' type='chat'><body>Hi</body></message>");
      expect(stanzas).toHaveLength(1);
      const message = stanzas[0]!;
      expect(message.name).toBe('message');
      expect(message.attrs).toEqual({ to: 'juliet@example.com', type: 'chat', xmlns: 'jabber:client' });
      expect(message.getChildText('body')).toBe('Hi');
      expect(message.parent).toBeNull();
    });

    it('emits negotiation elements in their own namespace', () => {
      const { parser, stanzas } = openStream();
      parser.write("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
      expect(stanzas[0]?.toString()).toBe('<starttls xmlns="urn:ietf:params:xml:ns:xmpp-tls"/>');
    });

    it('emits several stanzas from one write in order', () => {
      const { parser, stanzas } = openStream();
      parser.write("<presence/><iq type='get' id='1'><ping xmlns='urn:xmpp:ping'/></iq><message><body>x</body></message>");
      expect(stanzas.map((s) => s.name)).toEqual(['presence', 'iq', 'message']);
    });

    it('keeps prefixed descendants with their names and declarations', () => {
      const { parser, stanzas } = openStream();
      parser.write("<message><x:event xmlns:x='urn:example:event' x:kind='a'><x:item/></x:event></message>");
      const event = stanzas[0]!.getChild('event', 'urn:example:event')!;
      expect(event.name).toBe('x:event');
      expect(event.attrs).toEqual({ 'xmlns:x': 'urn:example:event', 'x:kind': 'a' });
      expect(event.getNS()).toBe('urn:example:event');
      expect(event.children[0]).toMatchObject({ name: 'x:item' });
    });

    it('normalises a prefixed first-level element to its local name and namespace', () => {
      const { parser, stanzas, errors } = collect();
      parser.write(
        "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' " +
          "xmlns:db='jabber:server:dialback'><stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>" +
          "<db:result from='a.example' to='b.example'>key</db:result>",
      );
      expect(errors).toEqual([]);
      expect(stanzas.map((s) => [s.name, s.attrs.xmlns])).toEqual([
        ['features', 'http://etherx.jabber.org/streams'],
        ['result', 'jabber:server:dialback'],
      ]);
      expect(stanzas[1]!.getText()).toBe('key');
    });

    it('keeps the stream default namespace on children of a prefixed first-level element', () => {
      const { parser, stanzas } = collect();
      parser.write(
        "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams'>" +
          '<stream:error><text/></stream:error>',
      );
      const child = stanzas[0]!.getChildElements()[0]!;
      expect(child.getNS()).toBe('jabber:server');
    });

    it('declares on the stanza a prefix that was bound only on the stream header', () => {
      const { parser, stanzas } = collect();
      parser.write(
        "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' " +
          "xmlns:db='jabber:server:dialback'><message><body db:note='n'>x</body><db:verify/></message>",
      );
      const message = stanzas[0]!;
      expect(message.attrs['xmlns:db']).toBe('jabber:server:dialback');
      expect(message.getChildElements()[1]!.getNS()).toBe('jabber:server:dialback');
    });

    it('decodes entities, character references and CDATA in text and attributes', () => {
      const { parser, stanzas } = openStream();
      parser.write("<message id='a&amp;b&#x27;'><body>1 &lt; 2 &amp;&#8364; <![CDATA[<raw>]]></body></message>");
      const message = stanzas[0]!;
      expect(message.attrs.id).toBe("a&b'");
      expect(message.getChildText('body')).toBe('1 < 2 &€ <raw>');
    });

    it('delivers a character split across two Buffer writes intact', () => {
      const { parser, stanzas, errors } = openStream();
      const bytes = Buffer.from('<message><body>price: 5€ 🎉</body></message>');
      const euro = bytes.indexOf(Buffer.from('€'));
      const emoji = bytes.indexOf(Buffer.from('🎉'));
      parser.write(bytes.subarray(0, euro + 1));
      parser.write(bytes.subarray(euro + 1, emoji + 2));
      parser.write(bytes.subarray(emoji + 2));
      expect(errors).toEqual([]);
      expect(stanzas[0]?.getChildText('body')).toBe('price: 5€ 🎉');
    });

    it('delivers 2-, 3- and 4-byte characters cut at every byte', () => {
      const text = 'é€🎉';
      const bytes = Buffer.from(`<message><body>${text}</body></message>`);
      for (let cut = 1; cut < bytes.length; cut++) {
        const { parser, stanzas, errors } = openStream();
        parser.write(bytes.subarray(0, cut));
        parser.write(bytes.subarray(cut));
        expect(errors, `cut at ${cut}`).toEqual([]);
        expect(stanzas[0]?.getChildText('body'), `cut at ${cut}`).toBe(text);
      }
    });

    it('drops a byte-order mark only where the stream begins, however the reads are cut', () => {
      const bom = Buffer.from([0xef, 0xbb, 0xbf]);
      const stanza = Buffer.from('<message><body>hi</body></message>');
      const withLeadingMark = Buffer.concat([bom, Buffer.from(clientHeader), stanza]);
      for (let cut = 1; cut < 6; cut++) {
        const { parser, stanzas, errors } = collect();
        parser.write(withLeadingMark.subarray(0, cut));
        parser.write(withLeadingMark.subarray(cut));
        expect(errors, `cut at ${cut}`).toEqual([]);
        expect(stanzas.map((s) => s.name), `cut at ${cut}`).toEqual(['message']);
      }
      // A mark that begins a later read is text like any other: here, where no text may be.
      const { parser, errors } = collect();
      parser.write(Buffer.from(clientHeader));
      parser.write(Buffer.concat([bom, stanza]));
      expect(errors.map((e) => e.condition)).toEqual(['not-well-formed']);
    });

    it('refuses a cut character whose next read does not complete it with unsupported-encoding', () => {
      const { parser, stanzas, errors } = openStream();
      parser.write(Buffer.from([0x3c, 0x6d, 0xe2, 0x82])); // '<m' and two of the three bytes of '€'
      parser.write(Buffer.from('/>'));
      expect(errors.map((e) => e.condition)).toEqual(['unsupported-encoding']);
      expect(stanzas).toEqual([]);
    });

    it('assembles a stanza written one byte at a time', () => {
      const { parser, stanzas, errors } = collect();
      const bytes = Buffer.from(`${clientHeader}\n<message type='chat'><body>héllo wörld</body></message>\n`);
      for (let i = 0; i < bytes.length; i++) parser.write(bytes.subarray(i, i + 1));
      expect(errors).toEqual([]);
      expect(stanzas).toHaveLength(1);
      expect(stanzas[0]?.getChildText('body')).toBe('héllo wörld');
    });

    it('ignores whitespace keepalives between stanzas', () => {
      const { parser, stanzas, errors } = openStream();
      parser.write(' \n ');
      parser.write('\t<presence/>\r\n  ');
      parser.write(' ');
      parser.write('<presence/>');
      expect(errors).toEqual([]);
      expect(stanzas).toHaveLength(2);
    });

    it('refuses text other than whitespace between stanzas with not-well-formed', () => {
      const { parser, errors } = openStream();
      parser.write('hello<presence/>');
      expect(errors.map((e) => e.condition)).toEqual(['not-well-formed']);
    });

    it('reports the end of the stream when the peer closes it', () => {
      const stream = openStream();
      stream.parser.write('<presence/></stream:stream>');
      expect(stream.stanzas).toHaveLength(1);
      expect(stream.ended).toBe(1);
      stream.parser.write('<presence/>');
      expect(stream.stanzas).toHaveLength(1);
      expect(stream.errors).toEqual([]);
    });
  });

  describe('limits', () => {
    it('accepts a stanza of exactly the byte limit, counting UTF-8 bytes', () => {
      const stanza = '<message><body>€€€</body></message>'; // 35 characters, 41 bytes
      const accepted = openStream({ maxStanzaBytes: 41 });
      accepted.parser.write(stanza);
      expect(accepted.errors).toEqual([]);
      expect(accepted.stanzas).toHaveLength(1);

      const refused = openStream({ maxStanzaBytes: 40 });
      refused.parser.write(stanza);
      expect(refused.errors.map((e) => e.condition)).toEqual(['policy-violation']);
      expect(refused.stanzas).toEqual([]);
    });

    it('measures a stanza written byte by byte after whitespace the same as one written whole', () => {
      const stanza = Buffer.from('<message><body>€€€</body></message>'); // 41 bytes
      const accepted = openStream({ maxStanzaBytes: 41 });
      accepted.parser.write(' \n');
      for (let i = 0; i < stanza.length; i++) accepted.parser.write(stanza.subarray(i, i + 1));
      expect(accepted.errors).toEqual([]);
      expect(accepted.stanzas).toHaveLength(1);

      const refused = openStream({ maxStanzaBytes: 40 });
      refused.parser.write(' \n');
      for (let i = 0; i < stanza.length; i++) refused.parser.write(stanza.subarray(i, i + 1));
      expect(refused.errors.map((e) => e.condition)).toEqual(['policy-violation']);
    });

    it('refuses a stanza over the limit that arrives in a single write', () => {
      const { parser, stanzas, errors } = openStream({ maxStanzaBytes: 100 });
      parser.write(`<message><body>${'x'.repeat(200)}</body></message><presence/>`);
      expect(errors.map((e) => e.condition)).toEqual(['policy-violation']);
      expect(errors[0]?.text).toMatch(/100 bytes/);
      expect(stanzas).toEqual([]);
    });

    it('refuses a stanza over the limit before it is complete', () => {
      const { parser, errors } = openStream({ maxStanzaBytes: 100 });
      parser.write('<message><body>');
      for (let i = 0; i < 10 && errors.length === 0; i++) parser.write('x'.repeat(20));
      expect(errors.map((e) => e.condition)).toEqual(['policy-violation']);
    });

    it('refuses an endless attribute value inside the stream header', () => {
      const { parser, errors } = collect({ maxStanzaBytes: 100 });
      parser.write("<stream:stream xmlns='jabber:client' to='");
      for (let i = 0; i < 10 && errors.length === 0; i++) parser.write('a'.repeat(20));
      expect(errors.map((e) => e.condition)).toEqual(['policy-violation']);
    });

    it('ignores whitespace keepalives however many arrive, without holding on to them', () => {
      const { parser, stanzas, errors } = openStream({ maxStanzaBytes: 100 });
      parser.write('<presence/>');
      for (let i = 0; i < 1000; i++) parser.write(' '.repeat(20));
      parser.write('<message><body>still here</body></message>');
      expect(errors).toEqual([]);
      expect(stanzas.map((s) => s.name)).toEqual(['presence', 'message']);
    });

    it('accepts nesting up to the depth limit, counting the stanza as depth 1', () => {
      const { parser, stanzas, errors } = openStream({ maxDepth: 3 });
      parser.write('<message><a><b/></a></message>');
      expect(errors).toEqual([]);
      expect(stanzas).toHaveLength(1);
    });

    it('refuses nesting beyond the depth limit with policy-violation', () => {
      const { parser, stanzas, errors } = openStream({ maxDepth: 3 });
      parser.write('<message><a><b><c/></b></a></message>');
      expect(errors.map((e) => e.condition)).toEqual(['policy-violation']);
      expect(stanzas).toEqual([]);
    });

    it('refuses an element with more attributes than the limit with policy-violation', () => {
      // The client header has five attributes, namespace declarations included.
      const accepted = openStream({ maxAttributes: 5 });
      accepted.parser.write("<message a='1' b='2' c='3' d='4' e='5'/>");
      expect(accepted.errors).toEqual([]);

      const refused = openStream({ maxAttributes: 5 });
      refused.parser.write("<message><x a='1' b='2' c='3' d='4' e='5' f='6'/></message>");
      expect(refused.errors.map((e) => e.condition)).toEqual(['policy-violation']);
      expect(refused.stanzas).toEqual([]);
    });
  });

  describe('restricted and broken XML', () => {
    it('refuses a DOCTYPE with restricted-xml', () => {
      const { parser, errors } = collect();
      parser.write("<?xml version='1.0'?><!DOCTYPE stream>");
      expect(errors.map((e) => e.condition)).toEqual(['restricted-xml']);
    });

    it('refuses entity declarations (billion laughs) with restricted-xml', () => {
      const { parser, errors, headers } = collect();
      parser.write(
        "<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'><!ENTITY lol2 '&lol;&lol;&lol;&lol;&lol;'>]>" +
          "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>&lol2;",
      );
      expect(errors.map((e) => e.condition)).toEqual(['restricted-xml']);
      expect(headers).toEqual([]);
    });

    it('refuses a DOCTYPE inside the stream with restricted-xml', () => {
      const { parser, errors } = openStream();
      parser.write('<!DOCTYPE message>');
      expect(errors.map((e) => e.condition)).toEqual(['restricted-xml']);
    });

    it('refuses a reference to an undefined entity with restricted-xml', () => {
      const { parser, errors } = openStream();
      parser.write('<message><body>&nbsp;</body></message>');
      expect(errors.map((e) => e.condition)).toEqual(['restricted-xml']);
    });

    it('refuses a processing instruction with restricted-xml', () => {
      const { parser, errors } = openStream();
      parser.write("<message><?php echo 'hi'; ?></message>");
      expect(errors.map((e) => e.condition)).toEqual(['restricted-xml']);
    });

    it('refuses a comment with restricted-xml', () => {
      const { parser, errors, stanzas } = openStream();
      parser.write('<message><!-- hello --></message>');
      expect(errors.map((e) => e.condition)).toEqual(['restricted-xml']);
      expect(stanzas).toEqual([]);
    });

    it('hands over the stanza that came just before restricted markup in the same read', () => {
      // Found by the fuzzer (test/fuzz): the stanza used to be lost when the markup after it
      // arrived in the same read, and delivered when it arrived in the next.
      const { parser, errors, stanzas } = openStream();
      parser.write("<presence/><?php echo 'hi'; ?>");
      expect(stanzas.map((s) => s.name)).toEqual(['presence']);
      expect(errors.map((e) => e.condition)).toEqual(['restricted-xml']);
    });

    it('refuses mismatched tags with not-well-formed without emitting the stanza', () => {
      const { parser, errors, stanzas } = openStream();
      parser.write('<message><body>hi</message>');
      expect(errors.map((e) => e.condition)).toEqual(['not-well-formed']);
      expect(stanzas).toEqual([]);
    });

    it('refuses a first-level end tag naming another element without emitting the stanza', () => {
      const { parser, errors, stanzas } = openStream();
      parser.write('<message></iq>');
      expect(errors.map((e) => e.condition)).toEqual(['not-well-formed']);
      expect(stanzas).toEqual([]);
    });

    it('refuses a stream end tag that does not match the header', () => {
      const stream = openStream();
      stream.parser.write('</stream:features>');
      expect(stream.errors.map((e) => e.condition)).toEqual(['not-well-formed']);
      expect(stream.ended).toBe(0);
    });

    it('refuses an unbound prefix inside a stanza with bad-namespace-prefix', () => {
      const { parser, errors } = openStream();
      parser.write('<message><foo:bar/></message>');
      expect(errors.map((e) => e.condition)).toEqual(['bad-namespace-prefix']);
    });

    it('refuses characters XML does not allow with not-well-formed', () => {
      const { parser, errors } = openStream();
      parser.write('<message><body>\u0001</body></message>');
      expect(errors.map((e) => e.condition)).toEqual(['not-well-formed']);
    });

    it('refuses invalid UTF-8 with unsupported-encoding', () => {
      const { parser, errors } = openStream();
      parser.write(Buffer.from([0x3c, 0x6d, 0xff, 0xfe, 0x3e]));
      expect(errors.map((e) => e.condition)).toEqual(['unsupported-encoding']);
    });

    it('delivers a stanza that came before an error in the same write', () => {
      const { parser, errors, stanzas } = openStream();
      parser.write('<presence/><message><!-- no --></message>');
      expect(stanzas.map((s) => s.name)).toEqual(['presence']);
      expect(errors.map((e) => e.condition)).toEqual(['restricted-xml']);
    });

    it('reports only the first error and ignores input after it', () => {
      const { parser, errors, stanzas } = openStream();
      parser.write('<message><!-- one --><!-- two --></iq>');
      parser.write('<presence/><!-- three -->');
      expect(errors).toHaveLength(1);
      expect(stanzas).toEqual([]);
    });
  });

  describe('stream restarts', () => {
    it('accepts a new stream header after reset()', () => {
      const { parser, headers, stanzas, errors } = openStream();
      parser.write("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGp1bGlldABy</auth>");
      parser.reset();
      parser.write(clientHeader);
      parser.write('<presence/>');
      expect(errors).toEqual([]);
      expect(headers).toHaveLength(2);
      expect(stanzas.map((s) => s.name)).toEqual(['auth', 'presence']);
    });

    it('discards the rest of the chunk when reset() is called from a stanza handler', () => {
      const headers: StreamHeader[] = [];
      const stanzas: Element[] = [];
      const errors: StreamError[] = [];
      const parser: XmlStreamParser = new XmlStreamParser(defaultLimits, {
        streamStart: (header) => headers.push(header),
        stanza: (element) => {
          stanzas.push(element);
          if (element.name === 'starttls') parser.reset();
        },
        streamEnd: () => {},
        error: (error) => errors.push(error),
      });
      parser.write(clientHeader);
      // Plaintext injected after <starttls/> must never reach the new stream (RFC 6120 §5.4.3.3).
      parser.write(`<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>${clientHeader}<message/>`);
      expect(stanzas.map((s) => s.name)).toEqual(['starttls']);
      expect(headers).toHaveLength(1);
      parser.write(clientHeader);
      parser.write('<presence/>');
      expect(errors).toEqual([]);
      expect(headers).toHaveLength(2);
      expect(stanzas.map((s) => s.name)).toEqual(['starttls', 'presence']);
    });

    it('starts the new stream with a fresh UTF-8 decoder', () => {
      const { parser, errors, headers } = openStream();
      parser.write(Buffer.from([0xe2, 0x82])); // the first two bytes of '€'
      parser.reset();
      parser.write(Buffer.from(clientHeader));
      expect(errors).toEqual([]);
      expect(headers).toHaveLength(2);
    });
  });
});

describe('completeUtf8Length', () => {
  it('keeps back only the start of a character the next read completes', () => {
    const euro = [0xe2, 0x82, 0xac];
    const party = [0xf0, 0x9f, 0x8e, 0x89];
    expect(completeUtf8Length(Buffer.from('abc'))).toBe(3);
    expect(completeUtf8Length(Buffer.from([]))).toBe(0);
    expect(completeUtf8Length(Buffer.from([0x61, ...euro]))).toBe(4);
    expect(completeUtf8Length(Buffer.from([0x61, ...euro.slice(0, 2)]))).toBe(1);
    expect(completeUtf8Length(Buffer.from([0x61, euro[0]!]))).toBe(1);
    expect(completeUtf8Length(Buffer.from([0x61, ...party.slice(0, 3)]))).toBe(1);
    expect(completeUtf8Length(Buffer.from([0x61, ...party]))).toBe(5);
    expect(completeUtf8Length(Buffer.from([0xc3]))).toBe(0);
  });

  it('leaves bytes that can never begin a character for the decoder to refuse', () => {
    expect(completeUtf8Length(Buffer.from([0x61, 0xff]))).toBe(2);
    expect(completeUtf8Length(Buffer.from([0x61, 0x80, 0x80, 0x80]))).toBe(4);
  });
});

describe('XmlStreamParser and saxes', () => {
  it('shares the state table and the predefined namespaces between parsers, as they are the same for all', () => {
    // StreamSax puts the first parser's table and prefix map on every other (600 bytes less per
    // connection). Both must stay what saxes builds identically for each parser: the table only
    // SaxesParser.prototype's own methods, the map only the xml and xmlns prefixes.
    const first = collect().parser;
    const second = collect().parser;
    expect(sharesSaxesConstants(first) && sharesSaxesConstants(second)).toBe(true);
    const fresh = new SaxesParser({ xmlns: true, position: true }) as unknown as { stateTable: unknown[]; ns: Record<string, string>; ENTITIES: object };
    const prototypeMethods = new Set(Object.getOwnPropertyNames(SaxesParser.prototype).map((name) => (SaxesParser.prototype as unknown as Record<string, unknown>)[name]));
    expect(fresh.stateTable.length).toBeGreaterThan(10);
    expect(fresh.stateTable.every((state) => typeof state === 'function' && prototypeMethods.has(state))).toBe(true);
    expect({ ...fresh.ns }).toEqual({ xml: 'http://www.w3.org/XML/1998/namespace', xmlns: 'http://www.w3.org/2000/xmlns/' });
    expect(Object.keys(fresh.ENTITIES)).toEqual([]);
    const shared = (first as unknown as { sax: { stateTable: unknown[] } }).sax.stateTable;
    expect(shared).toEqual(fresh.stateTable);
  });

  it("shares the stream header's namespace map, and lets go of each stanza's tags once it is handed over", () => {
    const first = openStream();
    const second = openStream();
    first.parser.write("<message to='a@example.com'><body xmlns:x='urn:x'>hi</body></message>");
    first.parser.write("<presence xmlns:y='urn:y'/>");
    expect(first.stanzas.map((s) => s.name)).toEqual(['message', 'presence']);
    type Open = { tags: Array<{ name: string; ns: object }>; tag: { name: string } | null; topNS: object };
    const saxOf = (parser: XmlStreamParser) => (parser as unknown as { sax: Open }).sax;
    const sax = saxOf(first.parser);
    expect(sax.tags.map((tag) => tag.name)).toEqual(['stream:stream']);
    expect(sax.tag?.name).toBe('stream:stream');
    expect(sax.topNS).toBe(sax.tags[0]!.ns);
    expect(sax.topNS).toBe(saxOf(second.parser).topNS);
    expect(Object.isFrozen(sax.topNS)).toBe(true);
    // Prefixes declared on the header still resolve inside later stanzas.
    first.parser.write('<stream:error/>');
    expect(first.errors).toEqual([]);
    expect(first.stanzas[2]?.attrs.xmlns).toBe('http://etherx.jabber.org/streams');
  });

  it('gives each parser handler properties of its own only for the handlers saxes calls detached', () => {
    const { parser } = collect();
    const sax = (parser as unknown as { sax: object }).sax;
    const own = Object.values(saxesHandlerSlot).filter((slot) => Object.hasOwn(sax, slot));
    expect(own.sort()).toEqual(['closeTagHandler', 'errorHandler', 'textHandler']);
    for (const slot of Object.values(saxesHandlerSlot)) expect(typeof (sax as Record<string, unknown>)[slot], slot).toBe('function');
  });

  it('sets each handler in the property where saxes itself keeps it', () => {
    // StreamSax defines saxes' handler properties on its prototype instead of calling on() (which
    // turns each parser into a slow dictionary object); a saxes that renamed them would go deaf.
    for (const [event, slot] of Object.entries(saxesHandlerSlot)) {
      const sax = new SaxesParser({ xmlns: true });
      const handler = () => {};
      sax.on(event as 'text', handler);
      expect((sax as unknown as Record<string, unknown>)[slot], event).toBe(handler);
    }
  });
});
