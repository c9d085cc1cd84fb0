// @vitest-environment jsdom
// The Tor page (renderer/pages/Tor.tsx) against an in-memory AdminApi: the switch, progress and
// health from the live `tor` event, the address with its QR code, the options, the key backup
// and the new address behind a confirmation.
import { screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TorStatus } from '../../server/control/contract';
import Tor from '../../renderer/pages/Tor';
import { FakeAdminApi, fail, makeStatus, ok, renderWithApi, type Handlers } from './fake-admin-api';

const onion = 'eqw62flwrfqw4fxjhsrfwsjfzikdhxgubh4vqslj2nwlsjxb6uwinvad.onion';
const newOnion = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.onion';

function torStatus(overrides: Partial<TorStatus> = {}): TorStatus {
  return { enabled: false, state: 'off', running: false, bootstrapped: false, restarts: 0, advertise: false, federation: 'onions', ...overrides };
}

const runningTor = (overrides: Partial<TorStatus> = {}) =>
  torStatus({
    enabled: true,
    state: 'running',
    running: true,
    onionAddress: onion,
    socksPort: 9050,
    bootstrap: { progress: 45, tag: 'loading_descriptors', summary: 'Loading relay descriptors' },
    ...overrides,
  });

function hearthWithTor(initial: TorStatus, handlers: Handlers = {}) {
  let current = initial;
  return new FakeAdminApi({
    status: () => ok(makeStatus({ tor: current })),
    'tor.status': () => ok(current),
    'tor.setEnabled': ({ enabled }) => ok((current = enabled ? torStatus({ enabled: true, state: 'starting', running: true }) : torStatus({ onionAddress: current.onionAddress }))),
    'tor.setOptions': (change) => ok((current = { ...current, ...change })),
    ...handlers,
  });
}

afterEach(() => vi.restoreAllMocks());

