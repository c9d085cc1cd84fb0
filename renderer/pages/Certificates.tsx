// The Certificates page: what phones are shown (issuer, names, expiry, the fingerprint as text and
// QR code to compare on the phone), which apps accept it, and the ways to a better one: a
// certificate from Let's Encrypt (or any ACME authority) with its progress step by step, an
// import, or a new self-signed one. Live from the `certs` event.
import { useEffect, useId, useState, type ChangeEvent } from 'react';
import type { AcmeChallengeType, AcmeJob, CertificateStatus, ClientVerdict } from '../../server/control/contract';
import { useAction, useApi, useEvent, useRequest } from '../src/api';
import { Alert, Button, CopyField, Dialog, Loading, PageTitle } from '../src/components';
import { formatDate } from '../src/format';
import { useQrCode } from '../src/qr-code';

const letsEncrypt = 'https://acme-v02.api.letsencrypt.org/directory';
const letsEncryptStaging = 'https://acme-staging-v02.api.letsencrypt.org/directory';

export default function Certificates() {
  const initial = useRequest('certs.status', {});
  const [live, setLive] = useState<CertificateStatus | undefined>();
  useEvent('certs', setLive);
  const status = live ?? initial.data;

  if (!status) {
    return (
      <>
        <PageTitle>Certificates</PageTitle>
        {initial.error ? (
          <Alert kind="error" action={<Button variant="secondary" onClick={initial.reload}>Try again</Button>}>
            {initial.error}
          </Alert>
        ) : (
          <Loading label="Asking Hearth about its certificate…" />
        )}
      </>
    );
  }
  const locked = status.source === 'files';
  return (
    <>
      <PageTitle>Certificates</PageTitle>
      <p className="lead">
        The certificate proves to the apps that they talk to your Hearth. Apps on Android and computers can accept a self-signed one after you compare its
        fingerprint; iPhone apps need one from a public authority such as Let’s Encrypt, which needs a domain of your own.
      </p>
      {status.warnings
        .filter((warning) => warning.id !== 'self-signed-certificate')
        .map((warning) => (
          <Alert key={warning.id} kind="warning">
            {warning.message}
          </Alert>
        ))}
      <InUse status={status} />
      <Apps clients={status.clients} />
      {locked ? (
        <Alert kind="info" title="Managed outside Hearth">
          The certificate comes from the files set in the configuration ({status.configuredFiles?.certFile}). Renew or replace those files (Hearth notices the
          change within minutes), or remove <span className="mono">tls.certFile</span> and <span className="mono">tls.keyFile</span> to let Hearth manage the
          certificate here.
        </Alert>
      ) : (
        <>
          <Acme status={status} onStatus={setLive} />
          <Import onStatus={setLive} />
          <SelfSigned status={status} onStatus={setLive} />
        </>
      )}
    </>
  );
}

const sourceText: Record<CertificateStatus['source'], string> = {
  'self-signed': 'Self-signed, made by Hearth',
  imported: 'Imported',
  acme: 'From an ACME authority',
  files: 'From the files in the configuration',
};

