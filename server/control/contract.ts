// The control API contract: every request the UI, tray and CLI can make of the server, and every
// event it sends back, with validation schemas. Main, preload, renderer and server all import
// this one file (DESIGN.md), so both transports (Electron IPC, loopback HTTP) carry the same types.
// It must stay free of Node-only imports: the renderer bundles it.
import { z, type Input, type Output, type SchemaError } from '../util/schema.js';

export const roles = ['admin', 'user', 'limited'] as const;
export const roleSchema = z.enum(roles, { error: 'choose a role: admin, user or limited' });
export type Role = Output<typeof roleSchema>;

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
export type LogLevel = Output<typeof logLevelSchema>;

export const listenerSchema = z.object({ name: z.string(), address: z.string(), port: z.number() });

/** Something the admin should know about, shown on the dashboard. */
export const warningSchema = z.object({
  /** Stable identifier, e.g. "self-signed-certificate", "restart-required", "registration-open". */
  id: z.string(),
  severity: z.enum(['info', 'warning']),
  message: z.string(),
});
export type Warning = Output<typeof warningSchema>;

/** Tor (server/services/tor): the onion service that makes Hearth reachable from anywhere. */
export const torStates = ['off', 'starting', 'running', 'restarting', 'failed', 'stopping'] as const;
export type TorState = (typeof torStates)[number];
/** How federation uses Tor: never, for *.onion servers only, or for every server. */
export const torFederationPolicies = ['clearnet', 'onions', 'all'] as const;
export const torFederationSchema = z.enum(torFederationPolicies, { error: 'choose how federation uses Tor: clearnet, onions or all' });
export type TorFederationPolicy = Output<typeof torFederationSchema>;

export const torStatusSchema = z.object({
  /** The saved switch (tor.enabled). */
  enabled: z.boolean(),
  /** off: not wanted; starting: tor was started and is being connected to; running: its control port answers. */
  state: z.enum(torStates),
  /** The tor process exists right now. */
  running: z.boolean(),
  /** What tor last said about connecting to the Tor network (0 to 100 %). */
  bootstrap: z.object({ progress: z.number(), tag: z.string(), summary: z.string(), warning: z.string().optional() }).optional(),
  /** Connected to the Tor network (bootstrap at 100 %): the onion address can be reached. */
  bootstrapped: z.boolean(),
  /** The onion address (56 characters and .onion), once tor has made the key. */
  onionAddress: z.string().optional(),
  /** Tor's SOCKS port on 127.0.0.1 while it runs (federation to onion servers goes through it). */
  socksPort: z.number().optional(),
  lastError: z.string().optional(),
  /** Times tor was started again after it stopped unexpectedly. */
  restarts: z.number(),
  /** When the next restart after a crash happens (ms since 1970). */
  nextRestartAt: z.number().optional(),
  /** The onion address is published in service discovery (tor.advertise). */
  advertise: z.boolean(),
  federation: torFederationSchema,
});
export type TorStatus = Output<typeof torStatusSchema>;

/** Certificates (server/services/certs): what clients are shown, where it came from, and renewal. */
export const certificateSources = ['self-signed', 'imported', 'acme', 'files'] as const;
export type CertificateSource = (typeof certificateSources)[number];
/** ACME challenges (RFC 8555 §8.3, §8.4; RFC 8737): how Hearth proves it controls the names. */
export const acmeChallengeTypes = ['http-01', 'tls-alpn-01', 'dns-01'] as const;
export const acmeChallengeSchema = z.enum(acmeChallengeTypes, { error: 'choose how to prove the domain is yours: http-01, tls-alpn-01 or dns-01' });
export type AcmeChallengeType = Output<typeof acmeChallengeSchema>;

