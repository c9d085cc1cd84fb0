// The configuration file: one JSON object, validated here with defaults and bounds.
// Every key is documented in README.md; a bad value is reported with the key's full name.
import { isIP } from 'node:net';
import { z } from 'zod';

const port = z.number().int().min(0).max(65535);

/** A listen address: an IP literal or a hostname; '*' means every interface. */
const listenAddress = z.string().min(1).max(255);

/** A host name or an IP address (no brackets), as XEP-0215 wants in a service's host attribute. */
const serviceHost = z
  .string()
  .max(253)
  .refine((value) => isIP(value) !== 0 || /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(value), {
    message: 'must be a host name or an IP address',
  });

/** An absolute URI (xs:anyURI with a scheme), e.g. mailto:, xmpp:, https: (XEP-0157 §3). */
const contactUri = z
  .string()
  .max(2048)
  .refine((value) => /^[a-z][a-z0-9+.-]*:\S+$/i.test(value) && URL.canParse(value), {
    message: 'must be a URI such as mailto:admin@example.org, xmpp:admin@example.org or https://example.org/help',
  });
const contactUris = z.array(contactUri).min(1).max(20).optional();

export const configSchema = z
  .object({
    /** The XMPP domain users live on (user@domain). Defaults to this machine's hostname. */
    domain: z.string().min(1).max(1023).optional(),
    /** Where the database, certificates and uploads live. */
    dataDir: z.string().min(1).optional(),
    tls: z
      .object({
        /** PEM certificate (with chain) for the domain; a self-signed one is made when unset. */
        certFile: z.string().min(1).optional(),
        keyFile: z.string().min(1).optional(),
      })
      .strict()
      .default({}),
    ports: z
      .object({
        c2s: port.default(5222),
        c2sTls: port.default(5223),
        s2s: port.default(5269),
        http: port.default(5280),
        https: port.default(5281),
        admin: port.default(5380),
        /** The XEP-0065 file-transfer proxy (SOCKS5). */
        proxy65: port.default(5000),
      })
      .strict()
      .default({ c2s: 5222, c2sTls: 5223, s2s: 5269, http: 5280, https: 5281, admin: 5380, proxy65: 5000 }),
    http: z
      .object({
        /**
         * The HTTPS address clients reach (upload links, BOSH, WebSocket), when it differs from
         * https://<domain>:<ports.https>, e.g. behind a router forwarding 443.
         */
        publicUrl: z
          .string()
          .max(2048)
          .refine((value) => /^https:\/\/[^/?#]+\/?$/.test(value) && URL.canParse(value), {
            message: 'must be an https:// address without a path, such as https://chat.example.org',
          })
          .optional(),
      })
      .strict()
      .default({}),
    /** Where XMPP listeners bind: every interface by default so phones on the LAN can connect. */
    bind: listenAddress.default('*'),
    /** Where the admin API binds: loopback only unless the admin opens it on purpose. */
    adminBind: listenAddress.default('127.0.0.1'),
    registration: z
      .object({
        /** In-band registration (XEP-0077) for anyone who can reach the server. Off: families join by invite. */
        open: z.boolean().default(false),
      })
      .strict()
      .default({ open: false }),
    /** Contact addresses published in the server's disco#info (XEP-0157); none by default. */
    contactInfo: z
      .object({
        abuse: contactUris,
        admin: contactUris,
        feedback: contactUris,
        sales: contactUris,
        security: contactUris,
        status: contactUris,
        support: contactUris,
      })
      .strict()
      .default({}),
    /** Push notifications (XEP-0357) to the app servers of phone apps. */
    push: z
      .object({
        /** Put the message text in notifications; off, the app server learns only who wrote. */
        includeBody: z.boolean().default(false),
      })
      .strict()
      .default({ includeBody: false }),
    /** A STUN/TURN server (e.g. coturn with use-auth-secret) offered to clients for calls (XEP-0215). */
    turn: z
      .object({
        host: serviceHost.optional(),
        port: port.min(1).default(3478),
        /** coturn's static-auth-secret: time-limited TURN credentials are derived from it. */
        secret: z.string().min(16).max(1024).optional(),
        transports: z.array(z.enum(['udp', 'tcp'])).min(1).max(2).default(['udp', 'tcp']),
        /** A TURN-over-TLS port ("turns"), when the TURN server has one. */
        tlsPort: port.min(1).optional(),
        /** How long handed-out TURN credentials stay valid. */
        ttlSeconds: z.number().int().min(60).max(604_800).default(86_400),
      })
      .strict()
      .superRefine((turn, context) => {
        if (turn.host !== undefined && turn.secret === undefined) context.addIssue({ code: 'custom', path: ['secret'], message: 'required when turn.host is set' });
        if (turn.secret !== undefined && turn.host === undefined) context.addIssue({ code: 'custom', path: ['host'], message: 'required when turn.secret is set' });
      })
      .default({ port: 3478, transports: ['udp', 'tcp'], ttlSeconds: 86_400 }),
    /** The file-transfer proxy (XEP-0065) at proxy.<domain>, for when two devices cannot connect directly. */
    proxy65: z
      .object({
        enabled: z.boolean().default(true),
        /** The host name or address devices connect to; the domain when unset. */
        host: serviceHost.optional(),
        /** Most bytes one transfer may carry. */
        maxBytes: z.number().int().min(1_048_576).max(17_179_869_184).default(1_073_741_824),
        /** A transfer (or a connection waiting for activation) silent this long is closed. */
        idleTimeoutSeconds: z.number().int().min(5).max(3600).default(60),
      })
      .strict()
      .default({ enabled: true, maxBytes: 1_073_741_824, idleTimeoutSeconds: 60 }),
    privacy: z
      .object({
        /** Answer Last Activity (XEP-0012): server uptime, and to contacts when someone was last online. */
        lastActivity: z.boolean().default(false),
        /** Hours a failed sign-in (address, account, time) is remembered for the throttle; memory only. */
        failedLoginRetentionHours: z.number().int().min(1).max(720).default(24),
      })
      .strict()
      .default({ lastActivity: false, failedLoginRetentionHours: 24 }),
    limits: z
      .object({
        /** Largest stanza accepted, in bytes; bigger ones close the stream with policy-violation. */
        maxStanzaBytes: z
          .number()
          .int()
          .min(10_000)
          .max(16 * 1024 * 1024)
          .default(262_144),
        /** Deepest element nesting inside a stanza. */
        maxXmlDepth: z.number().int().min(4).max(1000).default(64),
        /** Most attributes on one element. */
        maxXmlAttributes: z.number().int().min(4).max(1000).default(64),
        /** Seconds a new connection has to authenticate before it is closed. */
        authTimeoutSeconds: z.number().int().min(5).max(3600).default(60),
        /** Resources (devices) one account may have online at once. */
        maxResourcesPerAccount: z.number().int().min(1).max(1000).default(20),
        /** Messages kept offline per account; older ones are refused with resource-constraint. */
        maxOfflineMessages: z.number().int().min(0).max(1_000_000).default(1000),
        /** Contacts one roster may hold. */
        maxRosterItems: z.number().int().min(1).max(100_000).default(1000),
        /** Client connections from one address (an IPv4 address or an IPv6 /64) at once. */
        maxConnectionsPerAddress: z.number().int().min(1).max(100_000).default(32),
        /** Client connections that have not signed in yet, from everywhere together. */
        maxUnauthenticatedConnections: z.number().int().min(1).max(100_000).default(256),
        /** Bytes per second a client connection may send after a burst; 0 for no limit. */
        c2sBytesPerSecond: z.number().int().min(0).max(1_073_741_824).default(131_072),
      })
      .strict()
      .default({
        maxStanzaBytes: 262_144,
        maxXmlDepth: 64,
        maxXmlAttributes: 64,
        authTimeoutSeconds: 60,
        maxResourcesPerAccount: 20,
        maxOfflineMessages: 1000,
        maxRosterItems: 1000,
        maxConnectionsPerAddress: 32,
        maxUnauthenticatedConnections: 256,
        c2sBytesPerSecond: 131_072,
      }),
    streamManagement: z
      .object({
        /** Seconds a dropped phone may take to resume its session (XEP-0198); 0 turns resumption off. */
        resumeTimeoutSeconds: z.number().int().min(0).max(86_400).default(300),
        /** Unacknowledged stanzas one session may hold before it is closed. */
        maxUnackedStanzas: z.number().int().min(10).max(100_000).default(500),
      })
      .strict()
      .default({ resumeTimeoutSeconds: 300, maxUnackedStanzas: 500 }),
    auth: z
      .object({
        /** PBKDF2 iterations for new SCRAM credentials (RFC 7677 recommends at least 4096). */
        scramIterations: z.number().int().min(4096).max(1_000_000).default(4096),
        /** Failed sign-ins from one address within lockMinutes that lock the address out. */
        maxFailuresPerAddress: z.number().int().min(3).max(1000).default(10),
        /** Failed sign-ins on one account within lockMinutes that lock the account out. */
        maxFailuresPerAccount: z.number().int().min(3).max(10_000).default(30),
        /** How long a lock lasts, and the window failures are counted in. */
        lockMinutes: z.number().int().min(1).max(1440).default(15),
        /** Never throttle sign-ins from this computer (loopback). */
        exemptLoopback: z.boolean().default(false),
      })
      .strict()
      .default({ scramIterations: 4096, maxFailuresPerAddress: 10, maxFailuresPerAccount: 30, lockMinutes: 15, exemptLoopback: false }),
    archive: z
      .object({
        /**
         * Days a message stays in the server's archive (XEP-0313), for history on every device.
         * 0 keeps nothing beyond delivery: no archive at all.
         */
        retentionDays: z.number().int().min(0).max(3650).default(7),
      })
      .strict()
      .default({ retentionDays: 7 }),
    /** Group chats (XEP-0045) at conference.<domain>; their archives follow archive.retentionDays. */
    muc: z
      .object({
        /** Who may create rooms: accounts of this server ('local'), only its admins, or anyone who can reach it. */
        roomCreation: z.enum(['local', 'admins', 'anyone']).default('local'),
        /** Rooms one account may own (persistent ones, and temporary ones while they exist). */
        maxRoomsPerUser: z.number().int().min(1).max(10_000).default(50),
        /** Occupants one room may hold; also the highest muc#roomconfig_maxusers an owner can choose. */
        maxOccupants: z.number().int().min(2).max(10_000).default(100),
        /** Messages (to the room and private) one occupant may send per minute; 0 for no limit. */
        messagesPerMinute: z.number().int().min(0).max(100_000).default(60),
        /** Messages of history a joining device gets unless it asks for fewer (XEP-0045 §7.2.14). */
        historyMessages: z.number().int().min(0).max(1000).default(20),
      })
      .strict()
      .default({ roomCreation: 'local', maxRoomsPerUser: 50, maxOccupants: 100, messagesPerMinute: 60, historyMessages: 20 }),
    log: z
      .object({
        /** debug | info | warn | error. Logs never contain message content or IP addresses. */
        level: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
      })
      .strict()
      .default({ level: 'info' }),
  })
  .strict();

export type ConfigInput = z.input<typeof configSchema>;
type ParsedConfig = z.output<typeof configSchema>;

/** The configuration after defaults are applied and machine-dependent values resolved. */
export type Config = Omit<ParsedConfig, 'domain' | 'dataDir'> & { domain: string; dataDir: string };
