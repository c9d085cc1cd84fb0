// `hearth cert status|import|selfsigned|request`: the Certificates page on the command line.
// With Hearth running, every command goes through its control API, so a new certificate is in use
// at once on every listener. Without it, status, import and selfsigned work on the data
// directory (the server uses the result at its next start); request needs the running server,
// which answers the authority's checks on its ports.
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from './config/schema.js';
import { acmeChallengeTypes, type AcmeJob, type CertificateStatus, type ControlResult, type RequestName } from './control/contract.js';
import { validateBundle } from './services/certs/bundle-validation.js';
import { certificateTrust, coversName, describeCertificate } from './services/certs/certificate-info.js';
import { clientVerdicts } from './services/certs/client-support.js';
import { readManaged, retireManaged, writeManaged } from './services/certs/managed-store.js';
import { certificateNames, loadCertificate } from './services/certs/self-signed.js';

export type ControlRequest = (config: Config, name: RequestName, input: unknown) => Promise<ControlResult<unknown> | undefined>;

export interface CertOptions {
  json?: boolean | undefined;
  cert?: string | undefined;
  key?: string | undefined;
  chain?: string | undefined;
  acmeDirectory?: string | undefined;
  challenge?: string | undefined;
  email?: string | undefined;
}

export class CertUsageError extends Error {}

const print = (text: string) => process.stdout.write(`${text}\n`);
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export async function certCommand(config: Config, args: string[], options: CertOptions, controlRequest: ControlRequest): Promise<number> {
  const [action] = args;
  switch (action) {
    case 'status':
      return status(config, options, controlRequest);
    case 'import':
      return importBundle(config, options, controlRequest);
    case 'selfsigned':
      return selfSigned(config, controlRequest);
    case 'request':
      return request(config, options, controlRequest);
    default:
      throw new CertUsageError(`unknown cert command "${action ?? ''}" (status, import, selfsigned or request)`);
  }
}

async function status(config: Config, options: CertOptions, controlRequest: ControlRequest): Promise<number> {
  const live = await controlRequest(config, 'certs.status', {});
  if (live && !live.ok) throw new Error(live.error);
  if (live) {
    const value = live.value as CertificateStatus;
    if (options.json) print(JSON.stringify({ serverRunning: true, ...value }));
    else for (const line of describeStatus(value)) print(line);
    return 0;
  }
  // Not running: what the server would start with.
  const onDisk = certificateOnDisk(config);
  if (!onDisk) {
    if (options.json) print(JSON.stringify({ serverRunning: false, certificate: null }));
    else print('Hearth is not running and has no certificate yet: it makes a self-signed one at its first start.');
    return 3;
  }
  const details = describeCertificate(onDisk.pem);
  const trust = certificateTrust(onDisk.pem);
  if (options.json) {
    print(JSON.stringify({ serverRunning: false, source: onDisk.source, certificate: details, trust }));
    return 3;
  }
  print(`Hearth is not running; it starts with this certificate (${onDisk.source}, ${onDisk.file}):`);
  for (const line of describeCertificateLines(details, trust, Date.now())) print(line);
  const leaf = new X509Certificate(onDisk.pem);
  const verdicts = clientVerdicts({ trust, expired: Date.now() > details.notAfter, coversDomain: coversName(leaf, config.domain) });
  for (const verdict of verdicts) print(`  ${verdict.client} (${verdict.platform}): ${verdict.note}`);
  return 3;
}

function certificateOnDisk(config: Config): { pem: string; source: string; file: string } | undefined {
  if (config.tls.certFile) return { pem: readFileSync(config.tls.certFile, 'utf8'), source: 'from tls.certFile', file: config.tls.certFile };
  const managed = readManaged(config.dataDir);
  if (managed) return { pem: managed.cert, source: managed.meta.source === 'acme' ? 'from an ACME authority' : 'imported', file: managed.certFile };
  const selfSigned = join(config.dataDir, 'certs', `${config.domain}.crt`);
  if (existsSync(selfSigned)) return { pem: readFileSync(selfSigned, 'utf8'), source: 'self-signed', file: selfSigned };
  return undefined;
}

function describeCertificateLines(details: CertificateStatus['certificate'], trust: CertificateStatus['trust'], now: number): string[] {
  const daysLeft = Math.floor((details.notAfter - now) / 86_400_000);
  return [
    `Issuer: ${details.issuer}${trust === 'public' ? ' (a public authority: every app accepts it)' : trust === 'private' ? ' (an authority phones do not know)' : ''}`,
    `Names: ${details.names.join(', ') || 'none'}`,
    `Valid until: ${day(details.notAfter)} (${daysLeft >= 0 ? `${daysLeft} days left` : `expired ${-daysLeft} days ago`})`,
    `Fingerprint (SHA-256): ${details.fingerprintSha256}`,
  ];
}

export function describeStatus(value: CertificateStatus): string[] {
  const source = { 'self-signed': 'self-signed, made by Hearth', imported: 'imported', acme: `from ${value.acme ? new URL(value.acme.directoryUrl).host : 'an ACME authority'}`, files: 'from tls.certFile' }[value.source];
  const lines = [`Certificate for ${value.domain}: ${source}.`, ...describeCertificateLines(value.certificate, value.trust, Date.now())];
  const uncovered = value.hosts.filter((host) => !host.covered).map((host) => host.name);
  if (uncovered.length > 0) lines.push(`Not covered: ${uncovered.join(', ')}`);
  for (const verdict of value.clients) lines.push(`  ${verdict.client} (${verdict.platform}): ${verdict.note}`);
  if (value.renewal.automatic && value.renewal.renewAt) lines.push(`Renews by itself from ${day(value.renewal.renewAt)}.`);
  if (value.renewal.lastError) lines.push(`Last renewal failed: ${value.renewal.lastError}`);
  if (value.job?.state === 'running') lines.push(`A certificate request is running (${value.job.challenge}).`);
  return lines;
}