export interface CertificateDetails {
  subject: string;
  /** Who issued it, readably: "R11 (Let's Encrypt)", or the domain itself for a self-signed one. */
  issuer: string;
  /** The DNS names it is valid for. */
  names: string[];
  notBefore: number;
  notAfter: number;
  /** SHA-256 of the certificate, as colon-separated hex: what a phone shows to compare. */
  fingerprintSha256: string;
  serialNumber: string;
  /** Certificates sent to clients: this one and the authorities' above it. */
  chainLength: number;
}

/** public: issued by an authority every phone knows; private: by one they do not; self-signed: by nobody. */
export type CertificateTrust = 'public' | 'private' | 'self-signed';

/** One of the names clients connect to, and whether the certificate covers it. */
export interface CertificateHost {
  name: string;
  role: 'domain' | 'conference' | 'upload' | 'proxy' | 'extra';
  covered: boolean;
}

/** What an app does when it meets this certificate. */
export interface ClientVerdict {
  client: string;
  platform: string;
  verdict: 'accepts' | 'asks' | 'refuses';
  note: string;
}

export interface AcmeStep {
  id: string;
  label: string;
  state: 'pending' | 'active' | 'done' | 'failed';
  detail?: string;
}

/** A TXT record to create for DNS-01 (RFC 8555 §8.4), and whether Hearth sees it in DNS yet. */
export interface DnsRecordToCreate {
  name: string;
  type: 'TXT';
  value: string;
  visible: boolean;
}

/** One request for a certificate from an ACME authority, step by step. */
export interface AcmeJob {
  id: number;
  state: 'running' | 'succeeded' | 'failed' | 'cancelled';
  /** Started by the renewal schedule rather than by a person. */
  renewal: boolean;
  directoryUrl: string;
  challenge: AcmeChallengeType;
  names: string[];
  startedAt: number;
  finishedAt?: number;
  steps: AcmeStep[];
  dnsRecords?: DnsRecordToCreate[];
  /** What went wrong, in plain words, and what to do about it. */
  error?: string;
}

export interface CertificateRenewal {
  /** Hearth renews this certificate by itself (ACME, or a self-signed one it made). */
  automatic: boolean;
  /** When renewal starts: 30 days before expiry. */
  renewAt?: number;
  /** The next try after a failed one. */
  nextAttemptAt?: number;
  /** Failed tries in a row. */
  failures: number;
  lastError?: string;
  lastRenewedAt?: number;
}

export interface CertificateStatus {
  domain: string;
  source: CertificateSource;
  certificate: CertificateDetails;
  trust: CertificateTrust;
  state: 'valid' | 'expiring' | 'expired';
  /** Whole days left (negative once expired). */
  daysLeft: number;
  hosts: CertificateHost[];
  clients: ClientVerdict[];
  /** Set when the certificate comes from tls.certFile/tls.keyFile: Hearth reads those files and does not replace them. */
  configuredFiles?: { certFile: string; keyFile: string };
  /** The ACME settings renewal uses, after a certificate was issued by ACME. */
  acme?: { directoryUrl: string; challenge: AcmeChallengeType; email?: string; names: string[] };
  renewal: CertificateRenewal;
  /** The running or last ACME request. */
  job?: AcmeJob;
  /** Ports the explanations need: HTTP-01 arrives on ports.http, TLS-ALPN-01 on ports.https / ports.c2sTls. */
  ports: { http: number; https: number; c2sTls: number };
  /** Whether DNS-01 runs the configured hook (acme.dnsHook) or waits for the record to be made by hand. */
  dnsHook: boolean;
  warnings: Warning[];
}

const pemText = (what: string, max: number) =>
  z
    .string({ error: `paste the ${what}` })
    .max(max, `that ${what} is too long for a certificate file`);

export const certificateImportSchema = z
  .object({
    /** The certificate in PEM; its chain may follow it in the same text. */
    certificate: pemText('certificate', 40_000).trim().min(1, 'paste the certificate (the text that starts with -----BEGIN CERTIFICATE-----) or choose its file'),
    key: pemText('private key', 16_000).trim().min(1, 'paste the private key (the text that starts with -----BEGIN PRIVATE KEY-----) or choose its file'),
    /** The authorities' certificates, when they come in a file of their own. */
    chain: pemText('chain', 40_000).optional(),
  })
  .strict();

