// The Network page: reaching Hearth from outside through the home router. One switch asks the
// router (UPnP or NAT-PMP) to forward the chat, federation and HTTPS ports; the page shows the
// router's public address, each port's mapping (live, from the `portMapping` event), which ports
// to forward, and the reachability self-test with a verdict per port and a pointer to Tor when
// the router cannot let anyone in.
import { useId, useState } from 'react';
import type { MappedListener, PortMappingPort, PortMappingStatus, PublicAddressKind, ReachabilityReport } from '../../server/control/contract';
import { mappedListeners } from '../../server/control/contract';
import { hrefFor } from '../src/router';
import { useAction, useApi, useEvent, useRequest } from '../src/api';
import { Alert, Button, Loading, PageTitle } from '../src/components';
import { formatDate } from '../src/format';

const portTitles: Record<MappedListener, string> = {
  c2s: 'Chat apps (c2s)',
  c2sTls: 'Chat apps, direct TLS (c2sTls)',
  s2s: 'Other servers (s2s)',
  https: 'HTTPS: uploads, web clients, invitations',
};

const kindWords: Record<PublicAddressKind, string> = {
  public: 'a public internet address',
  private: 'a private address: another router sits in front of this one',
  shared: "a shared address of the internet provider (carrier-grade NAT): it cannot be reached from outside",
  local: 'not an internet address',
  none: 'no address yet: the router may not be connected to the internet',
  reserved: 'an address the internet cannot reach',
};

export default function Network() {
  const initial = useRequest('portMapping.status', {});
  const [live, setLive] = useState<PortMappingStatus | undefined>();
  useEvent('portMapping', setLive);
  const status = live ?? initial.data;

  return (
    <>
      <PageTitle>Network</PageTitle>
      <p className="lead">
        At home, phones reach Hearth on the local network. To reach it from outside, the home router must forward Hearth's ports to this computer. Hearth can
        ask the router to do that by itself (UPnP or NAT-PMP). Where the router cannot let anyone in, Tor still can.
      </p>
      {!status ? (
        initial.error ? (
          <Alert kind="error" action={<Button variant="secondary" onClick={initial.reload}>Try again</Button>}>
            {initial.error}
          </Alert>
        ) : (
          <Loading label="Asking Hearth about port mapping…" />
        )
      ) : (
        <>
          <Switch status={status} onStatus={setLive} />
          {status.enabled && <RouterState status={status} />}
          <Ports status={status} onStatus={setLive} />
          <SelfTest />
        </>
      )}
    </>
  );
}

