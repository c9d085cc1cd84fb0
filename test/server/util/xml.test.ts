import { describe, it, expect } from 'vitest';
import { Element } from 'ltx';
import { XmlStreamParser, type StreamHeader } from '../../../server/net/xml-stream.js';
import type { StreamError } from '../../../server/util/errors.js';
import { serialize, streamFooter, streamHeader } from '../../../server/util/xml.js';

const clientHeader = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";

/** Parses stream XML with the real stream parser. */
function parse(xml: string) {
  const headers: StreamHeader[] = [];
  const stanzas: Element[] = [];
  const errors: StreamError[] = [];
  const parser = new XmlStreamParser(
    { maxStanzaBytes: 100_000, maxDepth: 20, maxAttributes: 50 },
    {
      streamStart: (header) => headers.push(header),
      stanza: (element) => stanzas.push(element),
      streamEnd: () => {},
      error: (error) => errors.push(error),
    },
  );
  parser.write(xml);
  return { headers, stanzas, errors };
}

describe('serialize', () => {
  it('writes an element with attributes and children', () => {
    const message = new Element('message', { xmlns: 'jabber:client', to: 'juliet@example.com' });
    message.c('body').t('Hi');
    expect(serialize(message)).toBe('<message xmlns="jabber:client" to="juliet@example.com"><body>Hi</body></message>');
  });

  it('writes an empty element as self-closing and leaves out undefined attributes', () => {
    expect(serialize(new Element('presence', { type: undefined, id: 'p1' }))).toBe('<presence id="p1"/>');
  });

  it('escapes text and attributes so that parsing gives back the same values', () => {
    const tricky = `it's "quoted" <b>bold</b> & more > less`;
    const message = new Element('message', { id: tricky, 'xml:lang': 'en' });
    message.c('body').t(tricky);
    const { stanzas, errors } = parse(clientHeader + serialize(message));
    expect(errors).toEqual([]);
    expect(stanzas[0]?.attrs.id).toBe(tricky);
    expect(stanzas[0]?.getChildText('body')).toBe(tricky);
  });

  it('keeps tabs, line feeds and carriage returns through a round trip', () => {
    const value = 'a\tb\nc\r\nd\re';
    const message = new Element('message', { id: value });
    message.c('body').t(value);
    const { stanzas } = parse(clientHeader + serialize(message));
    expect(stanzas[0]?.attrs.id).toBe(value);
    expect(stanzas[0]?.getChildText('body')).toBe(value);
  });

  it('replaces characters XML cannot carry so the peer can still parse the stanza', () => {
    const message = new Element('message', { id: 'a\u0000b' });
    message.c('body').t('bell\u0007 and \uFFFF');
    const xml = serialize(message);
    expect(xml).toBe('<message id="a\uFFFDb"><body>bell\uFFFD and \uFFFD</body></message>');
    expect(parse(clientHeader + xml).errors).toEqual([]);
  });

  it('writes non-ASCII text as is', () => {
    expect(serialize(new Element('body').t('€ 🎉 héllo'))).toBe('<body>€ 🎉 héllo</body>');
  });
});

describe('streamHeader', () => {
  it('opens a client stream with the XML declaration and both namespaces', () => {
    expect(streamHeader({ from: 'example.com', id: 'abc', version: '1.0' })).toBe(
      "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' " +
        "from='example.com' id='abc' version='1.0'>",
    );
  });

  it('takes the content namespace as a parameter', () => {
    const { headers, errors } = parse(streamHeader({ from: 'example.com' }, 'jabber:server'));
    expect(errors).toEqual([]);
    expect(headers[0]?.defaultNamespace).toBe('jabber:server');
  });

  it('escapes attribute values so that parsing gives them back', () => {
    const tricky = `<'&">`;
    const { headers, errors } = parse(streamHeader({ from: 'example.com', id: tricky, 'xml:lang': 'en' }));
    expect(errors).toEqual([]);
    expect(headers[0]?.attributes).toEqual({ from: 'example.com', id: tricky, 'xml:lang': 'en' });
  });

  it('ignores attempts to redeclare the stream namespaces through attributes', () => {
    const header = streamHeader({ xmlns: 'jabber:iq:roster', 'xmlns:stream': 'urn:example', to: 'example.com' });
    expect(parse(header).headers[0]?.defaultNamespace).toBe('jabber:client');
  });
});

describe('streamFooter', () => {
  it('closes the stream', () => {
    const { errors } = parse(streamHeader({}) + streamFooter);
    expect(errors).toEqual([]);
    expect(streamFooter).toBe('</stream:stream>');
  });
});
