// The configuration file: one JSON object, validated here with defaults and bounds.
// Every key is documented in README.md; a bad value is reported with the key's full name.
import { isIP } from 'node:net';
import { z, type Input, type Output } from '../util/schema.js';
import { parseHostPort } from '../util/host-port.js';
import { prepareDomainpart } from '../util/jid.js';
import { parseGatewayAddress } from '../services/port-mapping/gateway-address.js';

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

/** A DNS server to ask: an IP address, optionally with a port (192.0.2.1:53, [2001:db8::1]:53). */
const dnsServerAddress = z
  .string()
  .max(64)
  .refine(
    (value) => {
      const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(value);
      if (bracketed) return isIP(bracketed[1]!) === 6 && (bracketed[2] === undefined || Number(bracketed[2]) <= 65535);
      if (isIP(value) !== 0) return true;
      const withPort = /^([\d.]+):(\d{1,5})$/.exec(value);
      return withPort !== null && isIP(withPort[1]!) === 4 && Number(withPort[2]) <= 65535;
    },
    { message: 'must be an IP address, optionally with a port, such as 192.0.2.53 or 192.0.2.53:5353' },
  );

/** An absolute URI (xs:anyURI with a scheme), e.g. mailto:, xmpp:, https: (XEP-0157 §3). */
const contactUri = z
  .string()
  .max(2048)
  .refine((value) => /^[a-z][a-z0-9+.-]*:\S+$/i.test(value) && URL.canParse(value), {
    message: 'must be a URI such as mailto:admin@example.org, xmpp:admin@example.org or https://example.org/help',
  });
const contactUris = z.array(contactUri).min(1).max(20).optional();

