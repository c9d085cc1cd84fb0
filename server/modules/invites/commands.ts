// XEP-0401: Ad-hoc Account Invitation Generation — https://xmpp.org/extensions/xep-0401.html
// The two XEP-0050 commands apps run to make invitations: `urn:xmpp:invite#invite` (§5.1, any
// account except limited ones: a link to become the requester's contact, which also lets a new
// person register here) and `urn:xmpp:invite#create-account` (§5.4, admins: a link to register,
// with a user name kept for the invitee if one is given).
import { Element } from 'ltx';
import { randomBytes } from 'node:crypto';
import type { IqEvent } from '../../core/events.js';
import type { ModuleApi } from '../../core/module-host.js';
import type { Invite } from '../../core/storage/invites.js';
import { dataForm, parseBoolean, readForm } from '../../util/dataforms.js';
import { StanzaError } from '../../util/errors.js';
import { prepareLocalpart } from '../../util/jid.js';
import { errorReply, iqResult } from '../../util/stanza.js';
import { commandsNs } from '../adhoc.js';
import { isLimited } from '../limited-accounts.js';
import { inviteUri, landingUrl } from './links.js';

export const inviteNode = 'urn:xmpp:invite#invite';
export const createAccountNode = 'urn:xmpp:invite#create-account';
/** §8.1: the FORM_TYPE of both commands' results. */
const invitationFormType = 'urn:xmpp:invite#invitation';
/** How long a started create-account command waits for its form. */
const sessionTimeoutMs = 10 * 60 * 1000;

export function offerInvitationCommands(mod: ModuleApi, expiryDays: () => number): void {
  /** create-account sessions waiting for their form: id -> the full JID that started it. */
  const pending = new Map<string, { requester: string; timer: NodeJS.Timeout }>();
  mod.onStop(() => {
    for (const { timer } of pending.values()) clearTimeout(timer);
    pending.clear();
  });

  const roleOf = (username: string | undefined) => (username === undefined ? undefined : mod.storage.accounts.get(username)?.role);

  mod.hook('adhoc/list', ({ requester, commands }) => {
    const role = roleOf(requester.local);
    if (role === 'admin' || role === 'user') commands.push({ node: inviteNode, name: 'Invite someone' });
    if (role === 'admin') commands.push({ node: createAccountNode, name: 'Create an account invitation' });
    return undefined;
  });

  mod.hook(`iq-set/host/${commandsNs}:command`, (event) => {
    const node = event.payload.attrs.node as string | undefined;
    if (node === inviteNode) return invite(event);
    if (node === createAccountNode) return createAccount(event);
    return undefined;
  });

  const expiry = () => Date.now() + expiryDays() * 86_400_000;

  /** §5.1: completes at once with the new link. */
  function invite(event: IqEvent): true {
    const { stanza, payload, reply } = event;
    const username = ownAccount(mod, event);
    if (username === undefined) return refuse(event, new StanzaError('forbidden', 'only accounts of this server can invite people'));
    if (isLimited(mod, username)) return refuse(event, new StanzaError('forbidden', 'limited accounts cannot invite people'));
    if (payload.attrs.action === 'cancel') return refuse(event, new StanzaError('bad-request', 'there is nothing to cancel'));
    const created = mod.storage.invites.create({ kind: 'contact', inviter: username, maxUses: 1, expiresAt: expiry() });
    mod.log.info(`an account made a contact invitation (invitation ${created.id})`);
    reply(iqResult(stanza, completed(mod, inviteNode, randomBytes(8).toString('hex'), created)));
    return true;
  }

  /** §5.4: a form first (username, roster-subscription), then the link. */
  function createAccount(event: IqEvent): true {
    const { stanza, payload, from, reply } = event;
    const username = ownAccount(mod, event);
    if (username === undefined || roleOf(username) !== 'admin') return refuse(event, new StanzaError('forbidden', 'only admins can create account invitations'));
    const sessionId = payload.attrs.sessionid as string | undefined;
    const action = (payload.attrs.action as string | undefined) ?? 'execute';
    const form = payload.getChild('x', 'jabber:x:data');

    if (sessionId !== undefined) {
      const session = pending.get(sessionId);
      // XEP-0050 §4.6: an unknown or someone else's session is bad-request with <bad-sessionid/>.
      if (!session || session.requester !== from.toString()) return refuse(event, new StanzaError('bad-request', 'that command session is unknown or has ended'), 'bad-sessionid');
      if (action === 'cancel') {
        forget(sessionId);
        reply(iqResult(stanza, new Element('command', { xmlns: commandsNs, node: createAccountNode, sessionid: sessionId, status: 'canceled' })));
        return true;
      }
    } else if (!form) {
      const id = randomBytes(8).toString('hex');
      pending.set(id, { requester: from.toString(), timer: setTimeout(() => pending.delete(id), sessionTimeoutMs).unref() });
      const command = new Element('command', { xmlns: commandsNs, node: createAccountNode, sessionid: id, status: 'executing' });
      command.c('actions', { execute: 'complete' }).c('complete');
      command.cnode(
        dataForm('form', undefined, [
          { var: 'username', type: 'text-single', label: 'User name (empty: the new person chooses)' },
          { var: 'roster-subscription', type: 'boolean', label: 'Add them to my contacts', values: ['1'] },
        ]),
      );
      reply(iqResult(stanza, command));
      return true;
    }
    if (!form || form.attrs.type !== 'submit') return refuse(event, new StanzaError('bad-request', 'send the filled-in form'), 'bad-payload');
    const { fields } = readForm(form);
    const typed = (fields.get('username')?.[0] ?? '').trim();
    let reserved: string | undefined;
    if (typed !== '') {
      reserved = prepareLocalpart(typed.replace(new RegExp(`@${mod.host.replace(/\./g, '\\.')}$`), ''));
      if (!reserved) return refuse(event, new StanzaError('jid-malformed', 'that user name is not allowed'));
      if (mod.storage.accounts.exists(reserved) || mod.storage.invites.isReserved(reserved)) return refuse(event, new StanzaError('conflict', 'that user name is taken'));
    }
    const subscribe = parseBoolean(fields.get('roster-subscription')?.[0]) ?? true;
    const created = mod.storage.invites.create({ kind: 'account', inviter: subscribe ? username : undefined, username: reserved, maxUses: 1, expiresAt: expiry() });
    if (sessionId !== undefined) forget(sessionId);
    mod.log.info(`an admin made an account invitation (invitation ${created.id})`);
    reply(iqResult(stanza, completed(mod, createAccountNode, sessionId ?? randomBytes(8).toString('hex'), created)));
    return true;
  }

  function forget(id: string): void {
    clearTimeout(pending.get(id)?.timer);
    pending.delete(id);
  }
}