export const acmeRequestSchema = z
  .object({
    directoryUrl: z
      .string({ error: "enter the certificate authority's ACME directory address" })
      .trim()
      .max(2048, 'that address is too long')
      .refine((value) => /^https:\/\/[^\s]+$/.test(value) && URL.canParse(value), {
        message: "the ACME directory address must start with https://, such as https://acme-v02.api.letsencrypt.org/directory",
      }),
    challenge: acmeChallengeSchema.default('http-01'),
    /** Where the authority may send expiry notices; optional. */
    email: z.email({ error: 'that e-mail address is not valid' }).max(254).optional(),
    /** Which of the server's names to include; the domain always is. Default: the domain and its service names. */
    names: z.array(z.string().trim().min(1).max(253)).max(20).optional(),
    agreeToTerms: z.literal(true, { error: "agree to the certificate authority's terms of service to ask it for a certificate" }),
  })
  .strict();
export type AcmeRequest = Input<typeof acmeRequestSchema>;

/** Families (server/modules/invites, server/modules/circles): invitations and circles. */
export const inviteKinds = ['account', 'contact'] as const;
export type InviteKind = (typeof inviteKinds)[number];
/** A circle name as typed; the server tidies it and says so when it cannot be used. */
export const circleNameSchema = z
  .string({ error: 'enter a name for the circle' })
  .trim()
  .min(1, 'enter a name for the circle')
  .max(64, 'a circle name has at most 64 characters');
export const circleIdSchema = z.number({ error: 'choose a circle' }).int('choose a circle').positive('choose a circle');
export const inviteIdSchema = z.string({ error: 'choose an invitation' }).regex(/^[0-9a-f]{12}$/, 'that is not an invitation of this server');

export interface Circle {
  id: number;
  name: string;
  /** Usernames of its members. */
  members: string[];
  /** The bare JID of its group chat, when it has one. */
  groupChat?: string;
}

export interface Invite {
  id: string;
  /** account: makes an account here; contact: becomes the inviter's contact (and may make an account). */
  kind: InviteKind;
  label?: string;
  /** The account the new person becomes mutual contacts with. */
  inviter?: string;
  /** A user name kept for the new person. */
  username?: string;
  role: Role;
  maxUses: number;
  uses: number;
  createdAt: number;
  expiresAt: number;
  circles: Array<{ id: number; name: string }>;
  /** The page to open or scan (HTTPS). */
  landingUrl: string;
  /** The xmpp: link an installed app opens. */
  uri: string;
  /** Expired or used up: kept in the list until the daily clean-up. */
  usable: boolean;
}

export const inviteCreateSchema = z
  .object({
    /** For the list: who it is for ("Grandma"). */
    label: z.string().trim().max(100, 'keep the note under 100 characters').optional(),
    role: roleSchema.default('user'),
    /** 1: one person; more: a link for a group (a family gathering). */
    uses: z.number({ error: 'enter how many people may use it' }).int('enter a whole number of people').min(1, 'at least 1 person').max(100, 'at most 100 people').default(1),
    expiresInDays: z.number({ error: 'enter how many days the invitation stays valid' }).int('enter a whole number of days').min(1, 'at least 1 day').max(365, 'at most 365 days').default(7),
    circles: z.array(circleIdSchema).max(50).default([]),
    /** Whose contact the new person becomes (both ways). */
    inviter: usernameSchema.optional(),
    /** A user name kept for the new person. */
    username: usernameSchema.optional(),
  })
  .strict();

