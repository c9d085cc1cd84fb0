// Limited accounts (a child's, a guest's): the server, not the apps, keeps them at home. What a
// limited account sends to another server is refused before anything else sees it — messages,
// presence (so no contacts elsewhere: RFC 6121 subscriptions are presence) and requests, which
// covers joining group chats on other servers too (XEP-0045 §7.2 enters a room with presence).
// Creating invitations is refused where invitations are made (modules/invites).
import { Element } from 'ltx';
import type { StanzaEvent } from '../core/events.js';
import { defineModule, type ModuleApi } from '../core/module-host.js';
import { StanzaError } from '../util/errors.js';
import { canBounce, errorReply } from '../util/stanza.js';

/** Before every other handler of the same event. */
const policyPriority = 1000;

export function isLimited(mod: Pick<ModuleApi, 'storage'>, username: string | undefined): boolean {
  return username !== undefined && mod.storage.accounts.get(username)?.role === 'limited';
}

export default defineModule({
  name: 'limited-accounts',
  setup(mod) {
    const refuse = ({ stanza, origin, reply }: StanzaEvent) => {
      if (!isLimited(mod, origin?.username)) return undefined;
      // RFC 6120 §8.3.3.10 not-allowed: no one may do this, whatever they try.
      if (canBounce(stanza)) reply(refusal(stanza));
      return true;
    };
    for (const kind of ['message', 'presence', 'iq'] as const) mod.hook(`pre-remote/${kind}`, refuse, policyPriority);
  },
});

function refusal(stanza: Element): Element {
  const error = new StanzaError('not-allowed', 'this account can only talk with people on this server');
  return errorReply(stanza, error);
}
