// The certificate Hearth presents, and everything that changes it: a new self-signed one on
// demand, an imported one, one from an ACME authority (Let's Encrypt), renewal before expiry,
// and reloading tls.certFile when another tool renewed it. Whatever changes it, every TLS
// listener gets the new one at once (TlsCredentials.replace) without dropping connections.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Config } from '../../config/schema.js';
import type {
  AcmeChallengeType,
  AcmeRequest,
  CertificateHost,
  CertificateSource,
  CertificateStatus,
  CertificateTrust,
  CertificateDetails,
  Warning,
} from '../../control/contract.js';
import type { HttpRoutes } from '../../net/http-server.js';
import type { TlsCredentials } from '../../net/tls.js';
import type { Logger } from '../../util/log.js';
import { loadOrCreateAccountKey } from './acme/account.js';
import { AcmeJobProgress } from './acme/acme-job.js';
import { withoutAddresses } from './acme/explain.js';
import { Http01Responder } from './acme/http-01.js';
import { AcmeFailure, issueCertificate } from './acme/issue.js';
import { validateBundle, type BundleInput } from './bundle-validation.js';
import { certificateTrust, coversName, describeCertificate } from './certificate-info.js';
import { clientVerdicts } from './client-support.js';
import { systemClock, type Clock } from '../../util/clock.js';
import { retireManaged, writeManaged, type ManagedMeta } from './managed-store.js';
import { RenewalScheduler, type RenewalOutcome, type RenewalPolicy } from './renewal.js';
import { certificateNames, loadCertificate, type LoadedCertificate } from './self-signed.js';

const day = 86_400_000;

export interface CertificateServiceOptions {
  config: Config;
  /** The certificate in use: shared with the rest of the server and updated in place. */
  certificate: LoadedCertificate;
  source: CertificateSource;
  meta?: ManagedMeta | undefined;
  credentials: TlsCredentials;
  http: HttpRoutes;
  log: Logger;
  clock?: Clock | undefined;
  /** Names the self-signed certificate carries besides the domain's (the onion address while Tor is on). */
  extraNames?: () => readonly string[];
  /** The real ports (0 in the config means one chosen at start). */
  ports: () => { http: number; https: number; c2sTls: number };
  renewalPolicy?: Partial<RenewalPolicy> | undefined;
  /** How often a DNS-01 record is looked up while waiting for it (default 10 s). */
  dnsPollMs?: number | undefined;
}

export type ChangeResult<T = object> = ({ ok: true } & T) | { ok: false; error: string };

export class CertificateService {
  private source: CertificateSource;
  private meta: ManagedMeta | undefined;
  private readonly clock: Clock;
  private readonly http01 = new Http01Responder();
  private readonly listeners = new Set<() => void>();
  private readonly scheduler: RenewalScheduler;
  private readonly cleanups: Array<() => void> = [];
  private job: AcmeJobProgress | undefined;
  private jobs = 0;
  private described: { pem: string; details: CertificateDetails; trust: CertificateTrust; leaf: X509Certificate } | undefined;
  private filesContent: string | undefined;
  private closed = false;

  constructor(private readonly options: CertificateServiceOptions) {
    this.source = options.source;
    this.meta = options.meta;
    this.clock = options.clock ?? systemClock;
    this.cleanups.push(options.http.add(this.http01.route()));
    // Others replace it too (Tor adds the onion name to the self-signed one): show that as well.
    this.cleanups.push(options.credentials.onReplace(() => this.changed()));
    this.scheduler = new RenewalScheduler({
      clock: this.clock,
      policy: options.renewalPolicy,
      expiresAt: () => this.describedCertificate().details.notAfter,
      renewable: () => this.source === 'self-signed' || (this.source === 'acme' && this.meta?.acme !== undefined),
      renew: () => this.renew(),
      onChange: () => this.changed(),
    });
    if (this.source === 'files') this.filesContent = this.readConfiguredFiles();
  }

  /** Starts the renewal schedule (and the watch on tls.certFile). */
  start(): void {
    this.scheduler.start();
    if (this.source === 'files') {
      this.cleanups.push(this.clock.every(60_000 * 5, () => void this.reloadConfiguredFiles()));
    }
  }

