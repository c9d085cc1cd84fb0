// XEP-0379: Pre-Authenticated Roster Subscription — https://xmpp.org/extensions/xep-0379.html
// The server does for the inviter what §3.5 asks of the inviter's client: a subscription request
// carrying a valid token from the inviter's contact invitation is approved at once and answered
// with a request of the inviter's own (§3.5), so both end up subscribed without the inviter doing
// anything. An unknown, used or expired token is ignored and the request takes the usual way,
// waiting for the inviter's answer (§4.1, §5.2).
import { Element } from 'ltx';
import type { StanzaEvent } from '../../core/events.js';
import type { ModuleApi } from '../../core/module-host.js';
import { linkAccounts } from '../../core/mutual-subscription.js';
import { newRosterItem } from '../../core/storage/roster.js';
import { subscriptionHasTo } from '../../util/subscription-state.js';
import { parsNs } from './token-registration.js';
import { usableInvite } from './redeem.js';

/** Before the presence module (10), which would otherwise hold the request for the inviter. */
const priority = 20;

export function acceptPreauthenticatedSubscriptions(mod: ModuleApi): void {
  for (const target of ['bare', 'full'] as const) {
    // A request from an account here is seen on its way out: the presence module would pass it
    // on with only the children RFC 6121 keeps, without the token.
    mod.hook(`pre-presence/${target}`, (event) => handleSubscribe(mod, event), priority);
    // A request from another server arrives as it was sent.
    mod.hook(`presence/${target}`, (event) => (event.origin === undefined ? handleSubscribe(mod, event) : undefined), priority);
  }
}

function handleSubscribe(mod: ModuleApi, { stanza, from, to }: StanzaEvent): true | undefined {
  if (stanza.attrs.type !== 'subscribe' || to.local === undefined || to.domain !== mod.host) return undefined;
  const token = stanza.getChild('preauth', parsNs)?.attrs.token as string | undefined;
  if (token === undefined) return undefined;
  const usable = usableInvite(mod, token);
  // §3.4: only the inviter's own contact invitations authorize requests to the inviter.
  if (!usable.ok || usable.invite.kind !== 'contact' || usable.invite.inviter !== to.local) return undefined;
  const { invite } = usable;
  const inviter = to.local;
  const contact = from.bare;
  if (contact.toString() === `${inviter}@${mod.host}`) return undefined;
  if (!mod.storage.invites.use(invite.id)) return undefined;
  mod.log.info(`a contact invitation was accepted (invitation ${invite.id})`);

  if (contact.domain === mod.host && contact.local !== undefined && mod.storage.accounts.exists(contact.local)) {
    // Both accounts are here: the end state of §3.4-3.6 is written at once, and both are pushed.
    linkAccounts(mod, inviter, contact.local);
    return true;
  }
  // Another server: approve in advance (RFC 6121 §3.4 pre-approval) so the presence module answers
  // `subscribed` to this request, and ask back as §3.5 says.
  const contactJid = contact.toString();
  const item = mod.storage.roster.item(inviter, contactJid) ?? newRosterItem(contactJid);
  const askBack = !subscriptionHasTo(item.subscription);
  const version = mod.storage.roster.save(inviter, { ...item, listed: true, preApproved: true, askOut: item.askOut || askBack }, true)!;
  mod.fire('roster-item-changed', { username: inviter, contact: contactJid, version });
  if (askBack) mod.send(new Element('presence', { type: 'subscribe', from: `${inviter}@${mod.host}`, to: contactJid }));
  return undefined;
}
