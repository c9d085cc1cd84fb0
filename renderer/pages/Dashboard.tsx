// The dashboard: is Hearth running, the address to give people, who is registered and online
// (live, from the event stream), and anything that needs the admin's attention.
import { useState } from 'react';
import type { Status } from '../../server/control/contract';
import { useEvent, useRequest } from '../src/api';
import { Alert, Button, CopyField, Loading, PageTitle } from '../src/components';
import { ConnectSteps } from '../src/connect-steps';
import { formatUptime } from '../src/format';
import { RestartNotice } from '../src/restart';

export default function Dashboard() {
  const initial = useRequest('status', {});
  const [live, setLive] = useState<Status | undefined>();
  const [connectionError, setConnectionError] = useState<string | undefined>();
  useEvent('status', (status) => {
    setLive(status);
    setConnectionError(undefined);
  });
  // Counts may change before the first status event: they apply to the status shown, whichever it is.
  useEvent('users.changed', (counts) =>
    setLive((previous) => {
      const shown = previous ?? initial.data;
      return shown ? { ...shown, ...counts } : shown;
    }),
  );
  useEvent('error', ({ message }) => setConnectionError(message));
  const status = live ?? initial.data;

  if (!status) {
    return (
      <>
        <PageTitle>Dashboard</PageTitle>
        {initial.error ? (
          <Alert kind="error" title="Hearth did not answer" action={<Button variant="secondary" onClick={initial.reload}>Try again</Button>}>
            {initial.error}
          </Alert>
        ) : (
          <Loading label="Asking Hearth how it is…" />
        )}
      </>
    );
  }
  const c2s = status.listeners.find((l) => l.name === 'c2s');
  const warnings = status.warnings.filter((w) => w.id !== 'restart-required');

  return (
    <>
      <PageTitle>Dashboard</PageTitle>
      {connectionError && <Alert kind="error">{connectionError}</Alert>}
      <section className={`running ${connectionError ? 'running-unknown' : ''}`} aria-labelledby="running-heading">
        <span className="running-dot" aria-hidden="true" />
        <div>
          <h2 id="running-heading" className="running-title">
            {connectionError ? 'Hearth is not answering' : 'Hearth is running'}
          </h2>
          <p className="running-detail">
            Up {formatUptime(status.uptimeSeconds)} · version {status.version}
            {c2s ? ` · chat port ${c2s.port}` : ''}
          </p>
        </div>
      </section>

      {/* The status after the restart replaces the live one, which still asks for a restart. */}
      <RestartNotice status={status} onRestarted={setLive} />

      <section aria-labelledby="people-heading" className="section">
        <h2 id="people-heading" className="visually-hidden">
          People
        </h2>
        <dl className="stats" aria-live="polite">
          <div className="stat">
            <dt>Registered</dt>
            <dd data-testid="registered-count">{status.registeredUsers}</dd>
          </div>
          <div className="stat">
            <dt>Online now</dt>
            <dd data-testid="online-count">{status.onlineUsers}</dd>
          </div>
          <div className="stat">
            <dt>Devices</dt>
            <dd data-testid="session-count">{status.sessions}</dd>
          </div>
        </dl>
        <p className="section-link">
          <a href="#/users">Manage users</a>
        </p>
      </section>

      {warnings.length > 0 && (
        <section aria-labelledby="warnings-heading" className="section">
          <h2 id="warnings-heading">Needs your attention</h2>
          <ul className="warnings">
            {warnings.map((warning) => (
              <li key={warning.id}>
                <Alert kind={warning.severity === 'warning' ? 'warning' : 'info'}>{warning.message}</Alert>
              </li>
            ))}
          </ul>
        </section>
      )}

      <section aria-labelledby="address-heading" className="section card">
        <h2 id="address-heading">The address to give people</h2>
        <p>
          Everyone's address is their user name followed by <span className="mono">@{status.domain}</span>, for example{' '}
          <span className="mono">grandma@{status.domain}</span>.
        </p>
        <CopyField
          label="Server"
          value={status.domain}
          hint={
            status.lanAddresses.length > 0 ? (
              <>
                If a phone cannot find it, use this computer's address instead: <span className="mono">{status.lanAddresses.join(', ')}</span>
                {c2s && c2s.port !== 5222 ? `, port ${c2s.port}` : ''}.
              </>
            ) : undefined
          }
        />
        <HomeNetwork status={status} />
        <details className="details">
          <summary>How to connect a phone</summary>
          <ConnectSteps domain={status.domain} status={status} />
        </details>
        <p className="section-link">
          <a href="#/invites">Invite someone with a QR code</a>
        </p>
      </section>

      {status.federation && <Federation federation={status.federation} />}
    </>
  );
}

/**
 * Links to other XMPP servers (federation): how many are up, and the last problem with each server
 * that could not be reached or was refused. A warning about s2s.insecureDomains is among the warnings.
 */
function Federation({ federation }: { federation: NonNullable<Status['federation']> }) {
  const links = federation.outgoingLinks + federation.incomingLinks;
  return (
    <section aria-labelledby="federation-heading" className="section">
      <h2 id="federation-heading">Other servers</h2>
      {!federation.enabled ? (
        <p>
          Federation is off (<span className="mono">s2s.enabled</span>): people here chat only with each other.
        </p>
      ) : (
        <>
          <p data-testid="federation-links">
            {links === 0
              ? 'No links to other servers right now. One opens when someone here writes to a friend on another server, or theirs writes here.'
              : `${links} ${links === 1 ? 'link' : 'links'} to other servers (${federation.outgoingLinks} from Hearth, ${federation.incomingLinks} to it): ${federation.connectedDomains.join(', ')}.`}
          </p>
          {federation.lastErrors.length > 0 && (
            <>
              <h3 id="federation-errors-heading">Servers Hearth could not reach or refused</h3>
              <ul aria-labelledby="federation-errors-heading" className="federation-errors">
                {federation.lastErrors.map((problem) => (
                  <li key={problem.domain}>
                    <span className="mono">{problem.domain}</span>: {problem.error}{' '}
                    <time dateTime={new Date(problem.at).toISOString()}>({new Date(problem.at).toLocaleString()})</time>
                  </li>
                ))}
              </ul>
            </>
          )}
        </>
      )}
    </section>
  );
}

/** What an app needs at home when the domain does not resolve: address, port, and the certificate to compare. */
function HomeNetwork({ status }: { status: Status }) {
  const c2s = status.listeners.find((l) => l.name === 'c2s');
  if (status.lanAddresses.length === 0 && !status.lanHostName && !status.certificateFingerprint) return null;
  return (
    <dl className="home-network" aria-label="Connecting at home">
      {status.lanHostName && (
        <div>
          <dt>Name on this network</dt>
          <dd className="mono">{status.lanHostName}</dd>
        </div>
      )}
      {status.lanAddresses.length > 0 && (
        <div>
          <dt>Address at home</dt>
          <dd className="mono">{status.lanAddresses.join(', ')}</dd>
        </div>
      )}
      {c2s && (
        <div>
          <dt>Chat port</dt>
          <dd className="mono">{c2s.port}</dd>
        </div>
      )}
      {status.certificateFingerprint && (
        <div>
          <dt>Certificate fingerprint (SHA-256)</dt>
          <dd className="mono break" data-testid="certificate-fingerprint">
            {status.certificateFingerprint}
          </dd>
        </div>
      )}
    </dl>
  );
}