  close(): void {
    this.closed = true;
    this.scheduler.stop();
    this.job?.cancel();
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    this.listeners.clear();
  }

  /** Called after every change (certificate, renewal state, ACME step); returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get currentSource(): CertificateSource {
    return this.source;
  }

  /** The last automatic renewal failed (and has not succeeded since). */
  get renewalFailed(): boolean {
    return this.scheduler.state().failures > 0;
  }

  /** Runs the renewal check now (the schedule does it every hour); resolves when a renewal it started is over. */
  checkRenewal(): Promise<void> {
    return this.scheduler.check();
  }

  status(): CertificateStatus {
    const { config } = this.options;
    const { details, trust, leaf } = this.describedCertificate();
    const now = this.clock.now();
    const daysLeft = Math.floor((details.notAfter - now) / day);
    const state = now > details.notAfter ? 'expired' : details.notAfter - now < 30 * day ? 'expiring' : 'valid';
    const coversDomain = coversName(leaf, config.domain);
    const ports = this.options.ports();
    const acme = this.source === 'acme' ? this.meta?.acme : undefined;
    return {
      domain: config.domain,
      source: this.source,
      certificate: details,
      trust,
      state,
      daysLeft,
      hosts: this.hosts(leaf),
      clients: clientVerdicts({ trust, expired: state === 'expired', coversDomain }),
      ...(this.source === 'files' ? { configuredFiles: { certFile: this.options.certificate.certFile, keyFile: this.options.certificate.keyFile } } : {}),
      ...(acme ? { acme: { directoryUrl: acme.directoryUrl, challenge: acme.challenge, names: acme.names, ...(acme.email ? { email: acme.email } : {}) } } : {}),
      renewal: this.scheduler.state(),
      ...(this.job ? { job: this.job.snapshot() } : {}),
      ports,
      dnsHook: config.acme.dnsHook !== undefined,
      warnings: this.warnings(),
    };
  }

  /** What the dashboard and the tray should say about the certificate. */
  warnings(): Warning[] {
    const { details, leaf } = this.describedCertificate();
    const now = this.clock.now();
    const until = new Date(details.notAfter).toISOString().slice(0, 10);
    const warnings: Warning[] = [];
    const renewal = this.scheduler.state();
    if (now > details.notAfter) {
      warnings.push({ id: 'certificate-expired', severity: 'warning', message: `The certificate expired on ${until}: apps refuse to connect until it is renewed (Certificates page).` });
    } else if (details.notAfter - now < (renewal.automatic ? 14 : 30) * day) {
      warnings.push({ id: 'certificate-expiring', severity: 'warning', message: `The certificate expires on ${until}: renew it before then (Certificates page).` });
    }
    if (renewal.failures > 0 && renewal.lastError) {
      const next = renewal.nextAttemptAt ? ` Hearth tries again at ${new Date(renewal.nextAttemptAt).toISOString().slice(0, 16).replace('T', ' ')} UTC.` : '';
      warnings.push({ id: 'certificate-renewal-failed', severity: 'warning', message: `Renewing the certificate failed: ${renewal.lastError}${next}` });
    }
    if (!coversName(leaf, this.options.config.domain)) {
      warnings.push({ id: 'certificate-wrong-name', severity: 'warning', message: `The certificate does not name ${this.options.config.domain}: apps refuse to connect.` });
    }
    if (this.source === 'self-signed') {
      warnings.push({
        id: 'self-signed-certificate',
        severity: 'warning',
        message:
          'Hearth uses a self-signed certificate. Conversations and Gajim ask you to accept it once (compare the fingerprint); Monal and Siskin on iPhone need a certificate from a public authority.',
      });
    }
    return warnings;
  }

  /** A new self-signed certificate for the domain and its service names, in use at once. */
  async regenerateSelfSigned(): Promise<ChangeResult> {
    const refused = this.refuseChange();
    if (refused) return refused;
    const { config } = this.options;
    const made = await loadCertificate({ domain: config.domain, dataDir: config.dataDir, extraNames: this.options.extraNames?.(), fresh: true });
    retireManaged(config.dataDir);
    this.install(made, 'self-signed', undefined);
    this.options.log.info('made a new self-signed certificate; every listener uses it now');
    return { ok: true };
  }

