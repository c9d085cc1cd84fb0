// @vitest-environment jsdom
// The dashboard (renderer/pages/Dashboard.tsx) against an in-memory AdminApi: the counts from
// `status`, live updates from the event stream, warnings, and the restart notice.
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { Status } from '../../server/control/contract';
import Dashboard from '../../renderer/pages/Dashboard';
import { FakeAdminApi, fail, makeStatus, ok, renderWithApi } from './fake-admin-api';

/** The number shown under a heading of the "People" list (Registered, Online now, Devices). */
function stat(term: string): string | null {
  const terms = screen.getAllByRole('term');
  const index = terms.findIndex((t) => t.textContent === term);
  expect(index, `no "${term}" on the page`).toBeGreaterThanOrEqual(0);
  return screen.getAllByRole('definition')[index]!.textContent;
}

function hearthAt(status: Status) {
  return new FakeAdminApi({ status: () => ok(status) });
}

describe('The dashboard', () => {
  it('shows the counts from status', async () => {
    renderWithApi(<Dashboard />, hearthAt(makeStatus({ registeredUsers: 5, onlineUsers: 2, sessions: 3 })));

    expect(await screen.findByRole('heading', { name: 'Hearth is running' })).toBeInTheDocument();
    expect(stat('Registered')).toBe('5');
    expect(stat('Online now')).toBe('2');
    expect(stat('Devices')).toBe('3');
  });

  it('shows the uptime, the version and the chat port', async () => {
    renderWithApi(<Dashboard />, hearthAt(makeStatus({ uptimeSeconds: 3 * 86_400, version: '1.2.3', listeners: [{ name: 'c2s', address: '0.0.0.0', port: 5223 }] })));

    expect(await screen.findByText('Up 3 days · version 1.2.3 · chat port 5223')).toBeInTheDocument();
  });

  it('gives the server name to copy, with the LAN address for phones that cannot find it', async () => {
    renderWithApi(<Dashboard />, hearthAt(makeStatus({ lanAddresses: ['192.0.2.10', '198.51.100.7'] })));

    const server = await screen.findByRole('textbox', { name: 'Server' });
    expect(server).toHaveValue('kitchen-pc');
    expect(server).toHaveAccessibleDescription("If a phone cannot find it, use this computer's address instead: 192.0.2.10, 198.51.100.7.");
    expect(screen.getByRole('button', { name: 'Copy server' })).toBeInTheDocument();
  });

  it('updates the counts when a status event arrives', async () => {
    const api = hearthAt(makeStatus({ registeredUsers: 2, onlineUsers: 1, sessions: 1 }));
    renderWithApi(<Dashboard />, api);
    await screen.findByRole('heading', { name: 'Hearth is running' });

    api.emit('status', makeStatus({ registeredUsers: 3, onlineUsers: 2, sessions: 4 }));

    expect(stat('Registered')).toBe('3');
    expect(stat('Online now')).toBe('2');
    expect(stat('Devices')).toBe('4');
  });

  it('updates the counts when users.changed arrives before any status event', async () => {
    const api = hearthAt(makeStatus({ registeredUsers: 2, onlineUsers: 1 }));
    renderWithApi(<Dashboard />, api);
    await screen.findByRole('heading', { name: 'Hearth is running' });

    api.emit('users.changed', { registeredUsers: 3, onlineUsers: 0 });

    expect(stat('Registered')).toBe('3');
    expect(stat('Online now')).toBe('0');
  });

  it('lists what needs attention, leaving the restart to its own notice', async () => {
    const warnings: Status['warnings'] = [
      { id: 'self-signed-certificate', severity: 'warning', message: 'Hearth uses a certificate it made itself.' },
      { id: 'restart-required', severity: 'info', message: 'Saved settings apply after a restart.' },
    ];
    renderWithApi(<Dashboard />, hearthAt(makeStatus({ warnings, restartRequired: true })));

    const attention = await screen.findByRole('region', { name: 'Needs your attention' });
    const items = within(attention).getAllByRole('listitem');
    expect(items).toHaveLength(1);
    expect(items[0]).toHaveTextContent('Hearth uses a certificate it made itself.');
    expect(screen.queryByText('Saved settings apply after a restart.')).not.toBeInTheDocument();
    expect(screen.getByText('Restart needed')).toBeInTheDocument();
  });

  it('says Hearth is not answering when an error event arrives, until the next status', async () => {
    const api = hearthAt(makeStatus());
    renderWithApi(<Dashboard />, api);
    await screen.findByRole('heading', { name: 'Hearth is running' });

    api.emit('error', { message: 'Lost the connection to Hearth.' });
    expect(screen.getByRole('alert')).toHaveTextContent('Lost the connection to Hearth.');
    expect(screen.getByRole('heading', { name: 'Hearth is not answering' })).toBeInTheDocument();

    api.emit('status', makeStatus());
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    expect(screen.getByRole('heading', { name: 'Hearth is running' })).toBeInTheDocument();
  });

  it('shows why status failed and tries again when asked', async () => {
    let answers = 0;
    const api = new FakeAdminApi({ status: () => (answers++ === 0 ? fail('Hearth is not answering. Is it still running?') : ok(makeStatus())) });
    const { user } = renderWithApi(<Dashboard />, api);

    expect(await screen.findByRole('alert')).toHaveTextContent('Hearth did not answerHearth is not answering. Is it still running?');
    await user.click(screen.getByRole('button', { name: 'Try again' }));

    expect(await screen.findByRole('heading', { name: 'Hearth is running' })).toBeInTheDocument();
  });

  it('restarts Hearth from the notice and drops the notice once Hearth is back', async () => {
    let restarted = false;
    const api = new FakeAdminApi({
      status: () => ok(makeStatus({ restartRequired: !restarted })),
      'server.restart': () => {
        restarted = true;
        return ok({ restarting: true as const });
      },
    });
    const { user } = renderWithApi(<Dashboard />, api);
    await screen.findByRole('heading', { name: 'Hearth is running' });
    // The live status (every few seconds) says the same as the first answer.
    api.emit('status', makeStatus({ restartRequired: true }));

    await user.click(screen.getByRole('button', { name: 'Restart Hearth now' }));

    expect(api.inputs('server.restart')).toEqual([{}]);
    await waitFor(() => expect(screen.queryByText('Restart needed')).not.toBeInTheDocument(), { timeout: 5_000 });
  });

  it('tells the admin to restart Hearth by hand when it cannot restart itself', async () => {
    renderWithApi(<Dashboard />, hearthAt(makeStatus({ restartRequired: true, canRestart: false })));

    expect(await screen.findByText('Saved settings take effect when Hearth starts again: stop it and start it once more.')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Restart Hearth now' })).not.toBeInTheDocument();
  });
});
