// @vitest-environment jsdom
// The Network page (renderer/pages/Network.tsx) against an in-memory AdminApi: the port mapping
// switch, the router's public address and the mapped ports (live from the `portMapping` event),
// choosing ports, and the reachability self-test with its per-port results and Tor suggestion.
import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { PortMappingPort, PortMappingStatus, ReachabilityReport } from '../../server/control/contract';
import Network from '../../renderer/pages/Network';
import { FakeAdminApi, fail, ok, renderWithApi, type Handlers } from './fake-admin-api';

const ports = (state: PortMappingPort['state'], extra: Partial<PortMappingPort> = {}): PortMappingPort[] =>
  (
    [
      ['c2s', 5222],
      ['c2sTls', 5223],
      ['s2s', 5269],
      ['https', 5281],
    ] as const
  ).map(([name, port]) => ({ name, internalPort: port, state, ...(state === 'mapped' ? { externalPort: port, lifetimeSeconds: 7200, expiresAt: Date.UTC(2026, 0, 1, 14), renewAt: Date.UTC(2026, 0, 1, 13) } : {}), ...extra }));

function mappingStatus(overrides: Partial<PortMappingStatus> = {}): PortMappingStatus {
  return { enabled: false, protocol: 'auto', chosenPorts: ['c2s', 'c2sTls', 's2s', 'https'], state: 'off', ports: ports('off'), ...overrides };
}

const mapped = (overrides: Partial<PortMappingStatus> = {}) =>
  mappingStatus({
    enabled: true,
    state: 'mapped',
    router: { protocol: 'upnp', address: 'http://192.168.1.1:5000/rootDesc.xml', discovered: true },
    publicAddress: '81.2.69.160',
    publicAddressKind: 'public',
    ports: ports('mapped'),
    ...overrides,
  });

function hearth(initial: PortMappingStatus, handlers: Handlers = {}) {
  let current = initial;
  return new FakeAdminApi({
    'portMapping.status': () => ok(current),
    'portMapping.setOptions': ({ enabled, ports: chosen }) => {
      if (enabled === true) current = mappingStatus({ enabled: true, state: 'starting', ports: ports('pending') });
      if (enabled === false) current = mappingStatus();
      if (chosen) current = { ...current, chosenPorts: chosen };
      return ok(current);
    },
    ...handlers,
  });
}

