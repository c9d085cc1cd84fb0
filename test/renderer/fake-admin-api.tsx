// What the React component tests share: jest-dom's matchers, a clean DOM after each test, and an
// in-memory AdminApi in place of Hearth. The AdminApi is the renderer's only boundary, so the
// pages, hooks and components under test are the real ones. Each test file asks for the DOM
// itself (`// @vitest-environment jsdom`).
import '@testing-library/jest-dom/vitest';
import { act, cleanup, render } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { ReactElement } from 'react';
import { afterEach } from 'vitest';
import type { Output } from '../../server/util/schema';
import {
  describeValidationError,
  requestSchemas,
  type AdminApi,
  type ControlEvents,
  type ControlResult,
  type EventName,
  type RequestInput,
  type RequestName,
  type RequestResults,
  type SettingsResult,
  type SetupStatus,
  type Status,
  type User,
} from '../../server/control/contract';
import { ApiProvider } from '../../renderer/src/api';

// Vitest runs without globals, so Testing Library cannot register its own cleanup.
afterEach(cleanup);

// jsdom knows <dialog> and its `open` attribute but not showModal() or close(). Enough of them
// for the Dialog component: open it, close it, and say so with the `close` event.
if (typeof HTMLDialogElement.prototype.showModal !== 'function') {
  HTMLDialogElement.prototype.showModal = function showModal(this: HTMLDialogElement) {
    this.open = true;
  };
  HTMLDialogElement.prototype.close = function close(this: HTMLDialogElement, returnValue?: string) {
    if (!this.open) return;
    if (returnValue !== undefined) this.returnValue = returnValue;
    this.open = false;
    this.dispatchEvent(new Event('close'));
  };
}

/** What a handler receives: the input after the contract's schema, as the real server sees it. */
export type RequestData<N extends RequestName> = Output<(typeof requestSchemas)[N]>;
type Answer<N extends RequestName> = ControlResult<RequestResults[N]> | Promise<ControlResult<RequestResults[N]>>;
export type Handlers = { [N in RequestName]?: (input: RequestData<N>) => Answer<N> };

export const ok = <T,>(value: T): { ok: true; value: T } => ({ ok: true, value });
export const fail = (error: string): { ok: false; error: string } => ({ ok: false, error });

/**
 * An AdminApi held in memory. Requests are checked against the contract's schemas exactly as the
 * server checks them (so a page that sends a malformed request gets the server's message), then
 * answered by the test's handlers; events are pushed with `emit`.
 */
export class FakeAdminApi implements AdminApi {
  readonly calls: Array<{ name: RequestName; input: unknown }> = [];
  private readonly listeners = new Map<EventName, Set<(payload: unknown) => void>>();

  constructor(readonly handlers: Handlers = {}) {}

  async request<N extends RequestName>(name: N, input: RequestInput<N>): Promise<ControlResult<RequestResults[N]>> {
    this.calls.push({ name, input });
    const parsed = requestSchemas[name].safeParse(input);
    if (!parsed.success) return fail(describeValidationError(parsed.error));
    const handler = this.handlers[name] as ((input: RequestData<N>) => Answer<N>) | undefined;
    return handler ? handler(parsed.data as RequestData<N>) : fail(`the fake Hearth has no answer for ${name}`);
  }

  subscribe<E extends EventName>(event: E, listener: (payload: ControlEvents[E]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    const entry = listener as (payload: unknown) => void;
    set.add(entry);
    return () => set.delete(entry);
  }

  /** Pushes an event to every subscriber, as Hearth does. */
  emit<E extends EventName>(event: E, payload: ControlEvents[E]): void {
    act(() => {
      for (const listener of [...(this.listeners.get(event) ?? [])]) listener(payload);
    });
  }

  /** What the page sent with each request of that name, oldest first. */
  inputs<N extends RequestName>(name: N): Array<RequestInput<N>> {
    return this.calls.filter((call) => call.name === name).map((call) => call.input as RequestInput<N>);
  }
}

/** Renders a page inside the ApiProvider, with a user-event session to drive it. */
export function renderWithApi(ui: ReactElement, api: FakeAdminApi) {
  const user = userEvent.setup();
  return { user, ...render(<ApiProvider api={api}>{ui}</ApiProvider>) };
}

export const domain = 'kitchen-pc';

export function makeStatus(overrides: Partial<Status> = {}): Status {
  return {
    version: '0.1.0',
    domain,
    uptimeSeconds: 3 * 3600,
    listeners: [{ name: 'c2s', address: '0.0.0.0', port: 5222 }],
    registeredUsers: 2,
    onlineUsers: 1,
    sessions: 1,
    lanAddresses: ['192.0.2.10'],
    certificate: { selfSigned: true },
    setupNeeded: false,
    restartRequired: false,
    canRestart: true,
    warnings: [],
    ...overrides,
  };
}

export function makeUser(username: string, overrides: Partial<User> = {}): User {
  return { username, jid: `${username}@${domain}`, role: 'user', createdAt: Date.UTC(2026, 0, 1), online: false, devices: 0, ...overrides };
}

export function makeSetupStatus(overrides: Partial<SetupStatus> = {}): SetupStatus {
  return { needed: true, domain, hostname: domain, lanAddresses: ['192.0.2.10'], registeredUsers: 0, ...overrides };
}

export function makeSettingsResult(overrides: Partial<SettingsResult> = {}): SettingsResult {
  return {
    settings: { domain, registrationOpen: false, archiveRetentionDays: 30, logLevel: 'info' },
    configFile: '/home/hearth/.config/hearth/hearth.json',
    restartRequired: false,
    domainEditable: false,
    ...overrides,
  };
}
