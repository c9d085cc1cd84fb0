// XEP-0199: XMPP Ping — https://xmpp.org/extensions/xep-0199.html
import type { IqEvent } from '../core/events.js';
import { defineModule } from '../core/module-host.js';
import { NS } from '../util/namespaces.js';
import { iqResult } from '../util/stanza.js';

export default defineModule({
  name: 'ping',
  setup(mod) {
    mod.addFeature(NS.ping);
    const pong = ({ stanza, reply }: IqEvent) => {
      reply(iqResult(stanza));
      return true;
    };
    mod.hook(`iq-get/host/${NS.ping}:ping`, pong);
    // A client pinging without a `to` (or its own bare JID) is checking its server connection too.
    mod.hook(`iq-get/self/${NS.ping}:ping`, pong);
  },
});