function readFileFor(option: string, file: string | undefined, required: boolean): string | undefined {
  if (!file) {
    if (required) throw new CertUsageError(`hearth cert import needs --${option} FILE`);
    return undefined;
  }
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read --${option} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

async function importBundle(config: Config, options: CertOptions, controlRequest: ControlRequest): Promise<number> {
  const input = { certificate: readFileFor('cert', options.cert, true)!, key: readFileFor('key', options.key, true)!, chain: readFileFor('chain', options.chain, false) };
  const live = await controlRequest(config, 'certs.import', input);
  if (live) {
    if (!live.ok) throw new Error(live.error);
    const value = live.value as CertificateStatus & { notes: string[] };
    print('Imported: every listener of the running Hearth uses the new certificate now.');
    for (const note of value.notes) print(`Note: ${note}`);
    for (const line of describeStatus(value)) print(line);
    return 0;
  }
  refuseWhenConfigured(config);
  const checked = validateBundle(input, { domain: config.domain, serviceNames: certificateNames(config.domain).slice(1), now: Date.now() });
  if (!checked.ok) throw new Error(checked.error);
  writeManaged(config.dataDir, checked.bundle, { source: 'imported', installedAt: Date.now() });
  print('Imported: Hearth uses this certificate from its next start.');
  for (const note of checked.bundle.notes) print(`Note: ${note}`);
  return 0;
}

async function selfSigned(config: Config, controlRequest: ControlRequest): Promise<number> {
  const live = await controlRequest(config, 'certs.selfSigned', {});
  if (live) {
    if (!live.ok) throw new Error(live.error);
    const value = live.value as CertificateStatus;
    print('Made a new self-signed certificate: every listener of the running Hearth uses it now. Apps that had accepted the old one ask once more.');
    print(`Fingerprint (SHA-256): ${value.certificate.fingerprintSha256}`);
    return 0;
  }
  refuseWhenConfigured(config);
  const made = await loadCertificate({ domain: config.domain, dataDir: config.dataDir, fresh: true });
  retireManaged(config.dataDir);
  print(`Made a new self-signed certificate (${made.certFile}); Hearth uses it from its next start.`);
  print(`Fingerprint (SHA-256): ${new X509Certificate(made.cert).fingerprint256}`);
  return 0;
}

function refuseWhenConfigured(config: Config): void {
  if (config.tls.certFile) {
    throw new Error(`the certificate comes from the files in the configuration (tls.certFile ${config.tls.certFile}): renew or replace those, or remove tls.certFile and tls.keyFile to let Hearth manage the certificate`);
  }
}

async function request(config: Config, options: CertOptions, controlRequest: ControlRequest): Promise<number> {
  if (!options.acmeDirectory) throw new CertUsageError('hearth cert request needs --acme-directory URL (for Let’s Encrypt: https://acme-v02.api.letsencrypt.org/directory)');
  const challenge = options.challenge ?? 'http-01';
  if (!(acmeChallengeTypes as readonly string[]).includes(challenge)) throw new CertUsageError(`--challenge must be one of ${acmeChallengeTypes.join(', ')}`);
  const input = { directoryUrl: options.acmeDirectory, challenge, ...(options.email ? { email: options.email } : {}), agreeToTerms: true };
  const started = await controlRequest(config, 'certs.acme.request', input);
  if (!started) {
    throw new Error('Hearth is not running: start it first (hearth serve). The running server answers the certificate authority’s checks on its ports, and uses the certificate at once.');
  }
  if (!started.ok) throw new Error(started.error);
  print(`Asking ${new URL(options.acmeDirectory).host} for a certificate (by asking, you agree to its terms of service).`);
  const job = (started.value as CertificateStatus).job;
  if (!job) throw new Error('the running Hearth did not start the request');
  const shown = new Map<string, string>();
  let recordsShown = false;
  // Follow the steps as the page does, until the request is over.
  for (;;) {
    const polled = await controlRequest(config, 'certs.status', {});
    if (!polled?.ok) throw new Error(polled ? polled.error : 'Hearth stopped while the request ran');
    const current = (polled.value as CertificateStatus).job;
    if (!current || current.id !== job.id) throw new Error('another request replaced this one');
    for (const step of current.steps) {
      const line = `${step.state === 'done' ? '✓' : step.state === 'failed' ? '✗' : '…'} ${step.label}${step.detail ? ` (${step.detail})` : ''}`;
      if (shown.get(step.id) !== line) {
        shown.set(step.id, line);
        print(line);
      }
    }
    if (current.dnsRecords && !recordsShown) {
      recordsShown = true;
      for (const record of current.dnsRecords) print(`  TXT record: ${record.name}  value: ${record.value}`);
    }
    if (current.state !== 'running') return finish(current);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

function finish(job: AcmeJob): number {
  if (job.state === 'succeeded') {
    print('Done: every listener uses the new certificate, and Hearth renews it by itself 30 days before it expires.');
    return 0;
  }
  process.stderr.write(`hearth: ${job.error ?? 'the request did not finish'}\n`);
  return 1;
}
