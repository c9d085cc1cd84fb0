// Publishing the onion address (tor.advertise), for those who look: a service discovery
// extension form (XEP-0128, https://xmpp.org/extensions/xep-0128.html) in the server's
// disco#info, next to the XEP-0157 contact addresses. Off by default: an onion address nobody
// was given is not found by anyone, and the admin decides whether the server says it.
import { Element } from 'ltx';
import type { DiscoRegistry } from '../../core/disco-registry.js';

/** The form's FORM_TYPE: Hearth's own (no XEP registers one for onion addresses). */
export const onionFormType = 'https://hearth.chat/protocol/onion';

export function onionForm(onionAddress: string): Element {
  const form = new Element('x', { xmlns: 'jabber:x:data', type: 'result' });
  form.c('field', { var: 'FORM_TYPE', type: 'hidden' }).c('value').t(onionFormType);
  // Clients connect to it (ports 5222 and 5223) as the host of the usual domain.
  form.c('field', { var: 'onion-address' }).c('value').t(onionAddress);
  return form;
}

/** Keeps the server's disco#info in step with the address to advertise (or none). */
export class OnionAdvertisement {
  private form: Element | undefined;
  private address: string | undefined;

  constructor(
    private readonly disco: DiscoRegistry,
    private readonly host: string,
  ) {}

  update(address: string | undefined): void {
    if (address === this.address) return;
    if (this.form) this.disco.removeExtension(this.host, this.form);
    this.form = address ? onionForm(address) : undefined;
    this.address = address;
    if (this.form) this.disco.addExtension(this.host, this.form);
  }
}
