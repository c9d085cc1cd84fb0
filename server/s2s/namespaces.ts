// Namespaces of server-to-server streams, beside the core ones in util/namespaces.ts.
export const S2S_NS = {
  /** XEP-0220 §2: <db:result/> and <db:verify/> elements. */
  dialback: 'jabber:server:dialback',
  /** XEP-0220 §2.1: the stream feature that says the receiving server offers dialback. */
  dialbackFeature: 'urn:xmpp:features:dialback',
  /** XEP-0359: unique and stable stanza IDs, which a server must not accept from others under its own name. */
  stanzaId: 'urn:xmpp:sid:0',
} as const;