  /** Checks the certificate, key and chain, and uses them at once. */
  importBundle(input: BundleInput): ChangeResult<{ notes: string[] }> {
    const refused = this.refuseChange();
    if (refused) return refused;
    const { config } = this.options;
    const checked = validateBundle(input, { domain: config.domain, serviceNames: this.serviceNames().slice(1), now: this.clock.now() });
    if (!checked.ok) return checked;
    const meta: ManagedMeta = { source: 'imported', installedAt: this.clock.now() };
    const stored = writeManaged(config.dataDir, checked.bundle, meta);
    this.install(stored, 'imported', meta);
    this.options.log.info(`imported a certificate valid until ${new Date(checked.bundle.notAfter).toISOString().slice(0, 10)}; every listener uses it now`);
    return { ok: true, notes: checked.bundle.notes };
  }

  /** Starts an ACME request; it goes on in the background, its steps arrive through onChange. */
  requestAcme(request: Omit<AcmeRequest, 'agreeToTerms'> & { challenge: AcmeChallengeType }): ChangeResult {
    const refused = this.refuseChange();
    if (refused) return refused;
    const allowed = this.serviceNames();
    const names = [...new Set([this.options.config.domain, ...(request.names ?? allowed).map((name) => name.toLowerCase())])];
    const unknown = names.filter((name) => !allowed.includes(name));
    if (unknown.length > 0) return { ok: false, error: `${unknown.join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not among this server's names (${allowed.join(', ')})` };
    void this.runAcme({ directoryUrl: request.directoryUrl, challenge: request.challenge, email: request.email, names }, false);
    return { ok: true };
  }

  cancelAcme(): ChangeResult {
    if (!this.job || this.job.finished) return { ok: false, error: 'no certificate request is running' };
    this.job.cancel();
    return { ok: true };
  }

  private refuseChange(): { ok: false; error: string } | undefined {
    if (this.source === 'files') {
      return {
        ok: false,
        error: `the certificate comes from the files in the configuration (tls.certFile ${this.options.certificate.certFile}): renew or replace those, or remove tls.certFile and tls.keyFile to let Hearth manage the certificate`,
      };
    }
    if (this.job && !this.job.finished) return { ok: false, error: 'a certificate request is running: wait for it to finish, or cancel it' };
    return undefined;
  }

  private serviceNames(): string[] {
    return certificateNames(this.options.config.domain);
  }

  private hosts(leaf: X509Certificate): CertificateHost[] {
    const roles = ['domain', 'conference', 'upload', 'proxy'] as const;
    const hosts: CertificateHost[] = this.serviceNames().map((name, index) => ({ name, role: roles[index] ?? 'extra', covered: coversName(leaf, name) }));
    // Extra names (the onion address) matter only on the self-signed certificate, which carries them.
    if (this.source === 'self-signed') {
      for (const name of this.options.extraNames?.() ?? []) hosts.push({ name, role: 'extra', covered: coversName(leaf, name) });
    }
    return hosts;
  }

  private async renew(): Promise<RenewalOutcome> {
    if (this.source === 'self-signed') {
      const result = await this.regenerateSelfSigned();
      return result.ok ? { ok: true } : result;
    }
    const acme = this.meta?.acme;
    if (this.source !== 'acme' || !acme) return { ok: false, error: 'this certificate cannot be renewed by Hearth' };
    if (this.job && !this.job.finished) return { ok: false, error: 'a certificate request is already running' };
    this.options.log.info('renewing the certificate from its ACME authority');
    return this.runAcme(acme, true);
  }

