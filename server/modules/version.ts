// XEP-0092: Software Version — https://xmpp.org/extensions/xep-0092.html
// The operating system is left out on purpose (the XEP makes it optional): it helps attackers more than users.
import { Element } from 'ltx';
import { defineModule } from '../core/module-host.js';
import { NS } from '../util/namespaces.js';
import { iqResult } from '../util/stanza.js';
import { hearthVersion } from '../util/version.js';

export default defineModule({
  name: 'version',
  setup(mod) {
    mod.addFeature(NS.version);
    mod.hook(`iq-get/host/${NS.version}:query`, ({ stanza, reply }) => {
      const query = new Element('query', { xmlns: NS.version });
      query.c('name').t('Hearth');
      query.c('version').t(hearthVersion);
      reply(iqResult(stanza, query));
      return true;
    });
  },
});