describe('The Network page', () => {
  it('switches port mapping on, then shows the public address and the mapped ports as Hearth reports them', async () => {
    const api = hearth(mappingStatus());
    const { user } = renderWithApi(<Network />, api);
    const toggle = await screen.findByRole('switch', { name: /Ask the router to forward Hearth's ports/ });
    expect(toggle).not.toBeChecked();

    await user.click(toggle);

    expect(api.inputs('portMapping.setOptions')).toEqual([{ enabled: true }]);
    expect(await screen.findByTestId('port-mapping-state')).toHaveTextContent('Asking the router…');
    expect(screen.getByRole('switch', { name: /Ask the router/ })).toBeChecked();
    expect(within(screen.getByTestId('port-c2s')).getByText('waiting for the router')).toBeInTheDocument();

    api.emit('portMapping', mapped());

    expect(screen.getByTestId('port-mapping-state')).toHaveTextContent('The router forwards every chosen port to Hearth');
    expect(screen.getByTestId('public-address')).toHaveTextContent('81.2.69.160');
    expect(screen.getByTestId('public-address-kind')).toHaveTextContent('a public internet address');
    expect(screen.getByTestId('router')).toHaveTextContent('UPnP http://192.168.1.1:5000/rootDesc.xml (found on the network)');
    expect(screen.getByTestId('port-s2s')).toHaveTextContent(/Other servers \(s2s\)5269forwarded from port 5269, renewed before/);
  });

  it('says nobody outside can get in behind carrier-grade NAT, and points to Tor', async () => {
    renderWithApi(<Network />, hearth(mapped({ publicAddress: '100.64.7.8', publicAddressKind: 'shared' })));
    expect(await screen.findByTestId('public-address-kind')).toHaveTextContent(/shared address of the internet provider \(carrier-grade NAT\).*use Tor instead/);
    expect(screen.getByRole('link', { name: 'Tor' })).toHaveAttribute('href', '#/tor');
  });

  it('shows why the router did not answer', async () => {
    renderWithApi(
      <Network />,
      hearth(mappingStatus({ enabled: true, state: 'failed', ports: ports('pending'), lastError: 'no router on the network answered UPnP or NAT-PMP.', nextAttemptAt: Date.now() + 60_000 })),
    );
    expect(await screen.findByTestId('port-mapping-state')).toHaveTextContent('No router answered');
    expect(screen.getByRole('alert')).toHaveTextContent(/no router on the network answered UPnP or NAT-PMP\. Hearth asks again at/);
  });

  it('shows the error when the switch cannot be saved, and leaves it off', async () => {
    const api = hearth(mappingStatus(), { 'portMapping.setOptions': () => fail('the port mapping settings were not saved: could not save /etc/hearth.json: EACCES') });
    const { user } = renderWithApi(<Network />, api);
    await user.click(await screen.findByRole('switch', { name: /Ask the router/ }));
    expect(await screen.findByRole('alert')).toHaveTextContent('The port mapping settings were not saved');
    expect(screen.getByRole('switch', { name: /Ask the router/ })).not.toBeChecked();
  });

  it('chooses which ports to forward', async () => {
    const api = hearth(mapped());
    const { user } = renderWithApi(<Network />, api);
    await user.click(await screen.findByRole('checkbox', { name: 'Forward Other servers (s2s)' }));
    expect(api.inputs('portMapping.setOptions')).toEqual([{ ports: ['c2s', 'c2sTls', 'https'] }]);
    expect(screen.getByRole('checkbox', { name: 'Forward Other servers (s2s)' })).not.toBeChecked();
  });

  it('runs the reachability self-test and shows a result per port', async () => {
    const report: ReachabilityReport = {
      testedAt: Date.UTC(2026, 0, 1, 12),
      enabled: true,
      routerAnswered: true,
      router: { protocol: 'nat-pmp', address: '192.168.1.1' },
      publicAddress: '81.2.69.160',
      publicAddressKind: 'public',
      ports: [
        { name: 'c2s', internalPort: 5222, listening: true, routerAnswered: true, mapped: true, externalPort: 5222, lifetimeSeconds: 7200, verdict: 'open', message: 'The router forwards port 5222 to Hearth\'s port 5222. As far as this computer can tell, it works from outside.' },
        { name: 'https', internalPort: 5281, listening: false, routerAnswered: true, mapped: false, verdict: 'closed', message: 'Hearth does not accept connections on port 5281 on this computer, so nobody outside can reach it either.' },
      ],
      summary: '1 of 2 ports work from outside as far as this computer can tell; https (5281) does not: see each port below.',
      suggestTor: false,
    };
    const api = hearth(mapped(), { 'portMapping.selfTest': () => ok(report) });
    const { user } = renderWithApi(<Network />, api);
    await user.click(await screen.findByRole('button', { name: 'Test reachability' }));

    const result = await screen.findByTestId('self-test-report');
    expect(within(result).getByRole('status')).toHaveTextContent('1 of 2 ports work from outside');
    expect(screen.getByTestId('self-test-c2s')).toHaveTextContent(/^Chat apps \(c2s\): Works from outside The router forwards port 5222/);
    expect(screen.getByTestId('self-test-https')).toHaveTextContent(/^HTTPS: uploads, web clients, invitations: Not reachable Hearth does not accept connections on port 5281/);
    expect(within(result).queryByRole('link', { name: 'Set up Tor' })).not.toBeInTheDocument();
  });

  it('suggests Tor when the self-test finds the network cannot be reached from outside', async () => {
    const report: ReachabilityReport = {
      testedAt: Date.now(),
      enabled: true,
      routerAnswered: true,
      publicAddress: '100.64.7.8',
      publicAddressKind: 'shared',
      ports: [{ name: 'c2s', internalPort: 5222, listening: true, routerAnswered: true, mapped: true, externalPort: 5222, lifetimeSeconds: 7200, verdict: 'closed', message: 'The router forwards port 5222, but …' }],
      summary: 'Nobody outside can reach Hearth through this router: the router\'s own internet address, 100.64.7.8, is a shared address of your internet provider. Use Tor instead (the Tor page).',
      suggestTor: true,
    };
    const { user } = renderWithApi(<Network />, hearth(mapped(), { 'portMapping.selfTest': () => ok(report) }));
    await user.click(await screen.findByRole('button', { name: 'Test reachability' }));
    const result = await screen.findByTestId('self-test-report');
    expect(within(result).getByRole('link', { name: 'Set up Tor' })).toHaveAttribute('href', '#/tor');
    expect(screen.getByTestId('self-test-c2s')).toHaveTextContent('Not reachable');
  });
});
