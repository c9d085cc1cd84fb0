// The control API's invitation requests (contract.ts: invites.*): list them with their links,
// make account invitations (role, circles, uses, expiry, whose contact, a kept user name),
// withdraw them. The invites module does the rest when a link is used.
import type { Output } from '../util/schema.js';
import type { Config } from '../config/schema.js';
import type { Storage } from '../core/storage/index.js';
import { inviteUnusableReason, type Invite as StoredInvite } from '../core/storage/invites.js';
import { inviteUri, landingUrl } from '../modules/invites/links.js';
import type { Logger } from '../util/log.js';
import type { ControlResult, Invite, RequestResults, requestSchemas } from './contract.js';

type InviteRequest = 'invites.list' | 'invites.create' | 'invites.revoke';
type InviteHandlers = {
  [N in InviteRequest]: (input: Output<(typeof requestSchemas)[N]>) => ControlResult<RequestResults[N]>;
};

export interface InviteControlContext {
  config: Config;
  storage: Storage;
  log: Logger;
  /** The HTTPS address the landing pages are at (known once the listeners run). */
  publicUrl(): string;
  prepareUsername(typed: string): { ok: true; username: string } | { ok: false; error: string };
}

const ok = <T>(value: T): ControlResult<T> => ({ ok: true, value });
const fail = (error: string): { ok: false; error: string } => ({ ok: false, error });

/** An invitation as the UI and the CLI show it, with its links. */
export function inviteView(config: Pick<Config, 'domain'>, storage: Pick<Storage, 'circles'>, publicUrl: string, invite: StoredInvite, now = Date.now()): Invite {
  const circles = invite.circles.flatMap((id) => {
    const circle = storage.circles.get(id);
    return circle ? [{ id, name: circle.name }] : [];
  });
  return {
    id: invite.id,
    kind: invite.kind,
    ...(invite.label !== undefined ? { label: invite.label } : {}),
    ...(invite.inviter !== undefined ? { inviter: invite.inviter } : {}),
    ...(invite.username !== undefined ? { username: invite.username } : {}),
    role: invite.role,
    maxUses: invite.maxUses,
    uses: invite.uses,
    createdAt: invite.createdAt,
    expiresAt: invite.expiresAt,
    circles,
    landingUrl: landingUrl(publicUrl, invite.token),
    uri: inviteUri(invite, config.domain),
    usable: inviteUnusableReason(invite, now) === undefined,
  };
}

export type InviteRequestInput = Output<(typeof requestSchemas)['invites.create']>;

/** Checks and stores a new account invitation (the admin UI and `hearth invite create`). */
export function createAccountInvite(
  context: Pick<InviteControlContext, 'storage' | 'prepareUsername' | 'config'>,
  input: InviteRequestInput,
  now = Date.now(),
): { ok: true; invite: StoredInvite } | { ok: false; error: string } {
  const { storage } = context;
  for (const id of input.circles) if (!storage.circles.get(id)) return fail('one of the chosen circles does not exist any more');
  let inviter: string | undefined;
  if (input.inviter !== undefined) {
    const name = context.prepareUsername(input.inviter);
    if (!name.ok) return name;
    const account = storage.accounts.get(name.username);
    if (!account) return fail(`there is no user named ${name.username}`);
    if (account.role === 'limited') return fail(`${name.username} has a limited account, and limited accounts cannot invite people`);
    inviter = name.username;
  }
  let username: string | undefined;
  if (input.username !== undefined) {
    const name = context.prepareUsername(input.username);
    if (!name.ok) return name;
    if (storage.accounts.exists(name.username)) return fail(`there is already a user named ${name.username}`);
    if (storage.invites.isReserved(name.username, now)) return fail(`the name ${name.username} is already kept for another invitation`);
    if (input.uses > 1) return fail('an invitation that keeps a user name is for one person: set it to 1 use');
    username = name.username;
  }
  const invite = storage.invites.create(
    {
      kind: 'account',
      inviter,
      username,
      role: input.role,
      maxUses: input.uses,
      label: input.label === '' ? undefined : input.label,
      expiresAt: now + input.expiresInDays * 86_400_000,
      circles: [...new Set(input.circles)],
    },
    now,
  );
  return { ok: true, invite };
}

export function inviteHandlers(context: InviteControlContext): InviteHandlers {
  const { config, storage, log } = context;
  const view = (invite: StoredInvite) => inviteView(config, storage, context.publicUrl(), invite);
  return {
    'invites.list': () => ok(storage.invites.list().map(view)),

    'invites.create': (input) => {
      const created = createAccountInvite(context, input);
      if (!created.ok) return created;
      log.info(`an invitation was made from the admin UI (invitation ${created.invite.id}, ${created.invite.role}, ${created.invite.maxUses} uses)`);
      return ok(view(created.invite));
    },

    'invites.revoke': ({ id }) => {
      if (!storage.invites.revoke(id)) return fail('there is no such invitation (it may have expired and been removed)');
      log.info(`invitation ${id} was withdrawn from the admin UI`);
      return ok({ id });
    },
  };
}
