// The control API contract: every request the UI, tray and CLI can make of the server, and every
// event it sends back, with validation schemas. Main, preload, renderer and server all import
// this one file (DESIGN.md), so both transports (Electron IPC, loopback HTTP) carry the same types.
// It must stay free of Node-only imports: the renderer bundles it.
import { z } from 'zod';

export const roleSchema = z.enum(['admin', 'user', 'limited']);
export type Role = z.infer<typeof roleSchema>;

/** A user name as typed; the server prepares it (RFC 7622) and says so when it is not allowed. */
export const usernameSchema = z.string().trim().min(1, 'enter a user name').max(1023, 'that user name is too long');
/** A new password; omitted where the server may generate a strong one to show once. */
export const passwordSchema = z.string().min(8, 'use at least 8 characters').max(1024, 'that password is too long');

export const listenerSchema = z.object({ name: z.string(), address: z.string(), port: z.number() });

export const statusSchema = z.object({
  version: z.string(),
  domain: z.string(),
  uptimeSeconds: z.number(),
  listeners: z.array(listenerSchema),
  registeredUsers: z.number(),
  onlineUsers: z.number(),
  sessions: z.number(),
});
export type Status = z.infer<typeof statusSchema>;

export const userSchema = z.object({ username: z.string(), jid: z.string(), role: roleSchema, createdAt: z.number(), online: z.boolean() });
export type User = z.infer<typeof userSchema>;

/**
 * Each request: its input schema and the type of its result. Results are returned as
 * `{ ok: true, value }` or `{ ok: false, error }` with an error a person can read (ControlResult).
 */
export const requestSchemas = {
  status: z.object({}).strict(),
  'users.list': z.object({}).strict(),
  'users.add': z.object({ username: usernameSchema, password: passwordSchema.optional(), role: roleSchema.default('user') }).strict(),
  'users.remove': z.object({ username: usernameSchema }).strict(),
  'users.setPassword': z.object({ username: usernameSchema, password: passwordSchema.optional() }).strict(),
  'users.setRole': z.object({ username: usernameSchema, role: roleSchema }).strict(),
} as const;

export interface RequestResults {
  status: Status;
  'users.list': User[];
  /** The generated password is returned only when none was given, to show once. */
  'users.add': { user: User; generatedPassword?: string };
  'users.remove': { username: string };
  'users.setPassword': { username: string; generatedPassword?: string };
  'users.setRole': { user: User };
}

export type RequestName = keyof typeof requestSchemas;
export type RequestInput<N extends RequestName> = z.input<(typeof requestSchemas)[N]>;
export type ControlResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** Events the server pushes to every connected UI. */
export interface ControlEvents {
  status: Status;
  'users.changed': { registeredUsers: number; onlineUsers: number };
  error: { message: string };
}
export type EventName = keyof ControlEvents;

/** What the renderer depends on: implemented over IPC (preload) and over HTTP (browser). */
export interface AdminApi {
  request<N extends RequestName>(name: N, input: RequestInput<N>): Promise<ControlResult<RequestResults[N]>>;
  subscribe<E extends EventName>(event: E, listener: (payload: ControlEvents[E]) => void): () => void;
}
