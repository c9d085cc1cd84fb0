// What each client wants notifications for (XEP-0163 §4 "filtered notifications"): learned from
// the XEP-0115 caps in its presence, resolved with a disco#info query when the verification
// string is new, and cached by that string once the hash checks out (XEP-0115 §5.4).
// XEP-0115: Entity Capabilities — https://xmpp.org/extensions/xep-0115.html
import { Element } from 'ltx';
import { capsVerification, type CapsInput } from '../../util/caps.js';
import { NS } from '../../util/namespaces.js';

export interface Caps {
  node: string;
  ver: string;
  hash: string | undefined;
}

/** The caps a presence stanza announces, if any. */
export function capsOf(presence: Element | undefined): Caps | undefined {
  const c = presence?.getChild('c', NS.caps);
  if (!c || typeof c.attrs.node !== 'string' || typeof c.attrs.ver !== 'string') return undefined;
  return { node: c.attrs.node, ver: c.attrs.ver, hash: typeof c.attrs.hash === 'string' ? c.attrs.hash : undefined };
}

export function sameCaps(a: Caps | undefined, b: Caps | undefined): boolean {
  return a?.node === b?.node && a?.ver === b?.ver && a?.hash === b?.hash;
}

/** Sends a disco#info query to a full JID and resolves with the <query/> of the result. */
export type DiscoInfoQuery = (jid: string, node: string) => Promise<Element>;

/** Verification strings remembered at most; a flood of made-up ones only evicts the oldest. */
const maxVerified = 1000;
const maxPerJid = 10_000;

export class CapsCache {
  /** "sha-1 <ver>" → features, for answers whose hash matched. */
  private readonly verified = new Map<string, Set<string>>();
  /** Answers that could not be verified (legacy caps, a wrong hash, an error) count only for the JID that gave them. */
  private readonly perJid = new Map<string, { key: string; features: Set<string> }>();
  private readonly pending = new Map<string, Promise<void>>();

  constructor(private readonly query: DiscoInfoQuery) {}

  /** The features behind `caps` for `jid`, or undefined while unknown. */
  features(jid: string, caps: Caps): Set<string> | undefined {
    const verified = caps.hash === 'sha-1' ? this.verified.get(verifiedKey(caps)) : undefined;
    if (verified) return verified;
    const own = this.perJid.get(jid);
    return own && own.key === jidKey(caps) ? own.features : undefined;
  }

  /** Learns the features behind `caps` by asking `jid`; resolves once features() knows them (empty on failure). */
  async resolve(jid: string, caps: Caps): Promise<void> {
    if (this.features(jid, caps)) return;
    if (caps.hash === 'sha-1') {
      const key = verifiedKey(caps);
      let shared = this.pending.get(key);
      if (!shared) {
        shared = this.ask(jid, caps).finally(() => this.pending.delete(key));
        this.pending.set(key, shared);
        return shared;
      }
      await shared;
      if (this.features(jid, caps)) return;
    }
    // Another client's answer did not verify, or these caps are not hashed: ask this one.
    const key = `${jid} ${jidKey(caps)}`;
    let own = this.pending.get(key);
    if (!own) {
      own = this.ask(jid, caps).finally(() => this.pending.delete(key));
      this.pending.set(key, own);
    }
    return own;
  }

  /** The client went away: what it told us about itself alone is no longer needed. */
  forget(jid: string): void {
    this.perJid.delete(jid);
  }

  private async ask(jid: string, caps: Caps): Promise<void> {
    let features = new Set<string>();
    let verified = false;
    try {
      const query = await this.query(jid, `${caps.node}#${caps.ver}`);
      const input = discoInfoOf(query);
      features = new Set(input.features);
      verified = caps.hash === 'sha-1' && capsVerification(input) === caps.ver;
    } catch {
      // No answer or an error: no interests, until the client announces other caps.
    }
    if (verified) {
      this.verified.set(verifiedKey(caps), features);
      if (this.verified.size > maxVerified) this.verified.delete(this.verified.keys().next().value!);
    } else {
      this.perJid.set(jid, { key: jidKey(caps), features });
      if (this.perJid.size > maxPerJid) this.perJid.delete(this.perJid.keys().next().value!);
    }
  }
}

function verifiedKey(caps: Caps): string {
  return `sha-1 ${caps.ver}`;
}

function jidKey(caps: Caps): string {
  return `${caps.hash ?? ''} ${caps.node} ${caps.ver}`;
}

function discoInfoOf(query: Element): CapsInput {
  return {
    identities: query.getChildren('identity').map((i) => ({
      category: String(i.attrs.category ?? ''),
      type: String(i.attrs.type ?? ''),
      name: typeof i.attrs.name === 'string' ? i.attrs.name : undefined,
      lang: typeof i.attrs['xml:lang'] === 'string' ? i.attrs['xml:lang'] : undefined,
    })),
    features: query.getChildren('feature').map((f) => String(f.attrs.var ?? '')),
    extensions: query.getChildren('x', NS.dataForms),
  };
}

/** A disco#info request for a node of a client (XEP-0115 §6.2). */
export function discoInfoRequest(to: string, node: string): Element {
  const iq = new Element('iq', { type: 'get', to });
  iq.c('query', { xmlns: NS.discoInfo, node });
  return iq;
}
