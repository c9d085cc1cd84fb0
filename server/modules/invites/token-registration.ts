// XEP-0445: Pre-Authenticated In-Band Registration — https://xmpp.org/extensions/xep-0445.html
// A client that opened an invitation link presents its token before registering (§4, the
// <preauth/> iq on the unauthenticated stream) and then registers as XEP-0077 describes; this
// works whether or not open registration is on. The token may also come inside the registration
// itself (a <preauth/> child of the query, or a `preauth` field of its data form), for clients
// that send everything at once. The token's expiry is checked when it is presented, its uses
// when the account is made (§4).
import { Element } from 'ltx';
import type { ClientSession } from '../../core/session.js';
import type { ModuleApi } from '../../core/module-host.js';
import { readForm } from '../../util/dataforms.js';
import { StanzaError } from '../../util/errors.js';
import { prepareLocalpart } from '../../util/jid.js';
import { NS } from '../../util/namespaces.js';
import { errorReply, iqResult } from '../../util/stanza.js';
import { registerWithInvite, usableInvite } from './redeem.js';

/** XEP-0379 §3.4 and XEP-0445 §4: the element carrying a token. */
export const parsNs = 'urn:xmpp:pars:0';
/** XEP-0445 §3: the stream feature saying tokens are taken. */
export const ibrTokenNs = 'urn:xmpp:ibr-token:0';

/** Above the register module, which answers only when open registration is on. */
const priority = 10;

interface Registration {
  username: string | null;
  password: string | null;
  token: string | undefined;
}

/** The fields of a registration, whether sent as XEP-0077 elements or as its data form (§4). */
function readRegistration(query: Element): Registration {
  const form = query.getChild('x', NS.dataForms);
  const inline = query.getChild('preauth', parsNs)?.attrs.token as string | undefined;
  if (form) {
    const { fields } = readForm(form);
    return { username: fields.get('username')?.[0] ?? null, password: fields.get('password')?.[0] ?? null, token: inline ?? fields.get('preauth')?.[0] };
  }
  return { username: query.getChildText('username'), password: query.getChildText('password'), token: inline };
}

export function acceptTokenRegistration(mod: ModuleApi): void {
  /** The invitation each unauthenticated stream presented (by id: it may be withdrawn meanwhile). */
  const presented = new WeakMap<ClientSession, string>();

  mod.hook('stream-features', ({ features, authenticated, session }) => {
    if (!authenticated && session.secure) features.c('register', { xmlns: ibrTokenNs });
  });

  mod.hook(`iq-set/pre-auth/${parsNs}:preauth`, ({ stanza, payload, session, reply }) => {
    const token = payload.attrs.token as string | undefined;
    if (!token) {
      reply(errorReply(stanza, new StanzaError('bad-request', 'the preauth element needs a token')));
      return true;
    }
    const usable = usableInvite(mod, token);
    if (!usable.ok) {
      reply(errorReply(stanza, usable.error));
      return true;
    }
    presented.set(session, usable.invite.id);
    reply(iqResult(stanza));
    return true;
  });

  mod.hook(
    `iq-get/pre-auth/${NS.register}:query`,
    ({ stanza, session, reply }) => {
      const id = presented.get(session);
      const invite = id === undefined ? undefined : mod.storage.invites.byId(id);
      if (!invite) return undefined;
      const query = new Element('query', { xmlns: NS.register });
      query.c('instructions').t(
        invite.username !== undefined
          ? `This invitation is for ${invite.username}@${mod.host}: choose a password (at least 8 characters).`
          : 'Choose a user name and a password (at least 8 characters).',
      );
      if (invite.username !== undefined) query.c('username').t(invite.username);
      else query.c('username');
      query.c('password');
      reply(iqResult(stanza, query));
      return true;
    },
    priority,
  );

  mod.hook(
    `iq-set/pre-auth/${NS.register}:query`,
    ({ stanza, payload, session, remoteAddress, reply }) => {
      const registration = readRegistration(payload);
      let id = presented.get(session);
      if (registration.token !== undefined) {
        const usable = usableInvite(mod, registration.token);
        if (!usable.ok) {
          reply(errorReply(stanza, usable.error));
          return true;
        }
        id = usable.invite.id;
      }
      if (id === undefined) {
        // Without an invitation (open registration): a name kept for an invitee is not free (XEP-0445 §5).
        const name = registration.username === null ? undefined : prepareLocalpart(registration.username);
        if (name !== undefined && mod.storage.invites.isReserved(name)) {
          reply(errorReply(stanza, new StanzaError('conflict', 'that user name is kept for someone who was invited')));
          return true;
        }
        return undefined;
      }
      if (payload.getChild('remove')) {
        reply(errorReply(stanza, new StanzaError('bad-request', 'an invitation creates an account; sign in to remove one')));
        return true;
      }
      const invite = mod.storage.invites.byId(id);
      if (!invite) {
        reply(errorReply(stanza, new StanzaError('item-not-found', 'this invitation was withdrawn')));
        return true;
      }
      const result = registerWithInvite(mod, invite, registration.username ?? invite.username ?? null, registration.password, remoteAddress);
      if (!result.ok) {
        reply(errorReply(stanza, result.error));
        return true;
      }
      presented.delete(session);
      reply(iqResult(stanza));
      return true;
    },
    priority,
  );
}
