import { parse, type Element } from 'ltx';
import { describe, expect, it } from 'vitest';
import { capsVerification } from '../../../server/util/caps.js';

describe('XEP-0115 verification string', () => {
  it('matches the simple example of §5.2', () => {
    const ver = capsVerification({
      identities: [{ category: 'client', type: 'pc', name: 'Exodus 0.9.1' }],
      features: ['http://jabber.org/protocol/caps', 'http://jabber.org/protocol/disco#info', 'http://jabber.org/protocol/disco#items', 'http://jabber.org/protocol/muc'],
      extensions: [],
    });
    expect(ver).toBe('QgayPKawpkPSDYmwT/WM94uAlu0=');
  });

  it('matches the complex example of §5.3, with languages and a form', () => {
    const form = parse(`<x xmlns='jabber:x:data' type='result'>
      <field var='FORM_TYPE' type='hidden'><value>urn:xmpp:dataforms:softwareinfo</value></field>
      <field var='ip_version' type='text-multi'><value>ipv4</value><value>ipv6</value></field>
      <field var='os'><value>Mac</value></field>
      <field var='os_version'><value>10.5.1</value></field>
      <field var='software'><value>Psi</value></field>
      <field var='software_version'><value>0.11</value></field>
    </x>`) as Element;
    const ver = capsVerification({
      identities: [
        { category: 'client', type: 'pc', name: 'Psi 0.11', lang: 'en' },
        { category: 'client', type: 'pc', name: 'Ψ 0.11', lang: 'el' },
      ],
      features: ['http://jabber.org/protocol/caps', 'http://jabber.org/protocol/disco#info', 'http://jabber.org/protocol/disco#items', 'http://jabber.org/protocol/muc'],
      extensions: [form],
    });
    expect(ver).toBe('q07IKJEyjvHSyhy//CH0CxmKi8w=');
  });
});
