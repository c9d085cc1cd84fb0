// The control API contract: every request the UI, tray and CLI can make of the server, and every
// event it sends back, with validation schemas. Main, preload, renderer and server all import
// this one file (DESIGN.md), so both transports (Electron IPC, loopback HTTP) carry the same types.
// It must stay free of Node-only imports: the renderer bundles it.
import { z } from 'zod';

export const roles = ['admin', 'user', 'limited'] as const;
export const roleSchema = z.enum(roles, { error: 'choose a role: admin, user or limited' });
export type Role = z.infer<typeof roleSchema>;

/** A user name as typed; the server prepares it (RFC 7622) and says so when it is not allowed. */
export const usernameSchema = z
  .string({ error: 'enter a user name' })
  .trim()
  .min(1, 'enter a user name')
  .max(1023, 'that user name is too long');
/** A new password; omitted where the server may generate a strong one to show once. */
export const passwordSchema = z
  .string({ error: 'enter a password' })
  .min(8, 'use at least 8 characters for the password')
  .max(1024, 'that password is too long');
/** A domain as typed; the server prepares it (RFC 7622 §3.2) and says so when it is not valid. */
export const domainSchema = z
  .string({ error: 'enter a domain name' })
  .trim()
  .min(1, 'enter a domain name')
  .max(253, 'that domain name is too long');
export const logLevels = ['debug', 'info', 'warn', 'error'] as const;
export const logLevelSchema = z.enum(logLevels, { error: 'choose a log level: debug, info, warn or error' });
export type LogLevel = z.infer<typeof logLevelSchema>;

export const listenerSchema = z.object({ name: z.string(), address: z.string(), port: z.number() });

/** Something the admin should know about, shown on the dashboard. */
export const warningSchema = z.object({
  /** Stable identifier, e.g. "self-signed-certificate", "restart-required", "registration-open". */
  id: z.string(),
  severity: z.enum(['info', 'warning']),
  message: z.string(),
});
export type Warning = z.infer<typeof warningSchema>;

export const statusSchema = z.object({
  version: z.string(),
  domain: z.string(),
  uptimeSeconds: z.number(),
  listeners: z.array(listenerSchema),
  registeredUsers: z.number(),
  onlineUsers: z.number(),
  sessions: z.number(),
  /** This computer's LAN addresses, for an app's "host" option when phones cannot resolve the domain. */
  lanAddresses: z.array(z.string()),
  certificate: z.object({ selfSigned: z.boolean(), expiresAt: z.number().optional() }),
  /** True until the first admin account exists: the UI shows the setup wizard. */
  setupNeeded: z.boolean(),
  /** Saved settings differ from the running ones until Hearth restarts. */
  restartRequired: z.boolean(),
  /** Whether this Hearth can restart itself (`server.restart`); otherwise the admin restarts it. */
  canRestart: z.boolean(),
  warnings: z.array(warningSchema),
});
export type Status = z.infer<typeof statusSchema>;

export const userSchema = z.object({
  username: z.string(),
  jid: z.string(),
  role: roleSchema,
  createdAt: z.number(),
  online: z.boolean(),
  /** Devices (resources) signed in now. */
  devices: z.number(),
});
export type User = z.infer<typeof userSchema>;

/** The settings the UI may change. Everything else stays in the config file (README.md). */
export const settingsSchema = z.object({
  domain: z.string(),
  registrationOpen: z.boolean(),
  archiveRetentionDays: z.number(),
  logLevel: logLevelSchema,
});
export type Settings = z.infer<typeof settingsSchema>;

export const settingsChangeSchema = z
  .object({
    /** Only while setup is needed (no admin yet): afterwards every address would change. */
    domain: domainSchema.optional(),
    registrationOpen: z.boolean({ error: 'registrationOpen must be true or false' }).optional(),
    archiveRetentionDays: z
      .number({ error: 'enter the number of days to keep messages' })
      .int('enter a whole number of days')
      .min(0, 'days to keep messages cannot be negative')
      .max(3650, 'keep messages at most 3650 days (10 years)')
      .optional(),
    logLevel: logLevelSchema.optional(),
  })
  .strict();
export type SettingsChange = z.infer<typeof settingsChangeSchema>;

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
  'settings.get': z.object({}).strict(),
  'settings.set': settingsChangeSchema,
  'setup.status': z.object({}).strict(),
  /** Chooses the domain and creates the first admin; refused once an admin exists. */
  'setup.complete': z.object({ domain: domainSchema, username: usernameSchema, password: passwordSchema.optional() }).strict(),
  /** Stops and starts the server with the saved settings (the UI reconnects by itself). */
  'server.restart': z.object({}).strict(),
} as const;

export interface SettingsResult {
  settings: Settings;
  /** The file the settings are saved in. */
  configFile: string;
  /** Saved settings differ from the running ones: they apply after a restart. */
  restartRequired: boolean;
  /** The domain may only change during setup. */
  domainEditable: boolean;
}

export interface SetupStatus {
  /** True until an admin account exists. */
  needed: boolean;
  /** The running domain; the wizard offers it first. */
  domain: string;
  /** This computer's host name and LAN addresses, to explain the choices. */
  hostname: string;
  lanAddresses: string[];
  /** Accounts made before setup (e.g. with the CLI). */
  registeredUsers: number;
}

export interface RequestResults {
  status: Status;
  'users.list': User[];
  /** The generated password is returned only when none was given, to show once. */
  'users.add': { user: User; generatedPassword?: string };
  'users.remove': { username: string };
  'users.setPassword': { username: string; generatedPassword?: string };
  'users.setRole': { user: User };
  'settings.get': SettingsResult;
  /** `changed` lists the settings whose saved value changed. */
  'settings.set': SettingsResult & { changed: Array<keyof Settings> };
  'setup.status': SetupStatus;
  'setup.complete': { user: User; generatedPassword?: string; domain: string; restartRequired: boolean };
  'server.restart': { restarting: true };
}

export type RequestName = keyof typeof requestSchemas;
export type RequestInput<N extends RequestName> = z.input<(typeof requestSchemas)[N]>;
export type ControlResult<T> = { ok: true; value: T } | { ok: false; error: string };

export const requestNames = Object.keys(requestSchemas) as RequestName[];
export function isRequestName(name: string): name is RequestName {
  return Object.prototype.hasOwnProperty.call(requestSchemas, name);
}

/** Events the server pushes to every connected UI. */
export interface ControlEvents {
  status: Status;
  'users.changed': { registeredUsers: number; onlineUsers: number };
  error: { message: string };
}
export type EventName = keyof ControlEvents;
export const eventNames: readonly EventName[] = ['status', 'users.changed', 'error'];

/** What the renderer depends on: implemented over IPC (preload) and over HTTP (browser). */
export interface AdminApi {
  request<N extends RequestName>(name: N, input: RequestInput<N>): Promise<ControlResult<RequestResults[N]>>;
  subscribe<E extends EventName>(event: E, listener: (payload: ControlEvents[E]) => void): () => void;
}

/**
 * Where the Electron preload exposes its AdminApi (contextBridge.exposeInMainWorld). The renderer's
 * entry point uses it when present and the HTTP client otherwise; pages only see the interface.
 */
export const adminApiGlobalName = 'hearthAdminApi';

/** Turns schema problems into one sentence a person can act on. */
export function describeValidationError(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      if (issue.code === 'unrecognized_keys') return `unknown field${issue.keys.length > 1 ? 's' : ''}: ${issue.keys.join(', ')}`;
      return issue.message;
    })
    .join('; ');
}
