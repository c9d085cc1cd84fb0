// XEP-0199: XMPP Ping — https://xmpp.org/extensions/xep-0199.html
import { defineModule } from '../core/module-host.js';
import { NS } from '../util/namespaces.js';
import { iqResult } from '../util/stanza.js';

export default defineModule({
  name: 'ping',
  setup(mod) {
    mod.addFeature(NS.ping);
    mod.hook(`iq-get/host/${NS.ping}:ping`, ({ stanza, reply }) => {
      reply(iqResult(stanza));
      return true;
    });
  },
});