function InUse({ status }: { status: CertificateStatus }) {
  const id = useId();
  const { certificate } = status;
  const qr = useQrCode(certificate.fingerprintSha256);
  const days = status.daysLeft;
  return (
    <section className="section card" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>The certificate in use</h2>
      <dl className="cert-facts">
        <div>
          <dt>Where it comes from</dt>
          <dd>{status.source === 'acme' && status.acme ? `${sourceText.acme} (${new URL(status.acme.directoryUrl).host})` : sourceText[status.source]}</dd>
        </div>
        <div>
          <dt>Issued by</dt>
          <dd>{certificate.issuer}</dd>
        </div>
        <div>
          <dt>Valid until</dt>
          <dd data-testid="cert-expiry" className={status.state === 'valid' ? '' : 'cert-attention'}>
            {formatDate(certificate.notAfter)} ({days >= 0 ? `${days} ${days === 1 ? 'day' : 'days'} left` : 'expired'})
          </dd>
        </div>
        <div>
          <dt>Renewal</dt>
          <dd>
            {status.renewal.automatic
              ? `By itself${status.renewal.renewAt ? `, from ${formatDate(status.renewal.renewAt)}` : ''}`
              : status.source === 'files'
                ? 'By whatever manages the files'
                : 'By hand: import a new one before it expires'}
          </dd>
        </div>
      </dl>
      <h3 className="cert-subheading">Names</h3>
      <ul className="cert-names" aria-label="Names the certificate covers">
        {status.hosts.map((host) => (
          <li key={host.name} className={host.covered ? 'cert-covered' : 'cert-missing'}>
            <span aria-hidden="true">{host.covered ? '✓' : '✗'}</span> <span className="mono">{host.name}</span>
            <span className="visually-hidden">{host.covered ? ' covered' : ' not covered'}</span>
            {!host.covered && <span className="hint"> (not covered)</span>}
          </li>
        ))}
      </ul>
      <div className="tor-address">
        <div className="tor-address-fields">
          <CopyField
            label="Fingerprint (SHA-256)"
            value={certificate.fingerprintSha256}
            hint="When an app asks whether to trust the certificate, it shows this fingerprint: it must be the same, letter for letter. Or scan the QR code with the phone and compare."
          />
        </div>
        {qr && <img className="tor-qr" src={qr} width={176} height={176} alt="QR code of the fingerprint" data-testid="cert-qr" />}
      </div>
      {status.renewal.lastError && (
        <Alert kind="error" title="The last renewal failed">
          {status.renewal.lastError}
        </Alert>
      )}
    </section>
  );
}

const verdictText: Record<ClientVerdict['verdict'], string> = { accepts: 'Accepts it', asks: 'Asks you once', refuses: 'Refuses it' };

