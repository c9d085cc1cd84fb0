// What accepting an invitation does, whichever way it comes (in-band registration with a token,
// XEP-0445; the web form of the landing page; a pre-authenticated subscription, XEP-0379):
// one use of the invite is counted in the same transaction as the new account, so a failed
// registration uses nothing (XEP-0445 §4); afterwards the new person joins the invite's circles
// and becomes mutual contacts with the inviter (XEP-0401 §5.5, pushed as RFC 6121 §2.1.6).
import type { ModuleApi } from '../../core/module-host.js';
import { linkAccounts } from '../../core/mutual-subscription.js';
import { inviteUnusableReason, type Invite } from '../../core/storage/invites.js';
import { StanzaError } from '../../util/errors.js';
import { checkNewAccount } from '../register.js';

type Context = Pick<ModuleApi, 'host' | 'storage' | 'sessions' | 'fire' | 'send' | 'log' | 'registrationThrottle'>;

export type Redemption = { ok: true; username: string } | { ok: false; error: StanzaError };

/** Thrown inside the transaction to roll it back with the error to answer. */
class Refusal extends Error {
  constructor(readonly error: StanzaError) {
    super(error.message);
  }
}

/**
 * The invitation the token stands for, if it can still be used now; otherwise the error
 * XEP-0445 §4 answers a bad token with (item-not-found, with a sentence saying why).
 */
export function usableInvite(mod: Pick<ModuleApi, 'storage'>, token: string, now = Date.now()): { ok: true; invite: Invite } | { ok: false; error: StanzaError } {
  const invite = mod.storage.invites.byToken(token);
  const reason = invite ? inviteUnusableReason(invite, now) : undefined;
  if (!invite || reason) {
    const why = reason === 'expired' ? 'it has expired' : reason === 'used' ? 'it has been used already' : 'it is unknown or was withdrawn';
    return { ok: false, error: new StanzaError('item-not-found', `this invitation cannot be used: ${why}`) };
  }
  return { ok: true, invite };
}

/**
 * Registers a new account with an invitation that was valid when it was presented (its expiry
 * is not checked again, XEP-0445 §4; its remaining uses are). `address` is where the request came
 * from: one address may make only so many accounts an hour, invitation or not (issue 11).
 */
export function registerWithInvite(mod: Context, invite: Invite, usernameText: string | null, passwordText: string | null, address: string | undefined): Redemption {
  const checked = checkNewAccount(usernameText, passwordText);
  if (!checked.ok) return checked;
  const throttled = mod.registrationThrottle.refusal(address);
  if (throttled) return { ok: false, error: throttled };
  const { username, password } = checked;
  if (invite.username !== undefined && username !== invite.username) {
    return { ok: false, error: new StanzaError('not-acceptable', `this invitation is for the user name ${invite.username}`) };
  }
  if (invite.username === undefined && mod.storage.invites.isReserved(username)) {
    return { ok: false, error: new StanzaError('conflict', 'that user name is kept for someone else who was invited') };
  }
  const { accounts, circles, invites } = mod.storage;
  let joined: number[];
  try {
    joined = mod.storage.db.transaction(() => {
      if (!invites.use(invite.id)) throw new Refusal(new StanzaError('not-allowed', 'this invitation has been used up'));
      if (!accounts.create(username, password, invite.role)) throw new Refusal(new StanzaError('conflict', 'that user name is taken'));
      return invite.circles.filter((id) => circles.get(id) !== undefined && circles.addMember(id, username));
    })();
  } catch (error) {
    if (error instanceof Refusal) return { ok: false, error: error.error };
    throw error;
  }
  mod.registrationThrottle.record(address);
  mod.log.info(`an account was registered with invitation ${invite.id} (${invite.role})`);
  mod.fire('user-created', { username });
  for (const circleId of joined) mod.fire('circle-member-added', { circleId, username });
  if (invite.inviter !== undefined && accounts.exists(invite.inviter)) linkAccounts(mod, invite.inviter, username);
  return { ok: true, username };
}
