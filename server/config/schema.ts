// The configuration file: one JSON object, validated here with defaults and bounds.
// Every key is documented in README.md; a bad value is reported with the key's full name.
import { z } from 'zod';

const port = z.number().int().min(0).max(65535);

/** A listen address: an IP literal or a hostname; '*' means every interface. */
const listenAddress = z.string().min(1).max(255);

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
      })
      .strict()
      .default({ c2s: 5222, c2sTls: 5223, s2s: 5269, http: 5280, https: 5281, admin: 5380 }),
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
      })
      .strict()
      .default({ scramIterations: 4096 }),
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
