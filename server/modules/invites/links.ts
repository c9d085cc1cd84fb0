// The addresses of an invitation: the xmpp: URI apps open (RFC 5122 with the XEP-0147 query
// actions) and the HTTPS landing page browsers open. Pure functions, shared by the module, the
// admin API and the command line.
import type { Invite } from '../../core/storage/invites.js';

export const landingPathPrefix = '/invite/';

/**
 * XEP-0401 §5.4 / XEP-0445 §2 for account invites: `xmpp:user@domain?register;preauth=TOKEN`, or
 * without a kept user name `xmpp:domain?register;preauth=TOKEN`. XEP-0379 §3.2 with XEP-0401 §5.1
 * for contact invites: `xmpp:inviter@domain?roster;preauth=TOKEN;ibr=y` (ibr=y: the token also
 * registers a new account here, XEP-0445 §2.3).
 */
export function inviteUri(invite: Pick<Invite, 'kind' | 'token' | 'inviter' | 'username'>, domain: string): string {
  if (invite.kind === 'contact' && invite.inviter !== undefined) {
    return `xmpp:${localpartForUri(invite.inviter)}@${domain}?roster;preauth=${invite.token};ibr=y`;
  }
  const account = invite.username !== undefined ? `${localpartForUri(invite.username)}@${domain}` : domain;
  return `xmpp:${account}?register;preauth=${invite.token}`;
}

/** The landing page (XEP-0401 §5.2, XEP-0379 §3.3) under the server's HTTPS address. */
export function landingUrl(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, '')}${landingPathPrefix}${token}`;
}

/** RFC 5122 §2.2: characters outside the unreserved set of a localpart are percent-encoded (as UTF-8). */
function localpartForUri(localpart: string): string {
  return [...localpart].map((c) => (/^[A-Za-z0-9\-._~!$()*+,=]$/.test(c) ? c : encodeURIComponent(c))).join('');
}