/** Another server's domain (s2s.insecureDomains, the keys of s2s.routes), prepared as JIDs compare them (RFC 7622 §3.2). */
const remoteDomain = z
  .string()
  .max(1023)
  .refine((value) => prepareDomainpart(value) !== undefined, { message: 'must be a domain name such as example.org' })
  .transform((value) => prepareDomainpart(value)!);

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
        /**
         * Mozilla's server-side TLS profile for every listener: 'intermediate' (TLS 1.2 and 1.3,
         * forward-secret AEAD ciphers) or 'modern' (TLS 1.3 only, for when every device is recent).
         */
        profile: z.enum(['intermediate', 'modern']).default('intermediate'),
      })
      .strict()
      .default({ profile: 'intermediate' }),
    ports: z
      .object({
        c2s: port.default(5222),
        c2sTls: port.default(5223),
        s2s: port.default(5269),
        /** Federation with TLS from the first byte (XEP-0368, ALPN xmpp-server); unset: no such listener. */
        s2sTls: port.optional(),
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
    /**
     * Lets adminBind be an address other computers can reach. The admin API and UI then answer
     * the network over plain HTTP, guarded by the admin token alone, so it takes this second key.
     */
    adminAllowRemote: z.boolean().default(false),
    registration: z
      .object({
        /** In-band registration (XEP-0077) for anyone who can reach the server. Off: families join by invite. */
        open: z.boolean().default(false),
        /**
         * Accounts one address (an IPv4 address or an IPv6 /64) may make in an hour, in-band
         * (XEP-0077) and on the invitation page together; held in memory only.
         */
        maxPerAddressPerHour: z.number().int().min(1).max(1000).default(10),
      })
      .strict()
      .default({ open: false, maxPerAddressPerHour: 10 }),
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
    /**
     * File upload (XEP-0363) at upload.<domain>: photos, voice messages and files shared in chats,
     * stored in <dataDir>/uploads. The admin UI's Storage page changes these (not `enabled`) at once.
     */
    upload: z
      .object({
        enabled: z.boolean().default(true),
        /** Largest file one upload may be. */
        maxFileSizeBytes: z.number().int().min(1_048_576).max(17_179_869_184).default(104_857_600),
        /** Days a file stays; then it is deleted and its link stops working. */
        retentionDays: z.number().int().min(1).max(3650).default(30),
        /** Bytes one account may upload in 24 hours. */
        userDailyQuotaBytes: z.number().int().min(1_048_576).max(1_099_511_627_776).default(1_073_741_824),
        /** Bytes all uploads together may take on disk. */
        totalQuotaBytes: z.number().int().min(1_048_576).max(1_125_899_906_842_624).default(10_737_418_240),
      })
      .strict()
      .superRefine((upload, context) => {
        // A limit above a quota would promise files nobody could ever upload.
        if (upload.maxFileSizeBytes > upload.userDailyQuotaBytes) {
          context.addIssue({ code: 'custom', path: ['maxFileSizeBytes'], message: 'must not be larger than upload.userDailyQuotaBytes' });
        }
        if (upload.maxFileSizeBytes > upload.totalQuotaBytes) {
          context.addIssue({ code: 'custom', path: ['maxFileSizeBytes'], message: 'must not be larger than upload.totalQuotaBytes' });
        }
      })
      .default({ enabled: true, maxFileSizeBytes: 104_857_600, retentionDays: 30, userDailyQuotaBytes: 1_073_741_824, totalQuotaBytes: 10_737_418_240 }),
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
        /** Bytes per second one link from another server may send after a burst; 0 for no limit. */
        s2sBytesPerSecond: z.number().int().min(0).max(1_073_741_824).default(1_048_576),
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
        s2sBytesPerSecond: 1_048_576,
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
    /** XMPP over BOSH (XEP-0124, XEP-0206) at /http-bind on the HTTPS port, for browser clients. */
    bosh: z
      .object({
        /** Longest a request is held waiting for something to send (XEP-0124 'wait'); clients may ask for less. */
        maxWaitSeconds: z.number().int().min(1).max(100).default(60),
        /** A session with no request in progress this long is over, like a dropped connection (XEP-0124 §10). */
        inactivitySeconds: z.number().int().min(2).max(600).default(60),
        /** Longest pause a client may ask for, e.g. while a web page reloads (XEP-0124 §10 'maxpause'); 0 refuses pauses. */
        maxPauseSeconds: z.number().int().min(0).max(3600).default(120),
      })
      .strict()
      .default({ maxWaitSeconds: 60, inactivitySeconds: 60, maxPauseSeconds: 120 }),
    /** XMPP over WebSocket (RFC 7395) at /xmpp-websocket on the HTTPS port. */
    websocket: z
      .object({
        /** Seconds between pings (RFC 6455 §5.5.2); a connection that has not answered by the next one is dropped. */
        pingIntervalSeconds: z.number().int().min(1).max(3600).default(30),
      })
      .strict()
      .default({ pingIntervalSeconds: 30 }),
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
        /** Never throttle sign-ins or registrations from this computer (loopback). */
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
    /** Federation (server/s2s): links to other XMPP servers, always over TLS with valid certificates. */
    s2s: z
      .object({
        /** Talk to other servers at all; off, remote addresses bounce and nothing listens on ports.s2s. */
        enabled: z.boolean().default(true),
        /** Extra certificate authorities (PEM) trusted for other servers' certificates, besides the public ones. */
        caFile: z.string().min(1).optional(),
        /** Servers whose invalid certificate (self-signed, expired, wrong name) is accepted anyway; shown as a warning. */
        insecureDomains: z.array(remoteDomain).max(1000).default([]),
        /** Where to reach a server instead of asking DNS: domain -> "host:port" (LAN peers, tests). */
        routes: z
          .record(
            z.string(),
            z.string().refine((value) => parseHostPort(value) !== undefined, { message: 'must be host:port, such as 192.168.1.20:5269 or [fd00::20]:5269' }),
          )
          .superRefine((routes, context) => {
            for (const key of Object.keys(routes)) {
              if (prepareDomainpart(key) === undefined) context.addIssue({ code: 'custom', path: [key], message: 'must be a domain name such as example.org' });
            }
          })
          .transform((routes) => Object.fromEntries(Object.entries(routes).map(([key, value]) => [prepareDomainpart(key) ?? key, value])))
          .default({}),
        /** Seconds a new link may take (DNS, TCP, TLS, authentication) before waiting stanzas bounce with remote-server-timeout. */
        connectTimeoutSeconds: z.number().int().min(1).max(600).default(60),
        /** Seconds without traffic after which a link is closed (it opens again when needed). */
        idleTimeoutSeconds: z.number().int().min(5).max(86_400).default(600),
      })
      .strict()
      .default({ enabled: true, insecureDomains: [], routes: {}, connectTimeoutSeconds: 60, idleTimeoutSeconds: 600 }),
    /** The onion service (server/services/tor): Hearth's own tor process, off until switched on. */
    tor: z
      .object({
        /** Run tor and offer c2s, direct TLS, s2s and HTTPS on a stable onion address. */
        enabled: z.boolean().default(false),
        /** The tor program: a name looked up on PATH, or its full path (tor.exe of the Tor Expert Bundle on Windows). */
        binary: z.string().min(1).max(4096).default('tor'),
        /** Publish the onion address in the server's service discovery; off, only those given it know it. */
        advertise: z.boolean().default(false),
        /** Federation through Tor: never ('clearnet'), to *.onion servers ('onions'), or to every server ('all'). */
        federation: z.enum(['clearnet', 'onions', 'all']).default('onions'),
      })
      .strict()
      .default({ enabled: false, binary: 'tor', advertise: false, federation: 'onions' }),
    /** Certificates from an ACME authority such as Let's Encrypt (server/services/certs): what DNS-01 needs. */
    acme: z
      .object({
        /** A program that creates and removes DNS-01 TXT records at the DNS provider: `<program> add|remove <name> <value> <domain>`. */
        dnsHook: z.string().min(1).max(4096).optional(),
        /** DNS servers asked whether a TXT record can be seen yet (IP address, optionally with :port); the system's when unset. */
        dnsResolvers: z.array(dnsServerAddress).min(1).max(8).optional(),
        /** Minutes Hearth waits for the TXT records to appear in DNS before giving up. */
        dnsWaitMinutes: z.number().int().min(1).max(1440).default(30),
      })
      .strict()
      .default({ dnsWaitMinutes: 30 }),
    /** Invitations (XEP-0401): links that let a family member make an account or become a contact. */
    invites: z
      .object({
        /** Days an invitation made from a chat app stays valid; the admin page and the CLI choose their own. */
        expiryDays: z.number().int().min(1).max(365).default(7),
      })
      .strict()
      .default({ expiryDays: 7 }),
    /** LAN discovery (server/services/mdns): multicast DNS announcements on the home network. */
    mdns: z
      .object({
        /** Announce the chat and HTTPS ports under this computer's .local name (not when `bind` is loopback only). */
        enabled: z.boolean().default(true),
      })
      .strict()
      .default({ enabled: true }),
    /** Router port mapping (server/services/port-mapping): UPnP IGD or NAT-PMP, off until switched on. */
    portMapping: z
      .object({
        /** Ask the home router to forward the chosen ports to Hearth (the Network page changes it, at once). */
        enabled: z.boolean().default(false),
        /** How to ask the router: 'auto' tries NAT-PMP and UPnP. */
        protocol: z.enum(['auto', 'upnp', 'nat-pmp']).default('auto'),
        /** The router: its IP address for NAT-PMP (optionally :port), or the http:// address of its UPnP description; found on the network when unset. */
        gateway: z
          .string()
          .max(2048)
          .refine((value) => parseGatewayAddress(value) !== undefined, {
            message: 'must be the router\'s IPv4 address (such as 192.168.1.1) or the http:// address of its UPnP description (such as http://192.168.1.1:5000/rootDesc.xml)',
          })
          .optional(),
        /** Which listeners are forwarded: c2s, c2sTls, s2s, https. */
        ports: z
          .array(z.enum(['c2s', 'c2sTls', 's2s', 'https']))
          .max(4)
          .refine((ports) => new Set(ports).size === ports.length, { message: 'must name each port only once' })
          .default(['c2s', 'c2sTls', 's2s', 'https']),
        /** Seconds each mapping is asked for; Hearth renews it halfway (RFC 6886 recommends 7200). */
        lifetimeSeconds: z.number().int().min(120).max(604_800).default(7200),
      })
      .strict()
      .superRefine((mapping, context) => {
        const address = mapping.gateway === undefined ? undefined : parseGatewayAddress(mapping.gateway);
        if (address && mapping.protocol !== 'auto' && address.protocol !== mapping.protocol) {
          context.addIssue({
            code: 'custom',
            path: ['gateway'],
            message: mapping.protocol === 'upnp' ? 'must be the http:// address of the router\'s UPnP description when portMapping.protocol is upnp' : 'must be an IPv4 address when portMapping.protocol is nat-pmp',
          });
        }
      })
      .default({ enabled: false, protocol: 'auto', ports: ['c2s', 'c2sTls', 's2s', 'https'], lifetimeSeconds: 7200 }),
    log: z
      .object({
        /**
         * debug | info | warn | error. Logs never contain IP addresses; below debug they never contain
         * message content or other people's addresses either. Debug is shown as a warning while on.
         */
        level: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
      })
      .strict()
      .default({ level: 'info' }),
  })
  .strict();

export type ConfigInput = Input<typeof configSchema>;
type ParsedConfig = Output<typeof configSchema>;

/** The configuration after defaults are applied and machine-dependent values resolved. */
export type Config = Omit<ParsedConfig, 'domain' | 'dataDir'> & { domain: string; dataDir: string };