/** Storage (server/modules/http-upload): the files people upload in chats (XEP-0363), and how long they stay. */
export interface StorageOptions {
  /** Days a file stays before it is deleted (upload.retentionDays). */
  retentionDays: number;
  /** Largest file one upload may be (upload.maxFileSizeBytes). */
  maxFileSizeBytes: number;
  /** Bytes one account may upload in 24 hours (upload.userDailyQuotaBytes). */
  userDailyQuotaBytes: number;
  /** Bytes all uploads together may take (upload.totalQuotaBytes). */
  totalQuotaBytes: number;
}

export interface StorageStatus {
  /** upload.enabled: apps can upload (stored files are served and expire either way). */
  enabled: boolean;
  /** The upload service apps find by themselves: upload.<domain>. */
  uploadHost: string;
  /** Bytes of the stored files. */
  bytesUsed: number;
  fileCount: number;
  /** When the oldest stored file was uploaded (ms since 1970). */
  oldestFileAt?: number;
  /** When the oldest stored file is deleted: its upload time plus the retention. */
  nextExpiryAt?: number;
  /** The limits in force now; the Storage page's changes apply at once. */
  options: StorageOptions;
}

const mebibyte = 1_048_576;
const byteLimit = (what: string, max: number, maxText: string) =>
  z
    .number({ error: `enter ${what} as a number` })
    .int(`enter ${what} as a whole number of bytes`)
    .min(mebibyte, `${what} must be at least 1 MB`)
    .max(max, `${what} can be at most ${maxText}`);

/** The same bounds as upload.* in the config file (server/config/schema.ts). */
export const storageOptionsChangeSchema = z
  .object({
    retentionDays: z
      .number({ error: 'enter the number of days to keep uploaded files' })
      .int('enter a whole number of days')
      .min(1, 'keep uploaded files at least 1 day')
      .max(3650, 'keep uploaded files at most 3650 days (10 years)')
      .optional(),
    maxFileSizeBytes: byteLimit('the largest file', 17_179_869_184, '16 GB').optional(),
    userDailyQuotaBytes: byteLimit("each person's daily upload limit", 1_099_511_627_776, '1 TB').optional(),
    totalQuotaBytes: byteLimit('the space for all uploads', 1_125_899_906_842_624, '1 PB').optional(),
  })
  .strict();
export type StorageOptionsChange = Output<typeof storageOptionsChangeSchema>;

export const storagePurgeSchema = z
  .object({
    /** Deletes every uploaded file, not only those past the retention: needs `confirm`. */
    everything: z.boolean({ error: 'everything must be true or false' }).default(false),
    confirm: z.boolean({ error: 'confirm must be true or false' }).default(false),
  })
  .strict()
  .refine((input) => !input.everything || input.confirm, { message: 'deleting every uploaded file needs confirm: true', path: ['confirm'] });

/**
 * Privacy (server/services/privacy/retention-facts.ts): what Hearth keeps about people, where and for
 * how long, worked out from the running settings. The Privacy page, the public /privacy page and
 * README's "Privacy" section say the same; test/server/privacy.test.ts checks every promise.
 */
export const privacyFactIds = [
  'accounts',
  'personal-data',
  'offline-messages',
  'archive',
  'group-chats',
  'uploads',
  'invitations',
  'push',
  'last-activity',
  'connections',
  'failed-sign-ins',
  'new-account-addresses',
  'logs',
  'tor',
] as const;
export type PrivacyFactId = (typeof privacyFactIds)[number];
export const privacyNotKeptIds = ['sign-in-addresses', 'sign-in-times', 'passwords', 'addresses-in-logs', 'content-in-logs'] as const;
export type PrivacyNotKeptId = (typeof privacyNotKeptIds)[number];
/** disk: the database or files in the data folder; memory: gone at the latest when Hearth stops; output: the log Hearth writes to its standard error. */
export const privacyPlaces = ['disk', 'memory', 'output', 'nowhere'] as const;

