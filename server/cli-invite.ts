// `hearth invite create|list|revoke`: invitations from the command line. With the server running
// they go through its admin API (so the links carry the HTTPS port it really listens on);
// otherwise straight into the database, like `hearth user`.
import type { Config } from './config/schema.js';
import type { ControlResult, Invite, RequestName } from './control/contract.js';
import { inviteCreateSchema, describeValidationError } from './control/contract.js';
import { describeBadUsername } from './control/handlers.js';
import { createAccountInvite, inviteView } from './control/invites.js';
import { openStorage, type Storage } from './core/storage/index.js';
import { roles } from './core/storage/accounts.js';
import { qrCodeForTerminal } from './modules/invites/qr-code.js';
import { publicBaseUrl } from './net/http-server.js';
import { prepareLocalpart } from './util/jid.js';

export interface InviteOptions {
  role?: string;
  circle?: string[];
  uses?: string;
  expires?: string;
  label?: string;
  inviter?: string;
  json?: boolean;
}

export interface InviteCommandContext {
  config: Config;
  /** A request to the running server's admin API; undefined when none answers. */
  request(name: RequestName, input: unknown): Promise<ControlResult<unknown> | undefined>;
  print(text: string): void;
  /** An error that shows the usage text. */
  usage(message: string): Error;
}

export async function inviteCommand(context: InviteCommandContext, args: string[], options: InviteOptions): Promise<number> {
  const [action, id] = args;
  switch (action) {
    case 'create':
      return create(context, options);
    case 'list':
      return list(context, options.json ?? false);
    case 'revoke':
      if (!id) throw context.usage('hearth invite revoke needs the invitation id (see hearth invite list)');
      return revoke(context, id);
    default:
      throw context.usage(`unknown invite command "${action ?? ''}"`);
  }
}

/** "7", "7d" (days) or "2w" (weeks) as a number of days. */
export function parseExpiry(text: string): number | undefined {
  const match = /^(\d{1,3})\s*([dw]?)$/i.exec(text.trim());
  if (!match) return undefined;
  const days = Number(match[1]) * (match[2]?.toLowerCase() === 'w' ? 7 : 1);
  return days >= 1 && days <= 365 ? days : undefined;
}

async function create(context: InviteCommandContext, options: InviteOptions): Promise<number> {
  const { config } = context;
  const role = options.role ?? 'user';
  if (!(roles as readonly string[]).includes(role)) throw new Error(`--role must be one of ${roles.join(', ')}`);
  const uses = options.uses === undefined ? 1 : Number(options.uses);
  if (!Number.isInteger(uses) || uses < 1 || uses > 100) throw new Error('--uses must be a whole number from 1 to 100');
  const expiresInDays = options.expires === undefined ? 7 : parseExpiry(options.expires);
  if (expiresInDays === undefined) throw new Error('--expires must be a number of days from 1 to 365, such as 7, 7d or 2w');
  const circleNames = options.circle ?? [];

  // With the server running: its admin API, with the circles it knows.
  const circles = await context.request('circles.list', {});
  if (circles) {
    if (!circles.ok) throw new Error(circles.error);
    const known = circles.value as Array<{ id: number; name: string }>;
    const ids = circleNames.map((name) => known.find((c) => c.name.toLowerCase() === name.trim().toLowerCase())?.id ?? missingCircle(name, known));
    const created = await context.request('invites.create', { role, uses, expiresInDays, circles: ids, label: options.label, inviter: options.inviter });
    if (!created) throw new Error('Hearth stopped answering; try again');
    if (!created.ok) throw new Error(created.error);
    return show(context, created.value as Invite, options.json ?? false);
  }

  const storage = openDatabase(config);
  try {
    const ids = circleNames.map((name) => storage.circles.byName(name.trim())?.id ?? missingCircle(name, storage.circles.list()));
    const input = inviteCreateSchema.safeParse({ role, uses, expiresInDays, circles: ids, label: options.label, inviter: options.inviter });
    if (!input.success) throw new Error(describeValidationError(input.error));
    const created = createAccountInvite({ config, storage, prepareUsername: (typed) => prepareUsername(config, typed) }, input.data);
    if (!created.ok) throw new Error(created.error);
    return show(context, inviteView(config, storage, offlinePublicUrl(config), created.invite), options.json ?? false);
  } finally {
    storage.close();
  }
}