  private async runAcme(settings: { directoryUrl: string; challenge: AcmeChallengeType; email?: string | undefined; names: string[] }, renewal: boolean): Promise<RenewalOutcome> {
    const { config, log } = this.options;
    const job = new AcmeJobProgress(
      { id: ++this.jobs, renewal, directoryUrl: settings.directoryUrl, challenge: settings.challenge, names: settings.names, startedAt: this.clock.now() },
      () => this.clock.now(),
      () => this.changed(),
    );
    this.job = job;
    this.changed();
    try {
      const accountKey = await loadOrCreateAccountKey(config.dataDir, settings.directoryUrl);
      const ports = this.options.ports();
      const issued = await issueCertificate({
        ...settings,
        accountKey,
        http01: this.http01,
        alpn: this.options.credentials.alpnChallenges,
        dns: {
          resolvers: config.acme.dnsResolvers ?? [],
          hook: config.acme.dnsHook,
          waitMs: config.acme.dnsWaitMinutes * 60_000,
          pollMs: this.options.dnsPollMs ?? 10_000,
        },
        ports: { http: ports.http, https: ports.https },
        job,
      });
      if (job.finished || this.closed) return { ok: false, error: 'the request was cancelled' };
      job.begin('install', 'Switching every listener to the new certificate');
      const checked = validateBundle({ certificate: issued.certificatePem, key: issued.keyPem }, { domain: config.domain, serviceNames: [], now: this.clock.now() });
      if (!checked.ok) throw new AcmeFailure(`The certificate authority sent a certificate Hearth cannot use: ${checked.error}.`);
      const meta: ManagedMeta = { source: 'acme', installedAt: this.clock.now(), acme: settings };
      const stored = writeManaged(config.dataDir, checked.bundle, meta);
      this.install(stored, 'acme', meta);
      job.finish('install', `Valid until ${new Date(checked.bundle.notAfter).toISOString().slice(0, 10)}`);
      job.succeed();
      log.info(`${renewal ? 'renewed' : 'installed'} a certificate from ${withoutAddresses(new URL(settings.directoryUrl).host)} for ${settings.names.length} names, valid until ${new Date(checked.bundle.notAfter).toISOString().slice(0, 10)}`);
      return { ok: true };
    } catch (error) {
      const message = error instanceof AcmeFailure ? error.message : `Something went wrong in Hearth: ${(error as Error).message}`;
      if (!(error instanceof AcmeFailure)) log.error('the certificate request failed', error);
      else log.warn(`the certificate request failed: ${withoutAddresses(message)}`);
      job.fail(message);
      return { ok: false, error: message };
    }
  }

  private install(loaded: LoadedCertificate, source: CertificateSource, meta: ManagedMeta | undefined): void {
    const { cert, key, certFile, keyFile, selfSigned } = loaded;
    // In place: the control API, Tor and the server object hold this same object.
    Object.assign(this.options.certificate, { cert, key, certFile, keyFile, selfSigned });
    this.source = source;
    this.meta = meta;
    this.scheduler.reset();
    this.options.credentials.replace(this.options.certificate);
  }

  private readConfiguredFiles(): string | undefined {
    const { certFile, keyFile } = this.options.certificate;
    try {
      return readFileSync(certFile, 'utf8') + readFileSync(keyFile, 'utf8');
    } catch {
      return undefined;
    }
  }

  /** tls.certFile changed (another tool renewed it): use the new files if they are a good pair. */
  private reloadConfiguredFiles(): void {
    const content = this.readConfiguredFiles();
    if (content === undefined || content === this.filesContent) return;
    this.filesContent = content;
    const { certFile, keyFile } = this.options.certificate;
    const cert = readFileSync(certFile, 'utf8');
    const key = readFileSync(keyFile, 'utf8');
    const checked = validateBundle({ certificate: cert, key }, { domain: this.options.config.domain, serviceNames: [], now: this.clock.now() });
    if (!checked.ok) {
      this.options.log.warn(`tls.certFile changed but cannot be used (${checked.error}); keeping the certificate in use`);
      return;
    }
    this.install({ cert, key, certFile, keyFile, selfSigned: false }, 'files', undefined);
    this.options.log.info('tls.certFile changed: every listener uses the new certificate');
  }

  private describedCertificate() {
    const pem = this.options.certificate.cert;
    if (this.described?.pem !== pem) {
      this.described = { pem, details: describeCertificate(pem), trust: certificateTrust(pem), leaf: new X509Certificate(pem) };
    }
    return this.described;
  }

  private changed(): void {
    if (this.closed) return;
    for (const listener of [...this.listeners]) listener();
  }
}