export const privacyFactSchema = z.object({
  id: z.enum(privacyFactIds),
  /** What it is, as a heading: "Message history". */
  title: z.string(),
  /** How long, in a few words: "7 days", "Until delivered". */
  kept: z.string(),
  where: z.enum(privacyPlaces),
  /** What exactly is kept, and why, in plain sentences. */
  details: z.string(),
  /** The settings (config keys) that decide it. */
  settings: z.array(z.string()),
});
export type PrivacyFact = Output<typeof privacyFactSchema>;

export const privacyFactsSchema = z.object({
  domain: z.string(),
  /** What is kept, in the order the pages show it. */
  kept: z.array(privacyFactSchema),
  /** What is never kept, as sentences. */
  notKept: z.array(z.object({ id: z.enum(privacyNotKeptIds), text: z.string() })),
  logLevel: logLevelSchema,
  /** log.level is debug: the log may hold message content and other people's addresses. */
  debugLogging: z.boolean(),
  /** The public privacy statement's address, https://…/privacy (the admin's page only). */
  statementUrl: z.string().optional(),
  /** What the server holds in memory at this moment (the admin's page only, not the public one). */
  now: z
    .object({
      /** Addresses and accounts with failed sign-ins on record (privacy.failedLoginRetentionHours). */
      failedSignInAddresses: z.number(),
      failedSignInAccounts: z.number(),
      /** Addresses that made an account in the last hour (registration.maxPerAddressPerHour). */
      newAccountAddresses: z.number(),
    })
    .optional(),
});
export type PrivacyFacts = Output<typeof privacyFactsSchema>;

/**
 * Router port mapping (server/services/port-mapping): UPnP IGD or NAT-PMP asks the home router to
 * forward the chat, federation and HTTPS ports to Hearth, off until switched on.
 */
export const portMappingProtocols = ['auto', 'upnp', 'nat-pmp'] as const;
export type PortMappingProtocol = (typeof portMappingProtocols)[number];
/** The listeners a router may forward to: ports.c2s, ports.c2sTls, ports.s2s and ports.https. */
export const mappedListeners = ['c2s', 'c2sTls', 's2s', 'https'] as const;
export type MappedListener = (typeof mappedListeners)[number];
export const mappedListenerSchema = z.enum(mappedListeners, { error: 'choose the ports among c2s, c2sTls, s2s and https' });
/**
 * What the router's public address is: public (reachable), private (RFC 1918: another router
 * in front), shared (RFC 6598 carrier-grade NAT), local (loopback, link-local), none (0.0.0.0),
 * reserved (documentation and other special ranges).
 */
export type PublicAddressKind = 'public' | 'private' | 'shared' | 'local' | 'none' | 'reserved';

export interface PortMappingPort {
  name: MappedListener;
  /** The port Hearth listens on. */
  internalPort: number;
  /** off: not mapped (mapping off or the port not chosen); unavailable: Hearth has no such listener. */
  state: 'off' | 'pending' | 'mapped' | 'failed' | 'unavailable';
  /** The port on the router's public address. */
  externalPort?: number;
  /** The lifetime the router granted; 0: permanent until deleted. */
  lifetimeSeconds?: number;
  /** When the mapping runs out unless renewed, and when Hearth renews it (ms since 1970). */
  expiresAt?: number;
  renewAt?: number;
  error?: string;
}

export interface PortMappingStatus {
  /** The saved switch (portMapping.enabled). */
  enabled: boolean;
  protocol: PortMappingProtocol;
  /** The listeners chosen for mapping (portMapping.ports). */
  chosenPorts: MappedListener[];
  state: 'off' | 'starting' | 'mapped' | 'partial' | 'failed' | 'stopping';
  /** The router in use: how it is spoken to and its LAN address (NAT-PMP) or description address (UPnP). */
  router?: { protocol: 'upnp' | 'nat-pmp'; address: string; discovered: boolean };
  /** The address the router says it has on the internet side. */
  publicAddress?: string;
  publicAddressKind?: PublicAddressKind;
  ports: PortMappingPort[];
  lastError?: string;
  /** When Hearth tries the router again after it did not answer (ms since 1970). */
  nextAttemptAt?: number;
}