async function list(context: InviteCommandContext, json: boolean): Promise<number> {
  const { config } = context;
  let invites: Invite[];
  const live = await context.request('invites.list', {});
  if (live) {
    if (!live.ok) throw new Error(live.error);
    invites = live.value as Invite[];
  } else {
    const storage = openDatabase(config);
    try {
      invites = storage.invites.list().map((invite) => inviteView(config, storage, offlinePublicUrl(config), invite));
    } finally {
      storage.close();
    }
  }
  if (json) context.print(JSON.stringify(invites));
  else if (invites.length === 0) context.print('No invitations. Make one with: hearth invite create');
  else for (const invite of invites) context.print(describe(invite));
  return 0;
}

async function revoke(context: InviteCommandContext, id: string): Promise<number> {
  const live = await context.request('invites.revoke', { id });
  if (live) {
    if (!live.ok) throw new Error(live.error);
  } else {
    const storage = openDatabase(context.config);
    try {
      if (!storage.invites.revoke(id)) throw new Error(`there is no invitation ${id} (hearth invite list shows them)`);
    } finally {
      storage.close();
    }
  }
  context.print(`Withdrawn: invitation ${id} no longer works.`);
  return 0;
}

function describe(invite: Invite): string {
  const state = invite.usable ? `valid until ${day(invite.expiresAt)}` : invite.uses >= invite.maxUses ? 'used' : 'expired';
  const who = invite.kind === 'contact' ? `contact of ${invite.inviter ?? '?'}` : `${invite.role}${invite.label ? ` (${invite.label})` : ''}`;
  const circles = invite.circles.length > 0 ? `, circles: ${invite.circles.map((c) => c.name).join(', ')}` : '';
  return `${invite.id}\t${who}, ${invite.uses} of ${invite.maxUses} used, ${state}${circles}\t${invite.landingUrl}`;
}

async function show(context: InviteCommandContext, invite: Invite, json: boolean): Promise<number> {
  if (json) {
    context.print(JSON.stringify(invite));
    return 0;
  }
  const people = invite.maxUses === 1 ? 'one person' : `${invite.maxUses} people`;
  const circles = invite.circles.length > 0 ? ` They join ${invite.circles.map((c) => c.name).join(', ')}.` : '';
  context.print(`Invitation ${invite.id} for ${people} (${invite.role}), valid until ${day(invite.expiresAt)}.${circles}`);
  context.print('');
  context.print(`Send this link, or let them scan the code with a phone's camera:`);
  context.print(`  ${invite.landingUrl}`);
  context.print('');
  context.print(await qrCodeForTerminal(invite.landingUrl));
  context.print(`For a chat app that is already installed: ${invite.uri}`);
  return 0;
}

function day(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function missingCircle(name: string, known: Array<{ name: string }>): never {
  const names = known.map((c) => c.name);
  throw new Error(`there is no circle named "${name}"${names.length > 0 ? ` (there are: ${names.join(', ')})` : ' (make one on the admin page)'}`);
}

function openDatabase(config: Config): Storage {
  return openStorage(config.dataDir, { scramIterations: config.auth.scramIterations });
}

function offlinePublicUrl(config: Config): string {
  return publicBaseUrl(config.domain, config.ports.https, config.http.publicUrl);
}

function prepareUsername(config: Config, typed: string): { ok: true; username: string } | { ok: false; error: string } {
  const suffix = `@${config.domain}`;
  const local = typed.toLowerCase().endsWith(suffix) ? typed.slice(0, -suffix.length) : typed;
  const username = prepareLocalpart(local);
  return username ? { ok: true, username } : { ok: false, error: describeBadUsername(local) };
}
