import { parse, type Element } from 'ltx';
import { describe, expect, it } from 'vitest';
import { mergeVcard4IntoVcardTemp, vcardTempToVcard4 } from '../../../server/util/vcard-conversion.js';
import { serialize } from '../../../server/util/xml.js';

function xml(text: string): Element {
  return parse(text.replace(/>\s+</g, '><').trim()) as Element;
}

describe('vcard-temp to vCard4', () => {
  it('maps the profile properties as XEP-0292 §7 describes', () => {
    const temp = xml(`
      <vCard xmlns='vcard-temp'>
        <FN>Peter Saint-Andre</FN>
        <N><FAMILY>Saint-Andre</FAMILY><GIVEN>Peter</GIVEN><MIDDLE/></N>
        <NICKNAME>stpeter</NICKNAME>
        <BDAY>1966-08-06</BDAY>
        <TEL><WORK/><VOICE/><PREF/><NUMBER>303-308-3282</NUMBER></TEL>
        <TEL><HOME/><FAX/><NUMBER/></TEL>
        <EMAIL><INTERNET/><PREF/><USERID>stpeter@jabber.org</USERID></EMAIL>
        <JABBERID>stpeter@jabber.org</JABBERID>
        <URL>https://stpeter.im/</URL>
        <DESC>More information about me</DESC>
        <ORG><ORGNAME>XMPP Standards Foundation</ORGNAME></ORG>
      </vCard>`);
    expect(serialize(vcardTempToVcard4(temp))).toBe(
      serialize(
        xml(`
      <vcard xmlns='urn:ietf:params:xml:ns:vcard-4.0'>
        <fn><text>Peter Saint-Andre</text></fn>
        <n><surname>Saint-Andre</surname><given>Peter</given><additional></additional><prefix></prefix><suffix></suffix></n>
        <nickname><text>stpeter</text></nickname>
        <bday><date>1966-08-06</date></bday>
        <tel>
          <parameters><type><text>work</text><text>voice</text></type><pref><integer>1</integer></pref></parameters>
          <uri>tel:303-308-3282</uri>
        </tel>
        <email><parameters><pref><integer>1</integer></pref></parameters><text>stpeter@jabber.org</text></email>
        <impp><uri>xmpp:stpeter@jabber.org</uri></impp>
        <url><uri>https://stpeter.im/</uri></url>
        <note><text>More information about me</text></note>
      </vcard>`),
      ),
    );
  });

  it('leaves out empty properties', () => {
    const temp = xml(`<vCard xmlns='vcard-temp'><FN/><NICKNAME> </NICKNAME><N><GIVEN/></N><EMAIL><INTERNET/></EMAIL></vCard>`);
    expect(vcardTempToVcard4(temp).children).toEqual([]);
  });
});

describe('vCard4 into vcard-temp', () => {
  it('replaces the profile properties and keeps the others', () => {
    const card = xml(`
      <vcard xmlns='urn:ietf:params:xml:ns:vcard-4.0'>
        <fn><text>Juliet Capulet</text></fn>
        <n><surname>Capulet</surname><given>Juliet</given></n>
        <nickname><text>jc</text></nickname>
        <tel><parameters><type><text>cell</text></type><pref><integer>1</integer></pref></parameters><uri>tel:+39-045-555-0100</uri></tel>
        <email><parameters><type><text>home</text></type></parameters><text>juliet@example.org</text></email>
        <impp><uri>xmpp:juliet@capulet.lit?message</uri></impp>
        <impp><uri>sip:juliet@capulet.lit</uri></impp>
        <url><uri>https://capulet.lit/</uri></url>
        <note><text>Wherefore art thou</text></note>
      </vcard>`);
    const temp = xml(`
      <vCard xmlns='vcard-temp'>
        <FN>Old Name</FN>
        <NICKNAME>old</NICKNAME>
        <DESC>old description</DESC>
        <PHOTO><TYPE>image/png</TYPE><BINVAL>iVBORw0KGgo=</BINVAL></PHOTO>
        <ADR><LOCALITY>Verona</LOCALITY></ADR>
      </vCard>`);
    expect(serialize(mergeVcard4IntoVcardTemp(card, temp))).toBe(
      serialize(
        xml(`
      <vCard xmlns='vcard-temp'>
        <FN>Juliet Capulet</FN>
        <N><FAMILY>Capulet</FAMILY><GIVEN>Juliet</GIVEN></N>
        <NICKNAME>jc</NICKNAME>
        <TEL><CELL/><PREF/><NUMBER>+39-045-555-0100</NUMBER></TEL>
        <EMAIL><INTERNET/><HOME/><USERID>juliet@example.org</USERID></EMAIL>
        <JABBERID>juliet@capulet.lit</JABBERID>
        <URL>https://capulet.lit/</URL>
        <DESC>Wherefore art thou</DESC>
        <PHOTO><TYPE>image/png</TYPE><BINVAL>iVBORw0KGgo=</BINVAL></PHOTO>
        <ADR><LOCALITY>Verona</LOCALITY></ADR>
      </vCard>`),
      ),
    );
  });

  it('makes a new vcard-temp when there was none', () => {
    const card = xml(`<vcard xmlns='urn:ietf:params:xml:ns:vcard-4.0'><fn><text>Romeo</text></fn></vcard>`);
    expect(serialize(mergeVcard4IntoVcardTemp(card, undefined))).toBe(`<vCard xmlns="vcard-temp"><FN>Romeo</FN></vCard>`);
  });

  it('survives the round trip back to vCard4 unchanged', () => {
    const card = xml(`
      <vcard xmlns='urn:ietf:params:xml:ns:vcard-4.0'>
        <fn><text>Juliet Capulet</text></fn>
        <nickname><text>jc</text></nickname>
        <tel><parameters><type><text>home</text><text>voice</text></type></parameters><uri>tel:+39-045-555-0100</uri></tel>
        <email><text>juliet@example.org</text></email>
        <url><uri>https://capulet.lit/</uri></url>
        <note><text>Wherefore art thou</text></note>
      </vcard>`);
    expect(serialize(vcardTempToVcard4(mergeVcard4IntoVcardTemp(card, undefined)))).toBe(serialize(card));
  });
});