function Apps({ clients }: { clients: ClientVerdict[] }) {
  const id = useId();
  return (
    <section className="section card" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>Which apps accept it</h2>
      <table className="users-table cert-apps">
        <thead>
          <tr>
            <th scope="col">App</th>
            <th scope="col">Answer</th>
            <th scope="col">What happens</th>
          </tr>
        </thead>
        <tbody>
          {clients.map((client) => (
            <tr key={client.client}>
              <td data-label="App">
                <strong>{client.client}</strong> <span className="hint">{client.platform}</span>
              </td>
              <td data-label="Answer" className={`cert-verdict cert-verdict-${client.verdict}`}>
                {verdictText[client.verdict]}
              </td>
              <td data-label="What happens">{client.note}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

const challengeChoices: Array<{ value: AcmeChallengeType; title: string; text: (status: CertificateStatus) => string }> = [
  {
    value: 'http-01',
    title: 'Through port 80 (HTTP-01)',
    text: (s) =>
      `The authority fetches a file from Hearth. Your router must forward port 80 from the internet to port ${s.ports.http} of this computer, and each name must point to your home's public address.`,
  },
  {
    value: 'tls-alpn-01',
    title: 'Through port 443 (TLS-ALPN-01)',
    text: (s) => `The authority checks a special certificate. Your router must forward port 443 to port ${s.ports.https} of this computer (Hearth's HTTPS port).`,
  },
  {
    value: 'dns-01',
    title: 'Through DNS (DNS-01)',
    text: (s) =>
      s.dnsHook
        ? 'No port forwarding: the configured DNS hook creates a TXT record at your DNS provider, and Hearth checks it can be seen before asking.'
        : 'No port forwarding: Hearth shows a TXT record for you to create at your DNS provider and goes on once it can see it. Renewal needs a new record each time unless a DNS hook (acme.dnsHook) is set.',
  },
];

function Acme({ status, onStatus }: { status: CertificateStatus; onStatus(status: CertificateStatus): void }) {
  const api = useApi();
  const action = useAction();
  const cancel = useAction();
  const id = useId();
  const names = status.hosts.filter((host) => host.role !== 'extra').map((host) => host.name);
  const [authority, setAuthority] = useState<'letsencrypt' | 'staging' | 'other'>('letsencrypt');
  const [otherUrl, setOtherUrl] = useState(status.acme && ![letsEncrypt, letsEncryptStaging].includes(status.acme.directoryUrl) ? status.acme.directoryUrl : '');
  const [challenge, setChallenge] = useState<AcmeChallengeType>(status.acme?.challenge ?? 'http-01');
  const [email, setEmail] = useState(status.acme?.email ?? '');
  const [chosen, setChosen] = useState<string[]>(status.acme?.names ?? names);
  const [agreed, setAgreed] = useState(false);
  const job = status.job;
  const running = job?.state === 'running';
  const directoryUrl = authority === 'letsencrypt' ? letsEncrypt : authority === 'staging' ? letsEncryptStaging : otherUrl.trim();

  const submit = async () => {
    const result = await action.run(() =>
      api.request('certs.acme.request', {
        directoryUrl,
        challenge,
        ...(email.trim() ? { email: email.trim() } : {}),
        names: names.filter((name) => name === status.domain || chosen.includes(name)),
        agreeToTerms: agreed as true,
      }),
    );
    if (result) onStatus(result);
  };
  const stop = async () => {
    const result = await cancel.run(() => api.request('certs.acme.cancel', {}));
    if (result) onStatus(result);
  };

  return (
    <section className="section card" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>Get a certificate from Let’s Encrypt</h2>
      <p>
        Free, trusted by every app, renewed by Hearth 30 days before it expires. It needs a domain of your own (such as{' '}
        <span className="mono">{status.domain}</span>) that points to your home, and a way for the authority to check that the domain is yours.
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <fieldset className="choices compact" disabled={running}>
          <legend>Certificate authority</legend>
          {(
            [
              ['letsencrypt', 'Let’s Encrypt', 'The usual choice.'],
              ['staging', 'Let’s Encrypt staging (for trying things out)', 'Its certificates are not trusted by apps, but its limits are generous: try here first if you are unsure the setup works.'],
              ['other', 'Another ACME authority', 'Give its directory address.'],
            ] as const
          ).map(([value, title, text]) => (
            <label key={value} className={`choice ${authority === value ? 'choice-selected' : ''}`}>
              <input type="radio" name={`${id}-authority`} value={value} checked={authority === value} onChange={() => setAuthority(value)} />
              <span>
                <strong>{title}</strong>
                <span className="choice-text">{text}</span>
              </span>
            </label>
          ))}
        </fieldset>
        {authority === 'other' && (
          <div className="field">
            <label htmlFor={`${id}-url`}>ACME directory address</label>
            <input id={`${id}-url`} type="url" className="mono" value={otherUrl} onChange={(e) => setOtherUrl(e.target.value)} placeholder="https://acme.example.org/directory" disabled={running} />
          </div>
        )}
        <fieldset className="choices compact" disabled={running}>
          <legend>How to prove the domain is yours</legend>
          {challengeChoices.map((choice) => (
            <label key={choice.value} className={`choice ${challenge === choice.value ? 'choice-selected' : ''}`}>
              <input type="radio" name={`${id}-challenge`} value={choice.value} checked={challenge === choice.value} onChange={() => setChallenge(choice.value)} />
              <span>
                <strong>{choice.title}</strong>
                <span className="choice-text">{choice.text(status)}</span>
              </span>
            </label>
          ))}
        </fieldset>
        <fieldset className="field cert-name-choices" disabled={running}>
          <legend>Names in the certificate</legend>
          {names.map((name) => (
            <label key={name} className="choice-inline">
              <input
                type="checkbox"
                checked={name === status.domain || chosen.includes(name)}
                disabled={name === status.domain}
                onChange={(e) => setChosen((current) => (e.target.checked ? [...current, name] : current.filter((n) => n !== name)))}
              />
              <span className="mono">{name}</span>
            </label>
          ))}
          <p className="hint">Each name needs its own DNS record. Without conference. and upload., other servers cannot check Hearth’s group chats and uploads.</p>
        </fieldset>
        <div className="field">
          <label htmlFor={`${id}-email`}>E-mail for expiry notices (optional)</label>
          <input id={`${id}-email`} type="email" value={email} onChange={(e) => setEmail(e.target.value)} autoComplete="email" disabled={running} />
        </div>
        <label className="choice-inline">
          <input type="checkbox" checked={agreed} onChange={(e) => setAgreed(e.target.checked)} disabled={running} />
          <span>I agree to the certificate authority’s terms of service</span>
        </label>
        <div className="actions">
          <Button type="submit" pending={action.pending} pendingLabel="Starting…" disabled={running}>
            Get the certificate
          </Button>
          {running && (
            <Button type="button" variant="secondary" onClick={stop} pending={cancel.pending}>
              Cancel
            </Button>
          )}
        </div>
        {action.error && <Alert kind="error">{action.error}</Alert>}
        {cancel.error && <Alert kind="error">{cancel.error}</Alert>}
      </form>
      {job && <Progress job={job} />}
    </section>
  );
}

const stepIcon = { pending: '○', active: '…', done: '✓', failed: '✗' } as const;

function Progress({ job }: { job: AcmeJob }) {
  const id = useId();
  return (
    <div className="cert-progress" aria-labelledby={`${id}-heading`} data-testid="acme-progress">
      <h3 id={`${id}-heading`} className="cert-subheading">
        {job.state === 'running' ? (job.renewal ? 'Renewing the certificate' : 'Getting the certificate') : job.renewal ? 'The last renewal' : 'The last request'}
      </h3>
      <ol className="cert-steps" aria-live="polite">
        {job.steps.map((step) => (
          <li key={step.id} className={`cert-step cert-step-${step.state}`}>
            <span className="cert-step-icon" aria-hidden="true">
              {stepIcon[step.state]}
            </span>
            <span>
              {step.label}
              {step.detail && <span className="hint"> · {step.detail}</span>}
              <span className="visually-hidden"> ({step.state === 'active' ? 'in progress' : step.state})</span>
            </span>
          </li>
        ))}
      </ol>
      {job.dnsRecords && job.dnsRecords.length > 0 && job.state === 'running' && (
        <div className="cert-records">
          {job.dnsRecords.map((record) => (
            <div key={record.name + record.value} className="card cert-record">
              <CopyField label="TXT record name" value={record.name} />
              <CopyField label="TXT record value" value={record.value} hint={record.visible ? 'Hearth can see it in DNS.' : 'Not visible in DNS yet: Hearth keeps looking.'} />
            </div>
          ))}
        </div>
      )}
      {job.state === 'succeeded' && <Alert kind="success">Done: every listener uses the new certificate, and Hearth renews it by itself.</Alert>}
      {job.state === 'failed' && job.error && (
        <Alert kind="error" title="It did not work">
          {job.error}
        </Alert>
      )}
      {job.state === 'cancelled' && <Alert kind="info">{job.error ?? 'Cancelled.'}</Alert>}
    </div>
  );
}

function readFileInto(set: (text: string) => void) {
  return (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    if (!file) return;
    // Certificates are small text files; anything big is not one.
    if (file.size > 100_000) {
      set('');
      return;
    }
    void file.text().then(set);
  };
}

function Import({ onStatus }: { onStatus(status: CertificateStatus): void }) {
  const api = useApi();
  const action = useAction();
  const id = useId();
  const [certificate, setCertificate] = useState('');
  const [key, setKey] = useState('');
  const [chain, setChain] = useState('');
  const [notes, setNotes] = useState<string[] | undefined>();

  const submit = async () => {
    setNotes(undefined);
    const result = await action.run(() => api.request('certs.import', { certificate, key, ...(chain.trim() ? { chain } : {}) }));
    if (!result) return;
    const { notes: resultNotes, ...status } = result;
    onStatus(status);
    setNotes(resultNotes);
    setCertificate('');
    setKey('');
    setChain('');
  };

  return (
    <section className="section card" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>Import a certificate</h2>
      <p>From another tool or authority: the certificate with its chain (for Let’s Encrypt, fullchain.pem) and its private key (privkey.pem), as files or pasted.</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <PemField id={`${id}-cert`} label="Certificate (and chain)" value={certificate} onChange={setCertificate} placeholder="-----BEGIN CERTIFICATE-----" />
        <PemField id={`${id}-key`} label="Private key" value={key} onChange={setKey} placeholder="-----BEGIN PRIVATE KEY-----" secret />
        <PemField id={`${id}-chain`} label="Chain, if it is a file of its own (optional)" value={chain} onChange={setChain} placeholder="-----BEGIN CERTIFICATE-----" />
        <div className="actions">
          <Button type="submit" pending={action.pending} pendingLabel="Checking…">
            Check and use it
          </Button>
        </div>
      </form>
      <div aria-live="polite">
        {action.error && (
          <Alert kind="error" title="Not imported">
            {action.error}
          </Alert>
        )}
        {notes && (
          <Alert kind="success" title="Imported: every listener uses it now">
            {notes.length > 0 && (
              <ul>
                {notes.map((note) => (
                  <li key={note}>{note}</li>
                ))}
              </ul>
            )}
          </Alert>
        )}
      </div>
    </section>
  );
}

function PemField({ id, label, value, onChange, placeholder, secret }: { id: string; label: string; value: string; onChange(text: string): void; placeholder: string; secret?: boolean }) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <textarea id={id} className={`pem-text mono${secret ? ' secret-value' : ''}`} rows={4} value={value} onChange={(e) => onChange(e.target.value)} placeholder={placeholder} spellCheck={false} autoComplete="off" />
      <label className="file-pick">
        <span className="hint">Or choose the file: </span>
        <input type="file" accept=".pem,.crt,.cer,.key,.txt" aria-label={`${label}: choose a file`} onChange={readFileInto(onChange)} />
      </label>
    </div>
  );
}

function SelfSigned({ status, onStatus }: { status: CertificateStatus; onStatus(status: CertificateStatus): void }) {
  const api = useApi();
  const action = useAction();
  const id = useId();
  const [confirming, setConfirming] = useState(false);
  const [done, setDone] = useState(false);
  useEffect(() => {
    if (status.job?.state === 'running') setConfirming(false);
  }, [status.job?.state]);
  const make = async () => {
    const result = await action.run(() => api.request('certs.selfSigned', {}));
    setConfirming(false);
    if (!result) return;
    onStatus(result);
    setDone(true);
  };
  return (
    <section className="section card" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>A new self-signed certificate</h2>
      <p>
        For a Hearth used only at home. {status.source === 'self-signed' ? 'A new one' : 'Going back to a self-signed one'} makes every app ask once more
        whether to trust it.
      </p>
      <div className="actions">
        <Button variant="secondary" onClick={() => setConfirming(true)}>
          Make a new self-signed certificate…
        </Button>
      </div>
      {action.error && <Alert kind="error">{action.error}</Alert>}
      {done && !action.error && <Alert kind="success">Done: compare the new fingerprint above on each phone when it asks.</Alert>}
      <Dialog open={confirming} title="Make a new self-signed certificate?" onClose={() => setConfirming(false)} describedBy={`${id}-warning`}>
        <p id={`${id}-warning`}>
          {status.source === 'self-signed'
            ? 'Every app that had accepted the current certificate asks again, and shows the new fingerprint to compare.'
            : 'The current certificate stops being used. iPhone apps (Monal, Siskin) cannot connect with a self-signed certificate.'}
        </p>
        <div className="actions">
          <Button onClick={make} pending={action.pending} pendingLabel="Making it…">
            Make a new one
          </Button>
          <Button variant="secondary" onClick={() => setConfirming(false)} disabled={action.pending}>
            Cancel
          </Button>
        </div>
      </Dialog>
    </section>
  );
}
