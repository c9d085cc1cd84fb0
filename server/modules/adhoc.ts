// XEP-0050: Ad-Hoc Commands — https://xmpp.org/extensions/xep-0050.html
// The list of the server's commands and what is common to all of them. Each command belongs to
// the module that offers it: it adds itself to the list through the `adhoc/list` event (so it can
// leave out people who may not run it) and answers its own executions by node.
import { Element } from 'ltx';
import type { IqEvent } from '../core/events.js';
import { defineModule } from '../core/module-host.js';
import { StanzaError } from '../util/errors.js';
import type { Jid } from '../util/jid.js';
import { NS } from '../util/namespaces.js';
import { errorReply, iqResult } from '../util/stanza.js';

export const commandsNs = 'http://jabber.org/protocol/commands';

/** Above the disco module, which answers item-not-found for every node it does not know. */
const discoPriority = 10;

export default defineModule({
  name: 'adhoc',
  setup(mod) {
    mod.addFeature(commandsNs);

    /** Commands only for this server's own accounts (§4.5: a service may restrict them). */
    const commandsFor = (requester: Jid): Array<{ node: string; name: string }> => {
      if (requester.domain !== mod.host || requester.local === undefined) return [];
      const commands: Array<{ node: string; name: string }> = [];
      mod.fire('adhoc/list', { requester, commands });
      return commands;
    };

    // §2.2: the list is the server's disco#items for the commands node.
    mod.hook(
      `iq-get/host/${NS.discoItems}:query`,
      ({ stanza, payload, from, reply }: IqEvent) => {
        if (payload.attrs.node !== commandsNs) return undefined;
        const query = new Element('query', { xmlns: NS.discoItems, node: commandsNs });
        for (const command of commandsFor(from)) query.c('item', { jid: mod.host, node: command.node, name: command.name });
        reply(iqResult(stanza, query));
        return true;
      },
      discoPriority,
    );

    // §2.3: each command answers disco#info on its node.
    mod.hook(
      `iq-get/host/${NS.discoInfo}:query`,
      ({ stanza, payload, from, reply }: IqEvent) => {
        const node = payload.attrs.node as string | undefined;
        const command = node === undefined ? undefined : commandsFor(from).find((c) => c.node === node);
        if (!command) return undefined;
        const query = new Element('query', { xmlns: NS.discoInfo, node: command.node });
        query.c('identity', { category: 'automation', type: 'command-node', name: command.name });
        query.c('feature', { var: commandsNs });
        query.c('feature', { var: NS.dataForms });
        reply(iqResult(stanza, query));
        return true;
      },
      discoPriority,
    );

    // What no command module took: §4.6 a node nobody knows is item-not-found.
    mod.hook(
      `iq-set/host/${commandsNs}:command`,
      ({ stanza, reply }: IqEvent) => {
        reply(errorReply(stanza, new StanzaError('item-not-found', 'there is no such command')));
        return true;
      },
      -100,
    );
  },
});
