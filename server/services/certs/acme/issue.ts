// Getting a certificate from an ACME authority (RFC 8555 §7.1 overview): account, order, prove
// each name with the chosen challenge, finalize with a CSR for a fresh key, download the chain.
// Every step is reported to the job (the Certificates page shows them), and failures are
// explained in plain words (explain.ts).
import type { AcmeChallengeType, DnsRecordToCreate } from '../../../control/contract.js';
import type { TlsAlpnChallenges } from '../../../net/tls-alpn-challenges.js';
import type { AcmeJobProgress } from './acme-job.js';
import { dns01RecordWithValue, runDnsHook, waitForTxtRecords, type DnsRecord } from './dns-01.js';
import { explainError, explainProblem, type ExplainContext } from './explain.js';
import type { Http01Responder } from './http-01.js';
import { tlsAlpnValidationCertificate } from './tls-alpn-01.js';
import { loadAcmeClient, type AcmeClient } from './acme-client.js';

export interface IssueOptions {
  directoryUrl: string;
  accountKey: string;
  email?: string | undefined;
  /** The names to cover; the first is the domain. */
  names: string[];
  challenge: AcmeChallengeType;
  http01: Http01Responder;
  alpn: TlsAlpnChallenges;
  dns: {
    /** DNS servers to check TXT records with (host or host:port); the system's when empty. */
    resolvers: readonly string[];
    /** acme.dnsHook: creates and removes the records at the DNS provider. */
    hook?: string | undefined;
    waitMs: number;
    pollMs: number;
  };
  ports: ExplainContext['ports'];
  job: AcmeJobProgress;
}

export interface IssuedCertificate {
  certificatePem: string;
  keyPem: string;
}

/** A failure already put in plain words, to show as it is. */
export class AcmeFailure extends Error {}

const howTo: Record<AcmeChallengeType, string> = {
  'http-01': 'the authority fetches a file from Hearth on port 80',
  'tls-alpn-01': 'the authority checks a special certificate on port 443',
  'dns-01': 'the authority looks up a TXT record in DNS',
};

export async function issueCertificate(options: IssueOptions): Promise<IssuedCertificate> {
  const { job, names, challenge } = options;
  const signal = job.controller.signal;
  const context: ExplainContext = { challenge, directoryUrl: options.directoryUrl, ports: options.ports };
  const cleanups: Array<() => Promise<void> | void> = [];
  const checkCancelled = () => {
    if (signal.aborted) throw new AcmeFailure('Cancelled: no certificate was installed.');
  };
  let currentName: string | undefined;
  try {
    job.begin('directory', 'Contacting the certificate authority', new URL(options.directoryUrl).host);
    await checkDirectory(options.directoryUrl, context);
    job.finish('directory');

    job.begin('account', 'Signing in with Hearth’s account key');
    const acme = await loadAcmeClient();
    const client = new acme.Client({ directoryUrl: options.directoryUrl, accountKey: options.accountKey, backoffAttempts: 12, backoffMin: 1000, backoffMax: 10_000 });
    await signIn(client, options.email);
    job.finish('account');
    checkCancelled();

    job.begin('order', `Asking for a certificate for ${names.join(', ')}`);
    const order = await client.createOrder({ identifiers: names.map((value) => ({ type: 'dns', value })) });
    const authorizations = await client.getAuthorizations(order);
    job.finish('order');
    checkCancelled();

    // Set up every answer first (one DNS wait for all the records), then ask for the checks.
    const pending: Array<{ authorization: AcmeClient.Authorization; challenge: { url: string; type: string } }> = [];
    const records: Array<{ record: DnsRecord; name: string }> = [];
    for (const authorization of authorizations) {
      const name = authorization.identifier.value;
      const stepId = `prove:${name}`;
      if (authorization.status === 'valid') {
        job.begin(stepId, `Proving that ${name} is yours`);
        job.finish(stepId, 'Already proven recently');
        continue;
      }
      const offered = authorization.challenges.find((c) => c.type === challenge);
      if (!offered) {
        const types = authorization.challenges.map((c) => c.type).join(', ');
        throw new AcmeFailure(`The certificate authority does not offer ${challenge} for ${name} (only ${types || 'nothing'}): choose another way to prove the domain is yours.`);
      }
      const keyAuthorization = await client.getChallengeKeyAuthorization(offered);
      const token = (offered as { token: string }).token;
      if (challenge === 'http-01') {
        options.http01.set(token, keyAuthorization);
        cleanups.push(() => options.http01.delete(token));
      } else if (challenge === 'tls-alpn-01') {
        options.alpn.set(name, await tlsAlpnValidationCertificate(name, keyAuthorization));
        cleanups.push(() => options.alpn.delete(name));
      } else {
        // For dns-01, acme-client's "key authorization" is already its SHA-256 digest, the TXT value.
        records.push({ record: dns01RecordWithValue(name, keyAuthorization), name });
      }
      pending.push({ authorization, challenge: offered });
    }

    if (records.length > 0) await prepareDnsRecords(records, options, cleanups);
    checkCancelled();

    for (const { authorization, challenge: offered } of pending) {
      const name = authorization.identifier.value;
      currentName = name;
      job.begin(`prove:${name}`, `Proving that ${name} is yours`, howTo[challenge]);
      // RFC 8555 §7.5.1: tell the authority the answer is ready, then wait for its verdict.
      await client.completeChallenge(offered as Parameters<typeof client.completeChallenge>[0]);
      try {
        await client.waitForValidStatus(authorization);
      } catch (error) {
        throw new AcmeFailure(await explainInvalidAuthorization(client, order, authorization, { ...context, name }, error));
      }
      job.finish(`prove:${name}`, 'Proven');
      checkCancelled();
    }
    currentName = undefined;

    job.begin('finalize', 'Making a new key and asking for the signed certificate');
    const key = await acme.crypto.createPrivateEcdsaKey('P-256');
    const [, csr] = await acme.crypto.createCsr({ commonName: names[0]!, altNames: names }, key);
    // RFC 8555 §7.4: finalize with the CSR, wait for "valid", then download the chain.
    const finalized = await client.finalizeOrder(order, csr);
    const certificate = await client.getCertificate(finalized);
    job.finish('finalize');
    return { certificatePem: certificate, keyPem: key.toString() };
  } catch (error) {
    if (error instanceof AcmeFailure) throw error;
    throw new AcmeFailure(explainError(error, { ...context, name: currentName }));
  } finally {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch {
        // Cleaning up is best effort: a stale token or record does no harm.
      }
    }
  }
}

