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
  }

  addIdentity(jid: string, identity: DiscoIdentity): void {
    this.host(jid).identities.push(identity);
  }

  addExtension(jid: string, form: Element): void {
    this.host(jid).extensions.push(form);
  }

  addItem(jid: string, item: { jid: string; name?: string }): void {
    this.host(jid).items.push(item);
  }

  info(jid: string): DiscoInfo {
    const info = this.host(jid);
    return { identities: [...info.identities], features: [...info.features].sort(), extensions: [...info.extensions] };
  }

  items(jid: string): Array<{ jid: string; name?: string }> {
    return [...this.host(jid).items];
  }
}
