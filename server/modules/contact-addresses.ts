// XEP-0157: Contact Addresses for XMPP Services — https://xmpp.org/extensions/xep-0157.html
// The addresses from the contactInfo setting, in the server's disco#info as a serverinfo form
// (XEP-0128), so people on other servers know whom to tell about abuse or an outage.
import { Element } from 'ltx';
import { defineModule } from '../core/module-host.js';
import { NS } from '../util/namespaces.js';

export const serverInfoFormType = 'http://jabber.org/network/serverinfo';

export default defineModule({
  name: 'contact-addresses',
  setup(mod) {
    const kinds = Object.entries(mod.config.contactInfo).filter((entry): entry is [string, string[]] => entry[1] !== undefined && entry[1].length > 0);
    if (kinds.length === 0) return;
    const form = new Element('x', { xmlns: NS.dataForms, type: 'result' });
    form.c('field', { var: 'FORM_TYPE', type: 'hidden' }).c('value').t(serverInfoFormType);
    // §3: one field per role, "<role>-addresses", each value a URI.
    for (const [kind, uris] of kinds) {
      const field = form.c('field', { var: `${kind}-addresses` });
      for (const uri of uris) field.c('value').t(uri);
    }
    mod.addExtension(form);
  },
});
