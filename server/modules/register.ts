// XEP-0077: In-Band Registration — https://xmpp.org/extensions/xep-0077.html
// Open registration is off by default (families join by invite); when on, anyone who can reach
// the server over TLS may create an account. Signed-in users can always change their password
// or delete their account here. New accounts are throttled per network address (issue 11,
// registration.maxPerAddressPerHour), together with those made with invitations.
import { Element } from 'ltx';
import type { IqEvent } from '../core/events.js';
import { defineModule, type ModuleApi } from '../core/module-host.js';
import { preparePassword } from '../core/storage/accounts.js';
import { StanzaError } from '../util/errors.js';
import { prepareLocalpart } from '../util/jid.js';
import { NS } from '../util/namespaces.js';
import { errorReply, iqResult } from '../util/stanza.js';

export default defineModule({
  name: 'register',
  setup(mod) {
    const open = mod.config.registration.open;
    if (open) mod.addFeature(NS.register);

    mod.hook('stream-features', ({ features, authenticated, session }) => {
      if (open && !authenticated && session.secure) features.c('register', { xmlns: NS.registerFeature });
    });

    mod.hook(`iq-get/pre-auth/${NS.register}:query`, ({ stanza, reply }) => {
      if (!open) return undefined;
      const query = new Element('query', { xmlns: NS.register });
      query.c('instructions').t('Choose a username and a password (at least 8 characters).');
      query.c('username');
      query.c('password');
      reply(iqResult(stanza, query));
      return true;
    });

    mod.hook(`iq-set/pre-auth/${NS.register}:query`, ({ stanza, payload, remoteAddress, reply }) => {
      if (!open) return undefined;
      if (payload.getChild('remove')) {
        reply(errorReply(stanza, new StanzaError('not-authorized', 'sign in to remove an account')));
        return true;
      }
      const error = register(mod, payload.getChildText('username'), payload.getChildText('password'), remoteAddress);
      reply(error ? errorReply(stanza, error) : iqResult(stanza));
      return true;
    });

    // A signed-in user asks about, changes or removes their own account. XEP-0077 addresses these
    // to the server (§3.3, Example 18) or leaves out 'to' (§3.2), which means the user's own bare
    // JID (RFC 6120 §10.3.3): both are accepted, from local accounts only.
    const ownAccount = ({ from, origin }: IqEvent) => (origin !== undefined && from.local !== undefined && from.domain === mod.host ? from.local : undefined);

    const answerGet = (event: IqEvent) => {
      const username = ownAccount(event);
      if (username === undefined) return undefined;
      const query = new Element('query', { xmlns: NS.register });
      query.c('registered');
      query.c('username').t(username);
      event.reply(iqResult(event.stanza, query));
      return true;
    };

    const answerSet = (event: IqEvent) => {
      const username = ownAccount(event);
      if (username === undefined) return undefined;
      const { stanza, payload, reply } = event;
      if (payload.getChild('remove')) {
        // §3.2: answer first, then the account and all its sessions are gone.
        reply(iqResult(stanza));
        deleteAccount(mod, username);
        return true;
      }
      const givenName = payload.getChildText('username');
      if (givenName !== null && prepareLocalpart(givenName) !== username) {
        reply(errorReply(stanza, new StanzaError('bad-request', 'you can only change your own password')));
        return true;
      }
      const password = preparePassword(payload.getChildText('password') ?? '');
      if (!password.ok) {
        reply(errorReply(stanza, new StanzaError('not-acceptable', password.reason)));
        return true;
      }
      mod.storage.accounts.setPassword(username, password.prepared);
      reply(iqResult(stanza));
      return true;
    };

    for (const target of ['self', 'host'] as const) {
      mod.hook(`iq-get/${target}/${NS.register}:query`, answerGet);
      mod.hook(`iq-set/${target}/${NS.register}:query`, answerSet);
    }
  },
});

/** A new account's username and password as sent, prepared, or the error XEP-0077 §3.1 answers with. */
export function checkNewAccount(usernameText: string | null, passwordText: string | null): { ok: true; username: string; password: string } | { ok: false; error: StanzaError } {
  if (!usernameText || !passwordText) return { ok: false, error: new StanzaError('not-acceptable', 'username and password are required') };
  const username = prepareLocalpart(usernameText);
  if (!username) return { ok: false, error: new StanzaError('jid-malformed', 'that username is not allowed') };
  const password = preparePassword(passwordText);
  if (!password.ok) return { ok: false, error: new StanzaError('not-acceptable', password.reason) };
  return { ok: true, username, password: password.prepared };
}

function register(mod: ModuleApi, usernameText: string | null, passwordText: string | null, address: string | undefined): StanzaError | undefined {
  const checked = checkNewAccount(usernameText, passwordText);
  if (!checked.ok) return checked.error;
  // Checked after the form (a typo is answered as such) and before the account exists.
  const throttled = mod.registrationThrottle.refusal(address);
  if (throttled) return throttled;
  const { username } = checked;
  if (!mod.storage.accounts.create(username, checked.password)) return new StanzaError('conflict', 'that username is taken');
  mod.registrationThrottle.record(address);
  mod.log.info('an account was registered in-band');
  mod.fire('user-created', { username });
  return undefined;
}

function deleteAccount(mod: ModuleApi, username: string): void {
  mod.storage.accounts.delete(username);
  mod.fire('user-deleted', { username });
}