/** One port in the reachability self-test: what this computer can tell without the internet. */
export interface ReachabilityCheck {
  name: MappedListener;
  internalPort: number;
  /** Hearth's listener accepts connections on this computer. */
  listening: boolean;
  /** The router answered Hearth just now. */
  routerAnswered: boolean;
  /** The router holds a mapping for it. */
  mapped: boolean;
  externalPort?: number;
  lifetimeSeconds?: number;
  /** open: as far as can be told from here, it works from outside; closed: it cannot; unknown: cannot tell. */
  verdict: 'open' | 'closed' | 'unknown';
  message: string;
}

export interface ReachabilityReport {
  testedAt: number;
  enabled: boolean;
  routerAnswered: boolean;
  router?: { protocol: 'upnp' | 'nat-pmp'; address: string };
  routerError?: string;
  publicAddress?: string;
  publicAddressKind?: PublicAddressKind;
  ports: ReachabilityCheck[];
  /** The result in a sentence or two. */
  summary: string;
  /** Nobody outside can reach this network (no router answer, private or shared address): Tor is the way in. */
  suggestTor: boolean;
}

export const portMappingOptionsSchema = z
  .object({
    /** Saved as portMapping.enabled; mappings are made (or deleted) at once. */
    enabled: z.boolean({ error: 'enabled must be true or false' }).optional(),
    /** Saved as portMapping.ports. */
    ports: z
      .array(mappedListenerSchema)
      .max(mappedListeners.length)
      .refine((ports) => new Set(ports).size === ports.length, { message: 'name each port only once' })
      .optional(),
  })
  .strict();
export type PortMappingOptions = Output<typeof portMappingOptionsSchema>;

/** Federation (server/s2s): links to other XMPP servers. Domains and reasons only, never addresses. */
export const federationStatusSchema = z.object({
  /** s2s.enabled */
  enabled: z.boolean(),
  /** Authenticated links now: Hearth's to other servers, and theirs to Hearth. */
  outgoingLinks: z.number(),
  incomingLinks: z.number(),
  /** Servers with a link up now. */
  connectedDomains: z.array(z.string()),
  /** The latest failure per server (newest first), until a link to it works again. */
  lastErrors: z.array(z.object({ domain: z.string(), error: z.string(), at: z.number() })),
  /** s2s.insecureDomains: servers whose invalid certificate is accepted anyway. */
  insecureDomains: z.array(z.string()),
});
export type FederationStatus = Output<typeof federationStatusSchema>;

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
  /** The .local name Hearth announces on the home network (multicast DNS), when it does. */
  lanHostName: z.string().optional(),
  /** SHA-256 of the certificate clients are shown, as colon-separated hex, to compare on a phone. */
  certificateFingerprint: z.string().optional(),
  certificate: z.object({
    selfSigned: z.boolean(),
    expiresAt: z.number().optional(),
    /** Where it came from (server/services/certs); absent from servers without the certificates service. */
    source: z.enum(certificateSources).optional(),
    /** The last automatic renewal failed; the tray and dashboard say so. */
    renewalFailed: z.boolean().optional(),
  }),
  /** True until the first admin account exists: the UI shows the setup wizard. */
  setupNeeded: z.boolean(),
  /** Saved settings differ from the running ones until Hearth restarts. */
  restartRequired: z.boolean(),
  /** Whether this Hearth can restart itself (`server.restart`); otherwise the admin restarts it. */
  canRestart: z.boolean(),
  warnings: z.array(warningSchema),
  /** Tor's state, for the tray and the dashboard; absent where this Hearth has no Tor service. */
  tor: torStatusSchema.optional(),
  /** Federation's links and problems; absent where this Hearth has no federation. */
  federation: federationStatusSchema.optional(),
});
export type Status = Output<typeof statusSchema>;