function Switch({ status, onStatus }: { status: PortMappingStatus; onStatus(status: PortMappingStatus): void }) {
  const api = useApi();
  const action = useAction();
  const id = useId();
  const toggle = async (enabled: boolean) => {
    const result = await action.run(() => api.request('portMapping.setOptions', { enabled }));
    if (result) onStatus(result);
  };
  return (
    <section className="section card" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`} className="visually-hidden">
        Port mapping
      </h2>
      <label className="choice-inline tor-switch">
        <input type="checkbox" role="switch" checked={status.enabled} disabled={action.pending || status.state === 'stopping'} onChange={(e) => void toggle(e.target.checked)} aria-describedby={`${id}-hint`} />
        <span>
          <strong>Ask the router to forward Hearth's ports</strong>
          <span className="choice-text" id={`${id}-hint`}>
            {status.enabled
              ? 'On: Hearth asks the router to forward the ports below, renews the forwarding before it runs out, and removes it when Hearth stops.'
              : 'Off: Hearth does not talk to the router at all. Switch on to ask it, with UPnP or NAT-PMP, to forward the ports below.'}
          </span>
        </span>
      </label>
      {action.pending && <Loading label={status.enabled ? 'Removing the forwarding from the router…' : 'Asking the router…'} />}
      {action.error && <Alert kind="error">{action.error}</Alert>}
    </section>
  );
}

function describeState(status: PortMappingStatus): string {
  switch (status.state) {
    case 'starting':
      return 'Asking the router…';
    case 'mapped':
      return 'The router forwards every chosen port to Hearth';
    case 'partial':
      return 'The router forwards some of the chosen ports';
    case 'failed':
      return status.router ? 'The router did not forward the ports' : 'No router answered';
    case 'stopping':
      return 'Removing the forwarding…';
    case 'off':
      return 'Port mapping is off';
  }
}

function RouterState({ status }: { status: PortMappingStatus }) {
  const id = useId();
  const good = status.state === 'mapped' && status.publicAddressKind === 'public';
  const trouble = status.state === 'failed' || (status.publicAddressKind !== undefined && status.publicAddressKind !== 'public');
  return (
    <section className="section card" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>The router</h2>
      <p className={`tor-state ${good ? 'tor-state-done' : trouble ? 'tor-state-trouble' : ''}`} data-testid="port-mapping-state">
        <span className="running-dot" aria-hidden="true" />
        {describeState(status)}
      </p>
      <dl className="tor-health">
        {status.router && (
          <div>
            <dt>Asked with</dt>
            <dd data-testid="router">
              {status.router.protocol === 'upnp' ? 'UPnP' : 'NAT-PMP'} <span className="mono">{status.router.address}</span>
              {status.router.discovered ? ' (found on the network)' : ''}
            </dd>
          </div>
        )}
        {status.publicAddress && (
          <div>
            <dt>Public address</dt>
            <dd data-testid="public-address">
              <span className="mono">{status.publicAddress}</span>
            </dd>
          </div>
        )}
      </dl>
      {status.publicAddress && status.publicAddressKind && (
        <p className="hint" data-testid="public-address-kind">
          The router says its internet address is {kindWords[status.publicAddressKind]}.
          {(status.publicAddressKind === 'shared' || status.publicAddressKind === 'private') && (
            <>
              {' '}
              Nobody outside can reach Hearth through it: use <a href={hrefFor('tor')}>Tor</a> instead.
            </>
          )}
        </p>
      )}
      {status.lastError && (
        <Alert kind="error" title="The router">
          {status.lastError}
          {status.nextAttemptAt ? ` Hearth asks again at ${new Date(status.nextAttemptAt).toLocaleTimeString()}.` : ''}
        </Alert>
      )}
    </section>
  );
}

function describePort(port: PortMappingPort): string {
  switch (port.state) {
    case 'mapped':
      if (port.lifetimeSeconds === 0) return `forwarded from port ${port.externalPort}, until Hearth stops`;
      return `forwarded from port ${port.externalPort}${port.expiresAt ? `, renewed before ${formatDate(port.expiresAt)} ${new Date(port.expiresAt).toLocaleTimeString()}` : ''}`;
    case 'pending':
      return 'waiting for the router';
    case 'failed':
      return `not forwarded: ${port.error ?? 'the router refused'}`;
    case 'unavailable':
      return 'Hearth does not listen for this (switched off in the settings)';
    case 'off':
      return 'not forwarded';
  }
}

function Ports({ status, onStatus }: { status: PortMappingStatus; onStatus(status: PortMappingStatus): void }) {
  const api = useApi();
  const action = useAction();
  const id = useId();
  const choose = async (name: MappedListener, chosen: boolean) => {
    const ports = mappedListeners.filter((p) => (p === name ? chosen : status.chosenPorts.includes(p)));
    const result = await action.run(() => api.request('portMapping.setOptions', { ports }));
    if (result) onStatus(result);
  };
  return (
    <section className="section card" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>Ports</h2>
      <table className="users-table">
        <thead>
          <tr>
            <th scope="col">Forward</th>
            <th scope="col">For</th>
            <th scope="col">Hearth's port</th>
            <th scope="col">On the router</th>
          </tr>
        </thead>
        <tbody>
          {status.ports.map((port) => (
            <tr key={port.name} data-testid={`port-${port.name}`}>
              <td>
                <input
                  type="checkbox"
                  aria-label={`Forward ${portTitles[port.name]}`}
                  checked={status.chosenPorts.includes(port.name)}
                  disabled={action.pending || port.state === 'unavailable'}
                  onChange={(e) => void choose(port.name, e.target.checked)}
                />
              </td>
              <td>{portTitles[port.name]}</td>
              <td className="mono">{port.internalPort || '–'}</td>
              <td>{describePort(port)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {action.error && <Alert kind="error">{action.error}</Alert>}
    </section>
  );
}

const verdictWords: Record<ReachabilityReport['ports'][number]['verdict'], string> = { open: 'Works from outside', closed: 'Not reachable', unknown: 'Cannot tell' };

function SelfTest() {
  const api = useApi();
  const action = useAction();
  const id = useId();
  const [report, setReport] = useState<ReachabilityReport | undefined>();
  const run = async () => {
    const result = await action.run(() => api.request('portMapping.selfTest', {}));
    // The status above follows by itself: the self-test's fresh router answer comes as a `portMapping` event.
    if (result) setReport(result);
  };
  return (
    <section className="section card" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>Reachability self-test</h2>
      <p className="hint">
        Checks what this computer can tell without help from the internet: that Hearth listens, that the router answers and forwards each port, and whether the
        router's own address can be reached from outside at all. Only a device outside your home can prove it, such as a phone with Wi-Fi off.
      </p>
      <Button onClick={() => void run()} pending={action.pending} pendingLabel="Testing…">
        Test reachability
      </Button>
      {action.error && <Alert kind="error">{action.error}</Alert>}
      {report && (
        <div data-testid="self-test-report">
          <Alert kind={report.suggestTor ? 'warning' : report.ports.every((p) => p.verdict === 'open') && report.ports.length > 0 ? 'success' : 'info'} title="Result">
            {report.summary}
            {report.suggestTor && (
              <>
                {' '}
                <a href={hrefFor('tor')}>Set up Tor</a>
              </>
            )}
          </Alert>
          <ul className="invite-facts">
            {report.ports.map((port) => (
              <li key={port.name} data-testid={`self-test-${port.name}`}>
                <strong>
                  {portTitles[port.name]}: {verdictWords[port.verdict]}
                </strong>{' '}
                {port.message}
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
