// The Tor page: one switch makes Hearth reachable from anywhere as an onion service. It shows
// tor's progress connecting to the Tor network and its health (live, from the `tor` event), the
// onion address with a copy button and a QR code, advertising and the federation policy, and
// the key: a backup to download, and a new address after a warning.
import { useId, useState } from 'react';
import type { TorFederationPolicy, TorStatus } from '../../server/control/contract';
import { useAction, useApi, useEvent, useRequest } from '../src/api';
import { Alert, Button, CopyField, Dialog, Loading, PageTitle } from '../src/components';
import { useQrCode } from '../src/qr-code';

const federationChoices: Array<{ value: TorFederationPolicy; title: string; text: string }> = [
  {
    value: 'onions',
    title: 'Onion servers through Tor',
    text: 'Servers whose address ends in .onion are reached through Tor, all others directly. Recommended.',
  },
  { value: 'all', title: 'Every server through Tor', text: 'Other servers never learn where this one is. Slower, and some servers refuse connections from Tor.' },
  { value: 'clearnet', title: 'Never through Tor', text: 'Other servers are reached directly; onion servers cannot be reached.' },
];

export default function Tor() {
  const initial = useRequest('tor.status', {});
  const server = useRequest('status', {});
  const [live, setLive] = useState<TorStatus | undefined>();
  useEvent('tor', setLive);
  const status = live ?? initial.data;

  if (!status) {
    return (
      <>
        <PageTitle>Tor</PageTitle>
        {initial.error ? (
          <Alert kind="error" action={<Button variant="secondary" onClick={initial.reload}>Try again</Button>}>
            {initial.error}
          </Alert>
        ) : (
          <Loading label="Asking Hearth about Tor…" />
        )}
      </>
    );
  }

  return (
    <>
      <PageTitle>Tor</PageTitle>
      <p className="lead">
        With Tor, phones reach Hearth from anywhere, through an onion address: no port forwarding on the router, no domain, no certificate authority.
        Conversations on Android connects to it through the Orbot app.
      </p>
      <Switch status={status} onStatus={setLive} />
      {status.enabled && <Health status={status} />}
      {status.onionAddress && <Address status={status} domain={server.data?.domain} />}
      <Options status={status} onStatus={setLive} />
      <KeyHandling status={status} onStatus={setLive} />
    </>
  );
}