export const userSchema = z.object({
  username: z.string(),
  jid: z.string(),
  role: roleSchema,
  createdAt: z.number(),
  online: z.boolean(),
  /** Devices (resources) signed in now. */
  devices: z.number(),
});
export type User = Output<typeof userSchema>;

/** The settings the UI may change. Everything else stays in the config file (README.md). */
export const settingsSchema = z.object({
  domain: z.string(),
  registrationOpen: z.boolean(),
  archiveRetentionDays: z.number(),
  logLevel: logLevelSchema,
});
export type Settings = Output<typeof settingsSchema>;

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
export type SettingsChange = Output<typeof settingsChangeSchema>;

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
  'invites.list': z.object({}).strict(),
  'invites.create': inviteCreateSchema,
  /** Withdraws an invitation: its links stop working at once. */
  'invites.revoke': z.object({ id: inviteIdSchema }).strict(),
  'circles.list': z.object({}).strict(),
  'circles.create': z
    .object({ name: circleNameSchema, groupChat: z.boolean({ error: 'groupChat must be true or false' }).default(false), members: z.array(usernameSchema).max(1000).default([]) })
    .strict(),
  'circles.rename': z.object({ id: circleIdSchema, name: circleNameSchema }).strict(),
  /** Members lose the contacts the circle gave them; its group chat stays as an ordinary one. */
  'circles.delete': z.object({ id: circleIdSchema }).strict(),
  'circles.addMember': z.object({ id: circleIdSchema, username: usernameSchema }).strict(),
  'circles.removeMember': z.object({ id: circleIdSchema, username: usernameSchema }).strict(),
  /** On: a members-only group chat that follows the circle. Off: the room stays, no longer following. */
  'circles.setGroupChat': z.object({ id: circleIdSchema, enabled: z.boolean({ error: 'enabled must be true or false' }) }).strict(),
  'settings.get': z.object({}).strict(),
  'settings.set': settingsChangeSchema,
  'setup.status': z.object({}).strict(),
  /** Chooses the domain and creates the first admin; refused once an admin exists. */
  'setup.complete': z
    .object({
      domain: domainSchema,
      username: usernameSchema,
      password: passwordSchema.optional(),
      /** The household's circle, with the admin in it and a group chat ("Family" when not given). */
      household: circleNameSchema.optional(),
    })
    .strict(),
  /** Stops and starts the server with the saved settings (the UI reconnects by itself). */
  'server.restart': z.object({}).strict(),
  'tor.status': z.object({}).strict(),
  /** Starts or stops the onion service at once, and saves the switch (tor.enabled). */
  'tor.setEnabled': z.object({ enabled: z.boolean({ error: 'enabled must be true or false' }) }).strict(),
  /** Saves tor.advertise and tor.federation; both apply at once. */
  'tor.setOptions': z
    .object({ advertise: z.boolean({ error: 'advertise must be true or false' }).optional(), federation: torFederationSchema.optional() })
    .strict(),
  /** A new onion key, so a new address: the old address stops working for good. */
  'tor.rotate': z.object({}).strict(),
  /** The onion service's secret key file, to keep somewhere safe. */
  'tor.backupKey': z.object({}).strict(),
  'certs.status': z.object({}).strict(),
  /** A new self-signed certificate for the domain and its service names, used at once. */
  'certs.selfSigned': z.object({}).strict(),
  /** A certificate and key (and chain) from elsewhere, checked and used at once. */
  'certs.import': certificateImportSchema,
  /** Starts asking an ACME authority for a certificate; progress comes as `certs` events. */
  'certs.acme.request': acmeRequestSchema,
  /** Stops the running ACME request. */
  'certs.acme.cancel': z.object({}).strict(),
  /** Space the uploaded files take, and the limits. */
  'storage.status': z.object({}).strict(),
  /** Saves upload.retentionDays and the size limits in the config file; they apply at once. */
  'storage.setOptions': storageOptionsChangeSchema,
  /** Deletes the files past the retention now (or, confirmed, every uploaded file). */
  'storage.purge': storagePurgeSchema,
  /** The router, the public address and each port's mapping. */
  'portMapping.status': z.object({}).strict(),
  /** Saves portMapping.enabled and portMapping.ports; mappings are made or deleted at once. */
  'portMapping.setOptions': portMappingOptionsSchema,
  /** Asks the router again and checks each port: the reachability self-test. */
  'portMapping.selfTest': z.object({}).strict(),
  /** What Hearth keeps about people and for how long, from the running settings (the Privacy page). */
  'privacy.facts': z.object({}).strict(),
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
  'invites.list': Invite[];
  'invites.create': Invite;
  'invites.revoke': { id: string };
  'circles.list': Circle[];
  'circles.create': Circle;
  'circles.rename': Circle;
  'circles.delete': { id: number };
  'circles.addMember': Circle;
  'circles.removeMember': Circle;
  'circles.setGroupChat': Circle;
  'settings.get': SettingsResult;
  /** `changed` lists the settings whose saved value changed. */
  'settings.set': SettingsResult & { changed: Array<keyof Settings> };
  'setup.status': SetupStatus;
  'setup.complete': { user: User; generatedPassword?: string; domain: string; restartRequired: boolean };
  'server.restart': { restarting: true };
  'tor.status': TorStatus;
  'tor.setEnabled': TorStatus;
  'tor.setOptions': TorStatus;
  'tor.rotate': TorStatus & { previousOnionAddress?: string };
  /** The key file's content in base64; put back as `fileName` in the hidden-service directory to restore. */
  'tor.backupKey': { onionAddress: string; fileName: string; keyBase64: string };
  'certs.status': CertificateStatus;
  'certs.selfSigned': CertificateStatus;
  /** `notes` says what was fixed or may matter (chain put in order, a service name not covered). */
  'certs.import': CertificateStatus & { notes: string[] };
  'certs.acme.request': CertificateStatus;
  'certs.acme.cancel': CertificateStatus;
  'storage.status': StorageStatus;
  /** `changed` lists the options whose value changed. */
  'storage.setOptions': StorageStatus & { changed: Array<keyof StorageOptions> };
  /** What was deleted now, and the status after it. */
  'storage.purge': StorageStatus & { deletedFiles: number; freedBytes: number };
  'portMapping.status': PortMappingStatus;
  'portMapping.setOptions': PortMappingStatus;
  'portMapping.selfTest': ReachabilityReport;
  'privacy.facts': PrivacyFacts;
}

