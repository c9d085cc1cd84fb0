// The registry of bound client sessions: which resources each account has online.
import { randomBytes } from 'node:crypto';
import { StanzaError } from '../util/errors.js';
import { Jid } from '../util/jid.js';
import type { ClientSession } from './session.js';

export type BindResult = { ok: true; jid: Jid } | { ok: false; error: StanzaError };

export class SessionManager {
  private readonly byUser = new Map<string, Map<string, ClientSession>>();
  private total = 0;

  constructor(
    private readonly domain: string,
    private readonly maxResourcesPerAccount: number,
  ) {}

  /**
   * Chooses the session's full JID (RFC 6120 §7.6). A requested resource already in use gets a
   * server-generated variant instead, so neither device is kicked off.
   */
  reserve(username: string, requested: string | undefined): BindResult {
    const resources = this.byUser.get(username);
    if (resources && resources.size >= this.maxResourcesPerAccount) {
      return { ok: false, error: new StanzaError('resource-constraint', 'too many devices are connected to this account') };
    }
    let resource = requested ?? generatedResource();
    while (resources?.has(resource)) resource = `${requested ?? 'hearth'}.${randomBytes(3).toString('hex')}`;
    return { ok: true, jid: new Jid(username, this.domain, resource) };
  }

  add(session: ClientSession): void {
    const jid = session.jid!;
    let resources = this.byUser.get(jid.local!);
    if (!resources) {
      resources = new Map();
      this.byUser.set(jid.local!, resources);
    }
    resources.set(jid.resource!, session);
    this.total++;
  }

  remove(session: ClientSession): boolean {
    const jid = session.jid;
    if (!jid) return false;
    const resources = this.byUser.get(jid.local!);
    if (resources?.get(jid.resource!) !== session) return false;
    resources.delete(jid.resource!);
    if (resources.size === 0) this.byUser.delete(jid.local!);
    this.total--;
    return true;
  }

  get(username: string, resource: string): ClientSession | undefined {
    return this.byUser.get(username)?.get(resource);
  }

  /** Every bound session of the account. */
  sessionsOf(username: string): ClientSession[] {
    const resources = this.byUser.get(username);
    return resources ? [...resources.values()] : [];
  }

  /** Sessions that have sent available presence. */
  availableSessionsOf(username: string): ClientSession[] {
    return this.sessionsOf(username).filter((s) => s.presence !== undefined);
  }

  /**
   * The sessions a message to the bare JID goes to (RFC 6121 §8.5.2.1.1): the available ones
   * with the highest non-negative priority — all of them when several share it.
   */
  messageTargetsOf(username: string): ClientSession[] {
    let best = 0;
    let targets: ClientSession[] = [];
    for (const session of this.sessionsOf(username)) {
      if (session.presence === undefined || session.priority < 0) continue;
      if (targets.length === 0 || session.priority > best) {
        best = session.priority;
        targets = [session];
      } else if (session.priority === best) targets.push(session);
    }
    return targets;
  }

  isOnline(username: string): boolean {
    return this.byUser.has(username);
  }

  get onlineAccounts(): number {
    return this.byUser.size;
  }

  get sessionCount(): number {
    return this.total;
  }

  all(): ClientSession[] {
    return [...this.byUser.values()].flatMap((m) => [...m.values()]);
  }
}

function generatedResource(): string {
  return `hearth.${randomBytes(6).toString('hex')}`;
}
