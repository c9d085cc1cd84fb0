// ACME failures in plain words: what happened, and what the person at home can do about it.
// Problem types are RFC 8555 §6.7's; network failures are Node's error codes.
import type { AcmeChallengeType } from '../../../control/contract.js';

export interface ExplainContext {
  challenge: AcmeChallengeType;
  /** The name being proven, when the failure is about one. */
  name?: string | undefined;
  directoryUrl: string;
  ports: { http: number; https: number };
}

export interface AcmeProblem {
  type?: string | undefined;
  detail?: string | undefined;
}

const prefix = 'urn:ietf:params:acme:error:';

/** A failure the authority reported (a challenge, an order, a request). */
export function explainProblem(problem: AcmeProblem, context: ExplainContext): string {
  const type = problem.type?.startsWith(prefix) ? problem.type.slice(prefix.length) : (problem.type ?? '');
  const name = context.name ?? 'the domain';
  const said = problem.detail ? ` (the certificate authority said: ${problem.detail})` : '';
  const port = context.challenge === 'http-01' ? 80 : 443;
  const forward =
    context.challenge === 'http-01'
      ? `forward port 80 on your router to port ${context.ports.http} of this computer (Hearth's plain HTTP port)`
      : `forward port 443 on your router to port ${context.ports.https} of this computer (Hearth's HTTPS port)`;
  switch (type) {
    case 'connection':
      if (context.challenge === 'dns-01') return `The certificate authority could not look up the TXT record for ${name}${said}. Check the record at your DNS provider and try again.`;
      return `The certificate authority could not connect to ${name} on port ${port}: ${forward}, and check that ${name} points to your home's public address${said}.`;
    case 'dns':
      if (context.challenge === 'dns-01') return `The certificate authority found no TXT record _acme-challenge.${name}${said}. Create it at your DNS provider as shown, wait a few minutes, and try again.`;
      return `The certificate authority could not find ${name} in DNS: create an A record (or AAAA for IPv6) for it at your DNS provider, pointing to your home's public address${said}.`;
    case 'unauthorized':
    case 'incorrectResponse':
      if (context.challenge === 'dns-01') return `The TXT record _acme-challenge.${name} does not hold the value Hearth showed${said}. Correct it at your DNS provider and try again.`;
      return `The certificate authority reached ${name} on port ${port}, but the answer did not come from Hearth: another computer or the router answers there. ${capitalize(forward)}${said}.`;
    case 'tls':
      return `The secure connection the certificate authority opened to ${name} on port 443 failed: make sure port 443 leads to Hearth's HTTPS port (${context.ports.https}), not to another server${said}.`;
    case 'rejectedIdentifier':
      return `The certificate authority will not issue a certificate for ${name}${said}. Names that only exist at home (like kitchen-pc, or ending in .local or .lan) cannot get a public certificate: use a domain you own, or keep the self-signed certificate.`;
    case 'rateLimited':
      return `The certificate authority's limit for this domain was reached${said}. Wait before trying again (Let's Encrypt allows 5 failed checks per hour and 5 identical certificates per week); Hearth's own renewal waits longer after each failure.`;
    case 'caa':
      return `A CAA record in your domain's DNS does not allow this certificate authority${said}. Add one for it (for Let's Encrypt: 0 issue "letsencrypt.org"), or remove the CAA record.`;
    case 'externalAccountRequired':
      return `This certificate authority only works with an account you made on its website first (external account binding), which Hearth does not support: use Let's Encrypt or another authority without it${said}.`;
    case 'userActionRequired':
      return `The certificate authority asks you to do something first, usually to agree to new terms of service${said}.`;
    case 'unsupportedIdentifier':
      return `The certificate authority does not issue certificates for names like ${name}${said}.`;
    case 'invalidContact':
    case 'unsupportedContact':
      return `The certificate authority does not accept that e-mail address: enter another one, or none${said}.`;
    case 'serverInternal':
      return `The certificate authority had a problem of its own${said}. Try again later.`;
    default:
      return `The certificate authority refused the request${said || ' without saying why'}.`;
  }
}

/** A thrown error: the network, the directory address, or an authority's refusal that acme-client passed on as text. */
export function explainError(error: unknown, context: ExplainContext): string {
  const host = safeHost(context.directoryUrl);
  const code = errorCode(error);
  if (code) {
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `Hearth could not find the certificate authority's server ${host}: check the directory address and this computer's internet connection.`;
    if (code === 'ECONNREFUSED') return `The certificate authority's server ${host} refused the connection: check the directory address (and its port).`;
    if (code === 'ETIMEDOUT' || code === 'ECONNABORTED' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'TimeoutError' || code === 'ECONNRESET') {
      return `The certificate authority (${host}) did not answer in time: check this computer's internet connection and try again.`;
    }
    if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/.test(code)) {
      return `The certificate authority's server ${host} shows a certificate this computer does not trust: check the directory address. (A test authority's own certificate must be made trusted first.)`;
    }
  }
  const message = error instanceof Error ? error.message : String(error);
  if (/rate.?limit|too many/i.test(message)) return explainProblem({ type: `${prefix}rateLimited`, detail: message }, context);
  if (/rejected|forbidden by policy|cannot issue|policy forbids/i.test(message)) return explainProblem({ type: `${prefix}rejectedIdentifier`, detail: message }, context);
  return `The certificate authority refused the request (it said: ${message || 'nothing'}).`;
}

/** The error's code, looking through fetch's and axios' wrappers. */
function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const { code, name, cause } = current as { code?: unknown; name?: unknown; cause?: unknown };
    if (typeof code === 'string' && code !== 'ERR_BAD_REQUEST' && code !== 'ERR_BAD_RESPONSE') return code;
    if (name === 'TimeoutError') return 'TimeoutError';
    current = cause;
  }
  return undefined;
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Text for the log: addresses taken out, since logs never carry IP addresses. */
export function withoutAddresses(text: string): string {
  return text
    .replace(/\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b/g, '[address]')
    .replace(/\[?\b(?:[0-9a-f]{1,4}:){2,7}[0-9a-f]{0,4}\]?(?::\d+)?/gi, '[address]');
}