export type RequestName = keyof typeof requestSchemas;
export type RequestInput<N extends RequestName> = Input<(typeof requestSchemas)[N]>;
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
  /** Tor's state after every change: started, bootstrap progress, address, crash, stopped. */
  tor: TorStatus;
  /** The certificate's status after every change, and each step of an ACME request. */
  certs: CertificateStatus;
  /** Port mapping's status after every change: router found, ports mapped, renewed, deleted. */
  portMapping: PortMappingStatus;
}
export type EventName = keyof ControlEvents;
export const eventNames: readonly EventName[] = ['status', 'users.changed', 'error', 'tor', 'certs', 'portMapping'];

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

/**
 * Turns schema problems into one sentence a person can act on. The schemas' own defaults ("must
 * be a string", "is required") say nothing of where; they get the field's name in front. Messages
 * written for a request ("give a user name") already say what they mean and stay as they are.
 */
export function describeValidationError(error: SchemaError): string {
  return error.issues
    .map((issue) => {
      const field = issue.path.join('.');
      if (issue.code === 'unrecognized_keys') {
        const keys = issue.keys.map((key) => (field ? `${field}.${key}` : key));
        return `unknown field${keys.length > 1 ? 's' : ''}: ${keys.join(', ')}`;
      }
      return /^(must|is) /.test(issue.message) ? `${field || 'the request'} ${issue.message}` : issue.message;
    })
    .join('; ');
}