/** The requester when it is an account of this server. */
function ownAccount(mod: ModuleApi, { from, origin }: IqEvent): string | undefined {
  return origin !== undefined && from.domain === mod.host && from.local !== undefined && mod.storage.accounts.exists(from.local) ? from.local : undefined;
}

/** The error answer; XEP-0050 §4.6 adds a command-specific condition beside the RFC 6120 one. */
function refuse({ stanza, reply }: IqEvent, error: StanzaError, specific?: 'bad-sessionid' | 'bad-payload'): true {
  const answer = errorReply(stanza, error);
  if (specific) answer.getChild('error')!.c(specific, { xmlns: commandsNs });
  reply(answer);
  return true;
}

/** §5.1 and §5.4: the completed command with the invitation form (uri, landing-url, expire). */
function completed(mod: ModuleApi, node: string, sessionId: string, invite: Invite): Element {
  const command = new Element('command', { xmlns: commandsNs, node, sessionid: sessionId, status: 'completed' });
  const expire = new Date(invite.expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z');
  command.cnode(
    dataForm('result', invitationFormType, [
      { var: 'uri', type: 'text-single', label: 'Invitation link', values: [inviteUri(invite, mod.host)] },
      { var: 'landing-url', type: 'text-single', label: 'Invitation page', values: [landingUrl(mod.http.publicUrl(), invite.token)] },
      // §5.1 names the field "expire"; the registry in §8.1 says "expiry": both are given.
      { var: 'expire', type: 'text-single', label: 'Valid until', values: [expire] },
      { var: 'expiry', type: 'text-single', label: 'Valid until', values: [expire] },
    ]),
  );
  return command;
}