/**
 * The account of this key: the existing one (RFC 8555 §7.3.1, onlyReturnExisting), with its
 * contact brought up to date (§7.3.2), or a new one with the terms agreed to.
 */
async function signIn(client: AcmeClient.Client, email: string | undefined): Promise<void> {
  const contact = email ? { contact: [`mailto:${email}`] } : undefined;
  try {
    await client.createAccount({ onlyReturnExisting: true });
  } catch {
    await client.createAccount({ termsOfServiceAgreed: true, ...contact });
    return;
  }
  if (contact) await client.updateAccount(contact);
}

/** The directory answers with JSON that has newOrder (RFC 8555 §7.1.1): else the address is wrong. */
async function checkDirectory(directoryUrl: string, context: ExplainContext): Promise<void> {
  let response: Response;
  try {
    response = await fetch(directoryUrl, { signal: AbortSignal.timeout(20_000), headers: { Accept: 'application/json' } });
  } catch (error) {
    throw new AcmeFailure(explainError(error, context));
  }
  const body = (await response.json().catch(() => undefined)) as { newOrder?: unknown } | undefined;
  if (!response.ok || typeof body?.newOrder !== 'string') {
    throw new AcmeFailure(
      `There is no ACME directory at ${directoryUrl} (it answered ${response.status} ${response.statusText || ''}`.trimEnd() +
        '): check the address. For Let’s Encrypt it is https://acme-v02.api.letsencrypt.org/directory.',
    );
  }
}

/** DNS-01: have the hook create the records, or show them, then wait until DNS has them all. */
async function prepareDnsRecords(records: Array<{ record: DnsRecord; name: string }>, options: IssueOptions, cleanups: Array<() => Promise<void> | void>): Promise<void> {
  const { job, dns } = options;
  const shown: DnsRecordToCreate[] = records.map(({ record }) => ({ name: record.name, type: 'TXT', value: record.value, visible: false }));
  job.dnsRecords(shown);
  const domain = options.names[0]!;
  if (dns.hook) {
    job.begin('dns-hook', 'Creating the TXT records with the DNS hook');
    for (const { record } of records) {
      const added = await runDnsHook(dns.hook, 'add', record, domain);
      cleanups.push(async () => {
        await runDnsHook(dns.hook!, 'remove', record, domain);
      });
      if (!added.ok) throw new AcmeFailure(`${capitalize(added.error)}.`);
    }
    job.finish('dns-hook');
  } else {
    job.begin('dns-create', 'Create these TXT records at your DNS provider', 'Hearth goes on by itself as soon as it can see them.');
  }
  job.begin('dns-check', 'Waiting until the TXT records can be seen in DNS', `Hearth looks every ${Math.round(dns.pollMs / 1000)} s`);
  const seen = await waitForTxtRecords(
    records.map((r) => r.record),
    {
      resolvers: dns.resolvers,
      timeoutMs: dns.waitMs,
      pollMs: dns.pollMs,
      signal: job.controller.signal,
      onCheck: (visible) => {
        const next = shown.map((record) => ({ ...record, visible: visible.some((v) => v.name === record.name && v.value === record.value) }));
        if (next.some((record, index) => record.visible !== shown[index]!.visible)) {
          shown.splice(0, shown.length, ...next);
          job.dnsRecords(shown);
        }
      },
    },
  );
  if (job.controller.signal.aborted) throw new AcmeFailure('Cancelled: no certificate was installed.');
  if (!seen) {
    const missing = shown.filter((record) => !record.visible).map((record) => record.name);
    const minutes = Math.round(dns.waitMs / 60_000);
    throw new AcmeFailure(
      `Hearth could not see the TXT record${missing.length > 1 ? 's' : ''} ${missing.join(', ')} in DNS after ${minutes} minute${minutes === 1 ? '' : 's'}${dns.hook ? ': check that the DNS hook really creates them' : ': create them at your DNS provider exactly as shown'} and try again. (Nothing was sent to the certificate authority, so this does not count against its limits.)`,
    );
  }
  if (!dns.hook) job.finish('dns-create');
  job.finish('dns-check', 'Visible in DNS');
}

/** Why the authority found an authorization invalid, from the failed challenge's problem document (RFC 8555 §7.1.4, §8). */
async function explainInvalidAuthorization(client: AcmeClient.Client, order: AcmeClient.Order, authorization: AcmeClient.Authorization, context: ExplainContext, error: unknown): Promise<string> {
  try {
    const current = (await client.getAuthorizations(order)).find((a) => a.url === authorization.url);
    const failed = current?.challenges.find((c) => c.type === context.challenge && c.error) as { error?: { type?: string; detail?: string } } | undefined;
    if (failed?.error) return explainProblem(failed.error, context);
  } catch {
    // Fall back to the message we have.
  }
  const detail = error instanceof Error ? error.message : String(error);
  return explainProblem({ type: /connection|refused|timeout/i.test(detail) ? 'urn:ietf:params:acme:error:connection' : undefined, detail }, context);
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
