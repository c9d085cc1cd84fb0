// Prosody under test, started by the shared launcher (test/support/prosody.ts) with the features
// Hearth has on by default, so both servers do the same work per stanza.
import { prosodyVersion, startProsody } from '../../test/support/prosody.js';
import type { BenchServer, ServerSetup } from './bench-server.js';

/**
 * Prosody's counterparts of Hearth's default modules (server/main.ts). Hearth's push (XEP-0357)
 * has no module in Prosody 0.12 itself; register, external services, contact addresses and last
 * activity are off in Hearth by default and left out here too.
 */
export const prosodyBenchModules = [
  'pep',
  'private',
  'bookmarks',
  'vcard_legacy',
  'vcard4',
  'smacks',
  'csi_simple',
  'carbons',
  'mam',
  'time',
  'version',
  'blocklist',
];

export async function startProsodyForBench(setup: ServerSetup): Promise<BenchServer> {
  const mucDomain = `conference.${setup.domain}`;
  const prosody = await startProsody({
    dir: setup.dir,
    domain: setup.domain,
    bind: setup.bind,
    certificate: { certFile: setup.certFile, keyFile: setup.keyFile },
    caFile: setup.caFile,
    modules: prosodyBenchModules,
    // Rooms get no occupant limit unless configured (the scenario sets maxusers itself).
    components: [{ domain: mucDomain, plugin: 'muc', modules: ['muc_mam'] }],
    options: {
      // Hearth keeps archives 7 days by default.
      archive_expires_after: '1w',
      // Prosody's file storage refuses archive items past 10,000 per account by default; the
      // archive scenario needs more (Hearth has no such cap).
      storage_archive_item_limit: Math.max(10_000, 2 * setup.archiveItems),
      // Prosody leaves Nagle's algorithm on by default, and OpenSSL writes its TLS handshake in
      // several small writes: the second waits for an ACK the client delays by 40 ms, so every
      // login on loopback takes ~45 ms longer than Prosody's work needs (measured: 55 ms -> 11 ms
      // per login). Node sends each handshake flight in one write. TCP_NODELAY (nagle = false in
      // net.server_epoll) compares the servers' work instead of a TCP timer; --prosody-nagle
      // keeps Prosody's default.
      ...(setup.prosodyNagle ? {} : { network_settings: { nagle: false } }),
      // Prosody stores everything in files unless told otherwise, and its file archive reads the
      // whole archive for each query. "sql" puts the archives (mod_mam's, mod_muc_mam's) in
      // SQLite, as Prosody's documentation advises for big archives; needs lua-dbi-sqlite3.
      ...(setup.prosodyStorage === 'sql' ? { storage: { archive: 'sql', muc_log: 'sql' }, sql: { driver: 'SQLite3', database: 'archives.sqlite' } } : {}),
    },
    scramIterations: 4096,
    logLevel: 'warn',
  });
  const storageError = /^.*\b(error)\b.*\b(sql|DBI)\b.*$/im.exec(prosody.log());
  if (setup.prosodyStorage === 'sql' && storageError) {
    await prosody.stop();
    throw new Error(`Prosody cannot use SQLite (apt-get install lua-dbi-sqlite3): ${storageError[0]}`);
  }
  // Straight into the data directory, as Hearth's are: prosodyctl takes ~40 ms per account.
  prosody.writeAccounts(setup.usernames.map((username) => ({ username, password: setup.password })));
  return {
    name: 'Prosody',
    version: prosodyVersion() ?? 'unknown',
    pid: prosody.pid,
    host: prosody.bind,
    port: prosody.c2sPort,
    domain: prosody.domain,
    mucDomain,
    log: prosody.log,
    stop: prosody.stop,
  };
}
