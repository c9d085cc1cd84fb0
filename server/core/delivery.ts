// Default delivery to local accounts and resources (RFC 6121 §8.5). Hooked at the lowest
// priority so feature modules (presence, offline, carbons...) see stanzas first.
import type { Element } from 'ltx';
import { StanzaError } from '../util/errors.js';
import { canBounce, errorReply } from '../util/stanza.js';
import type { StanzaEvent } from './events.js';
import { defineModule, type ModuleApi } from './module-host.js';

const lowest = -1000;

export default defineModule({
  name: 'delivery',
  setup(mod) {
    mod.hook('message/bare', (event) => deliverMessageToAccount(mod, event), lowest);
    mod.hook('message/full', (event) => {
      const session = mod.sessions.get(event.to.local!, event.to.resource!);
      if (session) return sendTo(session, event.stanza);
      // RFC 6121 §8.5.3.2.1: for a resource that is gone, chat and normal go to the account,
      // groupchat gets an error, headline (and error) is dropped.
      const type = event.stanza.attrs.type ?? 'normal';
      if (type === 'headline' || type === 'error') return true;
      return deliverMessageToAccount(mod, event);
    }, lowest);

    mod.hook('presence/bare', ({ stanza, to }) => {
      const type = stanza.attrs.type;
      if (type === undefined || type === 'unavailable') {
        for (const session of mod.sessions.availableSessionsOf(to.local!)) session.send(stanza);
      }
      return true; // subscription types and probes are the presence module's; without it they are dropped
    }, lowest);
    mod.hook('presence/full', ({ stanza, to }) => {
      const session = mod.sessions.get(to.local!, to.resource!);
      if (session && (stanza.attrs.type === undefined || stanza.attrs.type === 'unavailable' || stanza.attrs.type === 'error')) {
        session.send(stanza);
      }
      return true;
    }, lowest);

    mod.hook('iq/full', ({ stanza, to, reply }) => {
      const session = mod.sessions.get(to.local!, to.resource!);
      if (session) return sendTo(session, stanza);
      // RFC 6121 §8.5.3.1: no such resource; requests get an error, answers are dropped.
      if (canBounce(stanza)) reply(errorReply(stanza, new StanzaError('service-unavailable')));
      return true;
    }, lowest);

    // Answers addressed to an account or the server that nobody was waiting for are dropped;
    // requests fall through to the router's service-unavailable.
    const dropAnswers = ({ stanza }: StanzaEvent) => (stanza.attrs.type === 'result' || stanza.attrs.type === 'error' ? true : undefined);
    mod.hook('iq/bare', dropAnswers, lowest);
    mod.hook('iq/host', dropAnswers, lowest);
    mod.hook('message/host', () => true, lowest);
    mod.hook('presence/host', () => true, lowest);
  },
});

function sendTo(session: { send(s: Element): void }, stanza: Element): true {
  session.send(stanza);
  return true;
}

function deliverMessageToAccount(mod: ModuleApi, event: StanzaEvent): true {
  const { stanza, to, reply } = event;
  const username = to.local!;
  const type = stanza.attrs.type ?? 'normal';
  if (type === 'error') return true;
  if (!mod.storage.accounts.exists(username)) {
    // RFC 6121 §8.5.1: no such account.
    if (type === 'chat' || type === 'normal') reply(errorReply(stanza, new StanzaError('service-unavailable')));
    return true;
  }
  if (type === 'groupchat') {
    reply(errorReply(stanza, new StanzaError('service-unavailable')));
    return true;
  }
  if (type === 'headline') {
    for (const session of mod.sessions.availableSessionsOf(username)) if (session.priority >= 0) session.send(stanza);
    return true;
  }
  const targets = mod.sessions.messageTargetsOf(username);
  if (targets.length > 0) {
    for (const session of targets) session.send(stanza);
    return true;
  }
  if (mod.fire('message/offline', { ...event, username }) === undefined) {
    reply(errorReply(stanza, new StanzaError('service-unavailable')));
  }
  return true;
}