describe('The Tor page', () => {
  it('starts Tor with the switch, then shows the progress and the address as Tor reports them', async () => {
    const api = hearthWithTor(torStatus());
    const { user } = renderWithApi(<Tor />, api);
    const toggle = await screen.findByRole('switch', { name: /Reach Hearth from anywhere through Tor/ });
    expect(toggle).not.toBeChecked();
    expect(screen.queryByRole('textbox', { name: 'Onion address' })).not.toBeInTheDocument();

    await user.click(toggle);

    expect(api.inputs('tor.setEnabled')).toEqual([{ enabled: true }]);
    expect(await screen.findByTestId('tor-state')).toHaveTextContent('Tor is starting…');
    expect(screen.getByRole('switch', { name: /Reach Hearth/ })).toBeChecked();

    api.emit('tor', runningTor());

    expect(screen.getByTestId('tor-state')).toHaveTextContent('Connecting to the Tor network…');
    const progress = screen.getByRole('progressbar', { name: 'Connecting to the Tor network' });
    expect(progress).toHaveAttribute('value', '45');
    expect(screen.getByTestId('tor-progress')).toHaveTextContent('45 % · Loading relay descriptors');
    expect(screen.getByRole('textbox', { name: 'Onion address' })).toHaveValue(onion);
    expect(screen.getByRole('textbox', { name: 'XMPP address (xmpp: URI)' })).toHaveValue(`xmpp:${onion}`);
    expect(screen.getByRole('button', { name: 'Copy onion address' })).toBeInTheDocument();
    const qr = await screen.findByRole('img', { name: `QR code of xmpp:${onion}` });
    expect(qr.getAttribute('src')).toMatch(/^data:image\/svg\+xml;charset=utf-8,%3Csvg/);

    api.emit('tor', runningTor({ bootstrapped: true, bootstrap: { progress: 100, tag: 'done', summary: 'Done' } }));
    expect(screen.getByTestId('tor-state')).toHaveTextContent('Connected to the Tor network');
  });

  it('shows why Tor cannot be switched on, and leaves the switch off', async () => {
    const message = 'Tor is not installed on this computer (there is no "tor" program on its PATH). Install it, then switch Tor on again. Debian, Ubuntu or Raspberry Pi OS: sudo apt install tor';
    const api = hearthWithTor(torStatus(), { 'tor.setEnabled': () => fail(message) });
    const { user } = renderWithApi(<Tor />, api);

    await user.click(await screen.findByRole('switch', { name: /Reach Hearth/ }));

    expect(await screen.findByRole('alert')).toHaveTextContent('sudo apt install tor');
    expect(screen.getByRole('switch', { name: /Reach Hearth/ })).not.toBeChecked();
  });

  it('shows a crash, the restart to come and the error', async () => {
    renderWithApi(
      <Tor />,
      hearthWithTor(runningTor({ state: 'restarting', running: false, restarts: 2, lastError: 'tor stopped unexpectedly (signal SIGKILL)', nextRestartAt: Date.now() + 4000 })),
    );

    expect(await screen.findByTestId('tor-state')).toHaveTextContent(/Tor stopped unexpectedly; it starts again in [3-4] s/);
    expect(screen.getByRole('alert')).toHaveTextContent('tor stopped unexpectedly (signal SIGKILL)');
    const health = screen.getAllByRole('definition').map((d) => d.textContent);
    expect(health).toEqual(['No', 'Not yet', '2']);
  });

  it('says when tor has trouble reaching the Tor network', async () => {
    renderWithApi(<Tor />, hearthWithTor(runningTor({ bootstrap: { progress: 5, tag: 'conn', summary: 'Connecting to a relay', warning: 'Connection refused' } })));
    expect(await screen.findByText(/^Tor has trouble getting there \(Connection refused\)\. It keeps trying/)).toBeInTheDocument();
  });

  it('switches Tor off', async () => {
    const api = hearthWithTor(runningTor());
    const { user } = renderWithApi(<Tor />, api);

    await user.click(await screen.findByRole('switch', { name: /Reach Hearth/ }));

    expect(api.inputs('tor.setEnabled')).toEqual([{ enabled: false }]);
    await waitFor(() => expect(screen.getByRole('switch', { name: /Reach Hearth/ })).not.toBeChecked());
    expect(screen.queryByTestId('tor-state')).not.toBeInTheDocument();
    // The address stays, for when Tor is switched on again.
    expect(screen.getByText('Tor is off: this address works again as soon as you switch Tor on. It stays the same.')).toBeInTheDocument();
  });

  it('saves advertising and the federation policy', async () => {
    const api = hearthWithTor(runningTor());
    const { user } = renderWithApi(<Tor />, api);

    await user.click(await screen.findByRole('checkbox', { name: "Publish the onion address in Hearth's service discovery" }));
    await waitFor(() => expect(screen.getByRole('checkbox', { name: "Publish the onion address in Hearth's service discovery" })).toBeChecked());
    await user.click(screen.getByRole('radio', { name: /Every server through Tor/ }));
    await waitFor(() => expect(screen.getByRole('radio', { name: /Every server through Tor/ })).toBeChecked());

    expect(api.inputs('tor.setOptions')).toEqual([{ advertise: true }, { federation: 'all' }]);
  });

  it('downloads a backup of the key as a file', async () => {
    const createObjectURL = vi.fn((_blob: Blob) => 'blob:hearth/key');
    Object.assign(URL, { createObjectURL, revokeObjectURL: vi.fn() });
    const clicked = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      expect(this.download).toBe('hs_ed25519_secret_key');
      expect(this.href).toBe('blob:hearth/key');
    });
    const key = Buffer.from('== ed25519v1-secret: type0 ==\0\0\0secret');
    const api = hearthWithTor(runningTor(), {
      'tor.backupKey': () => ok({ onionAddress: onion, fileName: 'hs_ed25519_secret_key', keyBase64: key.toString('base64') }),
    });
    const { user } = renderWithApi(<Tor />, api);

    await user.click(await screen.findByRole('button', { name: 'Download a backup of the key' }));

    expect(await screen.findByText(/Saved the key of .* as hs_ed25519_secret_key\. Keep it somewhere safe/)).toBeInTheDocument();
    expect(clicked).toHaveBeenCalledOnce();
    const blob = createObjectURL.mock.calls[0]![0];
    expect(Buffer.from(await blob.arrayBuffer()).equals(key)).toBe(true);
  });

  it('asks before getting a new address, and shows the new one', async () => {
    const api = hearthWithTor(runningTor(), { 'tor.rotate': () => ok({ ...runningTor({ onionAddress: newOnion }), previousOnionAddress: onion }) });
    const { user } = renderWithApi(<Tor />, api);

    await user.click(await screen.findByRole('button', { name: 'Get a new address…' }));
    const dialog = screen.getByRole('dialog', { name: 'Get a new onion address?' });
    expect(dialog).toHaveTextContent(`The current address (${onion}) stops working for good.`);
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(api.inputs('tor.rotate')).toEqual([]);

    await user.click(screen.getByRole('button', { name: 'Get a new address…' }));
    await user.click(within(screen.getByRole('dialog', { name: 'Get a new onion address?' })).getByRole('button', { name: 'Get a new address' }));

    expect(await screen.findByText(`Hearth's new onion address is ${newOnion}.`)).toBeInTheDocument();
    expect(api.inputs('tor.rotate')).toEqual([{}]);
    expect(screen.getByRole('textbox', { name: 'Onion address' })).toHaveValue(newOnion);
  });

  it('shows what went wrong when Hearth does not answer', async () => {
    renderWithApi(<Tor />, new FakeAdminApi({ 'tor.status': () => fail('Hearth is not answering. Is it still running?') }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Hearth is not answering. Is it still running?');
  });
});
