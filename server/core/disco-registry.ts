// What each host (the domain, later components like conference.<domain>) says about itself in
// service discovery (XEP-0030). Modules declare; the disco module answers from here.
import type { Element } from 'ltx';

export interface DiscoIdentity {
  category: string;
  type: string;
  name?: string;
}

export interface DiscoInfo {
  identities: DiscoIdentity[];
  features: string[];
  extensions: Element[];
}

interface HostInfo {
  identities: DiscoIdentity[];
  features: Set<string>;
  extensions: Element[];
  items: Array<{ jid: string; name?: string }>;
}

export class DiscoRegistry {
  private readonly hosts = new Map<string, HostInfo>();
  private changes = 0;

  /** Bumped by every change, so what is derived from the registry (the caps hash) knows to recompute. */
  get revision(): number {
    return this.changes;
  }

  private host(jid: string): HostInfo {
    let info = this.hosts.get(jid);
    if (!info) {
      info = { identities: [], features: new Set(), extensions: [], items: [] };
      this.hosts.set(jid, info);
    }
    return info;
  }

  addFeature(jid: string, feature: string): void {
    this.host(jid).features.add(feature);
    this.changes++;
  }

  addIdentity(jid: string, identity: DiscoIdentity): void {
    this.host(jid).identities.push(identity);
    this.changes++;
  }

  addExtension(jid: string, form: Element): void {
    this.host(jid).extensions.push(form);
    this.changes++;
  }

  /** Takes back a form given to addExtension (one that changes at run time, e.g. the onion address). */
  removeExtension(jid: string, form: Element): void {
    const info = this.host(jid);
    const before = info.extensions.length;
    info.extensions = info.extensions.filter((existing) => existing !== form);
    if (info.extensions.length !== before) this.changes++;
  }

  addItem(jid: string, item: { jid: string; name?: string }): void {
    this.host(jid).items.push(item);
    this.changes++;
  }

  info(jid: string): DiscoInfo {
    const info = this.host(jid);
    return { identities: [...info.identities], features: [...info.features].sort(), extensions: [...info.extensions] };
  }

  items(jid: string): Array<{ jid: string; name?: string }> {
    return [...this.host(jid).items];
  }
}
