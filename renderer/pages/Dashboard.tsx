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
        <details className="details">
          <summary>How to connect a phone</summary>
          <ConnectSteps domain={status.domain} status={status} />
        </details>
      </section>
    </>
  );
}