function Switch({ status, onStatus }: { status: TorStatus; onStatus(status: TorStatus): void }) {
  const api = useApi();
  const action = useAction();
  const id = useId();
  const busy = action.pending || status.state === 'stopping';
  const toggle = async (enabled: boolean) => {
    const result = await action.run(() => api.request('tor.setEnabled', { enabled }));
    if (result) onStatus(result);
  };
  return (
    <section className="section card" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`} className="visually-hidden">
        Onion service
      </h2>
      <label className="choice-inline tor-switch">
        <input type="checkbox" role="switch" checked={status.enabled} disabled={busy} onChange={(e) => void toggle(e.target.checked)} aria-describedby={`${id}-hint`} />
        <span>
          <strong>Reach Hearth from anywhere through Tor</strong>
          <span className="choice-text" id={`${id}-hint`}>
            {status.enabled
              ? 'On: Hearth runs its own Tor, and the onion address below leads to it. Switch off to stop Tor at once.'
              : 'Off: Hearth can only be reached at home (or where you set up your router). Tor stays off until you switch it on.'}
          </span>
        </span>
      </label>
      {action.pending && <Loading label={status.enabled ? 'Stopping Tor…' : 'Starting Tor…'} />}
      {action.error && <Alert kind="error">{action.error}</Alert>}
    </section>
  );
}

function describeState(status: TorStatus): string {
  switch (status.state) {
    case 'starting':
      return 'Tor is starting…';
    case 'running':
      return status.bootstrapped ? 'Connected to the Tor network' : 'Connecting to the Tor network…';
    case 'restarting': {
      const seconds = status.nextRestartAt ? Math.max(1, Math.round((status.nextRestartAt - Date.now()) / 1000)) : undefined;
      return `Tor stopped unexpectedly; it starts again${seconds ? ` in ${seconds} s` : ' in a moment'}`;
    }
    case 'failed':
      return 'Tor cannot run';
    case 'stopping':
      return 'Tor is stopping…';
    case 'off':
      return 'Tor is off';
  }
}

function Health({ status }: { status: TorStatus }) {
  const id = useId();
  const progress = status.bootstrap?.progress ?? 0;
  const trouble = status.state === 'failed' || status.state === 'restarting';
  return (
    <section className="section card" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>How Tor is doing</h2>
      <p className={`tor-state ${status.bootstrapped ? 'tor-state-done' : trouble ? 'tor-state-trouble' : ''}`} data-testid="tor-state">
        <span className="running-dot" aria-hidden="true" />
        {describeState(status)}
      </p>
      {(status.state === 'running' || status.state === 'starting') && (
        <div className="field">
          <label htmlFor={`${id}-progress`}>Connecting to the Tor network</label>
          <progress id={`${id}-progress`} className="tor-progress" max={100} value={progress} aria-describedby={`${id}-progress-text`}>
            {progress} %
          </progress>
          <p className="hint" id={`${id}-progress-text`} data-testid="tor-progress">
            {progress} %{status.bootstrap?.summary ? ` · ${status.bootstrap.summary}` : ''}
          </p>
          {status.bootstrap?.warning && !status.bootstrapped && (
            <p className="hint">
              Tor has trouble getting there{/[a-z]/.test(status.bootstrap.warning) ? ` (${status.bootstrap.warning})` : ''}. It keeps trying; check that this
              computer is connected to the internet.
            </p>
          )}
        </div>
      )}
      <dl className="tor-health">
        <div>
          <dt>Tor running</dt>
          <dd>{status.running ? 'Yes' : 'No'}</dd>
        </div>
        <div>
          <dt>Connected to the Tor network</dt>
          <dd>{status.bootstrapped ? 'Yes' : 'Not yet'}</dd>
        </div>
        <div>
          <dt>Restarts after a crash</dt>
          <dd>{status.restarts}</dd>
        </div>
      </dl>
      {status.lastError && (
        <Alert kind={trouble ? 'error' : 'warning'} title="Last error">
          {status.lastError}
        </Alert>
      )}
    </section>
  );
}

function Address({ status, domain }: { status: TorStatus; domain: string | undefined }) {
  const id = useId();
  const onion = status.onionAddress!;
  const uri = `xmpp:${onion}`;
  const qr = useQrCode(uri);
  return (
    <section className="section card" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>The onion address</h2>
      {!status.enabled && <p className="hint">Tor is off: this address works again as soon as you switch Tor on. It stays the same.</p>}
      <div className="tor-address">
        <div className="tor-address-fields">
          <CopyField
            label="Onion address"
            value={onion}
            hint="It stays the same when Hearth or this computer restarts. Give it only to the people who should reach Hearth."
          />
          <CopyField label="XMPP address (xmpp: URI)" value={uri} />
        </div>
        {qr && <img className="tor-qr" src={qr} width={176} height={176} alt={`QR code of ${uri}`} data-testid="tor-qr" />}
      </div>
      <details className="details">
        <summary>How to connect a phone through Tor</summary>
        <ol className="connect-steps">
          <li>Install Orbot (Android) and switch it on.</li>
          <li>
            In Conversations: <em>Settings</em>, <em>Expert settings</em>, turn on <em>Connect via Tor</em>.
          </li>
          <li>
            In the account's settings, set <em>Hostname</em> to the onion address (scan the QR code to copy it) and port 5222. The account name stays as
            it is{domain ? <>, for example <span className="mono">grandma@{domain}</span></> : null}.
          </li>
        </ol>
      </details>
    </section>
  );
}

function Options({ status, onStatus }: { status: TorStatus; onStatus(status: TorStatus): void }) {
  const api = useApi();
  const action = useAction();
  const id = useId();
  const save = async (change: { advertise?: boolean; federation?: TorFederationPolicy }) => {
    const result = await action.run(() => api.request('tor.setOptions', change));
    if (result) onStatus(result);
  };
  return (
    <section className="section card" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>Options</h2>
      <div className="field">
        <label className="choice-inline">
          <input type="checkbox" checked={status.advertise} disabled={action.pending} onChange={(e) => void save({ advertise: e.target.checked })} aria-describedby={`${id}-advertise-hint`} />
          Publish the onion address in Hearth's service discovery
        </label>
        <p className="hint" id={`${id}-advertise-hint`}>
          Off, only the people you give the address to know it. On, anyone who can reach Hearth can ask for it.
        </p>
      </div>
      <fieldset className="choices compact">
        <legend>Talking to other servers (federation)</legend>
        {federationChoices.map((choice) => (
          <label key={choice.value} className={`choice ${status.federation === choice.value ? 'choice-selected' : ''}`}>
            <input
              type="radio"
              name={`${id}-federation`}
              value={choice.value}
              checked={status.federation === choice.value}
              disabled={action.pending}
              onChange={() => void save({ federation: choice.value })}
            />
            <span>
              <strong>{choice.title}</strong>
              <span className="choice-text">{choice.text}</span>
            </span>
          </label>
        ))}
      </fieldset>
      {action.error && <Alert kind="error">{action.error}</Alert>}
    </section>
  );
}

/** Saves bytes as a file in the browser (and in the app's window, which asks where to save it). */
function downloadFile(fileName: string, base64: string): void {
  const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
  const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function KeyHandling({ status, onStatus }: { status: TorStatus; onStatus(status: TorStatus): void }) {
  const api = useApi();
  const backup = useAction();
  const rotate = useAction();
  const id = useId();
  const [confirming, setConfirming] = useState(false);
  const [note, setNote] = useState<string | undefined>();

  const download = async () => {
    setNote(undefined);
    const result = await backup.run(() => api.request('tor.backupKey', {}));
    if (!result) return;
    downloadFile(result.fileName, result.keyBase64);
    setNote(`Saved the key of ${result.onionAddress} as ${result.fileName}. Keep it somewhere safe and private: whoever has it can pose as your Hearth.`);
  };
  const replace = async () => {
    setNote(undefined);
    const result = await rotate.run(() => api.request('tor.rotate', {}));
    setConfirming(false);
    if (!result) return;
    onStatus(result);
    setNote(result.onionAddress ? `Hearth's new onion address is ${result.onionAddress}.` : 'The old key is gone: Tor makes a new address when you switch it on.');
  };

  return (
    <section className="section card" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>The onion key</h2>
      <p>
        The address comes from a secret key that Tor keeps in Hearth's data folder. A copy lets you keep the same address on a new computer; a new key
        gives Hearth a new address, for example when the old one was given to the wrong person.
      </p>
      <div className="actions">
        <Button variant="secondary" onClick={download} pending={backup.pending} pendingLabel="Preparing…" disabled={!status.onionAddress}>
          Download a backup of the key
        </Button>
        <Button variant="danger" onClick={() => setConfirming(true)} disabled={!status.onionAddress && !status.enabled}>
          Get a new address…
        </Button>
      </div>
      {!status.onionAddress && <p className="hint">There is no key yet: Tor makes one the first time it is switched on.</p>}
      {backup.error && <Alert kind="error">{backup.error}</Alert>}
      {rotate.error && <Alert kind="error">{rotate.error}</Alert>}
      <div aria-live="polite">{note && <Alert kind="success">{note}</Alert>}</div>
      <Dialog open={confirming} title="Get a new onion address?" onClose={() => setConfirming(false)} describedBy={`${id}-rotate-warning`}>
        <div id={`${id}-rotate-warning`}>
          <p>
            The current address{status.onionAddress ? <> (<span className="mono break">{status.onionAddress}</span>)</> : null} stops working for good. Every
            phone that uses it has to be set up again with the new one.
          </p>
          <p>Download a backup of the key first if you might want this address back.</p>
        </div>
        <div className="actions">
          <Button variant="danger" onClick={replace} pending={rotate.pending} pendingLabel="Making a new key…">
            Get a new address
          </Button>
          <Button variant="secondary" onClick={() => setConfirming(false)} disabled={rotate.pending}>
            Cancel
          </Button>
        </div>
      </Dialog>
    </section>
  );
}
