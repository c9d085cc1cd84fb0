import { describe, expect, it } from 'vitest';
import { attribute, childTag, childTags, childText, elementName, StanzaSplitter } from '../../bench/client/stanza-splitter.js';

function split(chunks: string[]) {
  const events: string[] = [];
  const splitter = new StanzaSplitter({
    streamOpen: (tag) => events.push(`open ${elementName(tag)}`),
    element: (xml) => events.push(xml),
    streamClose: () => events.push('close'),
  });
  for (const chunk of chunks) splitter.push(chunk);
  return events;
}

const stream = `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='s1' version='1.0'>`;

describe('StanzaSplitter', () => {
  it('yields the stream header, each top-level element and the stream end', () => {
    const message = `<message from='a@localhost/x' type='chat'><body>hi</body></message>`;
    expect(split([`${stream}<stream:features><sm xmlns='urn:xmpp:sm:3'/></stream:features>${message}<r xmlns='urn:xmpp:sm:3'/></stream:stream>`])).toEqual([
      'open stream:stream',
      `<stream:features><sm xmlns='urn:xmpp:sm:3'/></stream:features>`,
      message,
      `<r xmlns='urn:xmpp:sm:3'/>`,
      'close',
    ]);
  });

  it('reassembles elements cut anywhere, even one character at a time', () => {
    const message = `<message id='m1'><body>a &lt; b &amp; c</body><x a="1&gt;0" b='it&apos;s'/></message>`;
    const text = `${stream}${message}<presence/>`;
    expect(split([...text])).toEqual(['open stream:stream', message, '<presence/>']);
  });

  it('does not end a tag at a > inside a quoted attribute value', () => {
    const iq = `<iq id='1' note='a>b' type="result"><query note="c>d"/></iq>`;
    expect(split([stream, iq.slice(0, 15), iq.slice(15)])).toEqual(['open stream:stream', iq]);
  });

  it('starts over at a restarted stream (after SASL success)', () => {
    expect(split([`${stream}<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>`, `${stream}<stream:features><bind/></stream:features>`])).toEqual([
      'open stream:stream',
      `<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>`,
      'open stream:stream',
      '<stream:features><bind/></stream:features>',
    ]);
  });

  it('keeps nested elements of the same name inside their stanza (MAM results)', () => {
    const result = `<message to='r@l'><result xmlns='urn:xmpp:mam:2' queryid='q1' id='5'><forwarded xmlns='urn:xmpp:forward:0'><message from='s@l'><body>x</body></message></forwarded></result></message>`;
    expect(split([stream, result, '<iq type="result" id="q1"/>'])).toEqual(['open stream:stream', result, '<iq type="result" id="q1"/>']);
  });
});

describe('reading received elements', () => {
  const xml = `<message from='room@conference.localhost/n1' type="groupchat" id='a&amp;b'><body>g1.5 Photos &amp; more</body><stanza-id xmlns='urn:xmpp:sid:0' by='room@conference.localhost' id='r1'/><stanza-id xmlns='urn:xmpp:sid:0' by='me@localhost' id='u1'/><bodyx>no</bodyx></message>`;

  it('reads attributes of the top element only, decoded', () => {
    expect(elementName(xml)).toBe('message');
    expect(attribute(xml, 'type')).toBe('groupchat');
    expect(attribute(xml, 'id')).toBe('a&b');
    expect(attribute(xml, 'by')).toBeUndefined();
  });

  it('reads a child element by its exact name', () => {
    expect(childText(xml, 'body')).toBe('g1.5 Photos & more');
    expect(childText(xml, 'subject')).toBeUndefined();
    expect(childText(`<message><body/></message>`, 'body')).toBe('');
    expect(attribute(childTag(xml, 'stanza-id')!, 'id')).toBe('r1');
    expect(childTags(xml, 'stanza-id').map((tag) => attribute(tag, 'by'))).toEqual(['room@conference.localhost', 'me@localhost']);
  });
});
