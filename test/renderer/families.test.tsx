// @vitest-environment jsdom
// What families adds to other pages: the household's circle in the setup wizard, and the
// dashboard's details for connecting at home (the .local name, the LAN address, the chat port and
// the certificate fingerprint to compare on a phone).
import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import Dashboard from '../../renderer/pages/Dashboard';
import Setup from '../../renderer/pages/Setup';
import { FakeAdminApi, makeSetupStatus, makeStatus, makeUser, ok, renderWithApi } from './fake-admin-api';

const fingerprint = 'AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89';

describe('The setup wizard', () => {
  function freshHearth() {
    return new FakeAdminApi({
      'setup.status': () => ok(makeSetupStatus()),
      'setup.complete': ({ domain, username }) => ok({ user: makeUser(username, { role: 'admin' }), domain, restartRequired: false, generatedPassword: 'x' }),
      status: () => ok(makeStatus()),
    });
  }

  it('suggests "Family" as the household’s circle, and sends another name when one is typed', async () => {
    const api = freshHearth();
    const { user } = renderWithApi(<Setup onDone={() => {}} />, api);
    await user.click(await screen.findByRole('button', { name: 'Next' }));

    const household = screen.getByRole('textbox', { name: "Your household's name" });
    expect(household).toHaveValue('Family');
    expect(household).toHaveAccessibleDescription(/everyone in it has the others in their contacts, and it has a group chat/);
    await user.clear(household);
    await user.type(household, 'The Smiths');
    await user.type(screen.getByRole('textbox', { name: 'Your user name' }), 'mum');
    await user.click(screen.getByRole('button', { name: 'Create my account' }));

    expect(await screen.findByRole('heading', { name: "You're done!" })).toBeInTheDocument();
    expect(api.inputs('setup.complete')).toEqual([{ domain: 'kitchen-pc', username: 'mum', household: 'The Smiths' }]);
  });
});

describe('The dashboard', () => {
  it('shows what an app needs at home: the .local name, the address, the chat port and the certificate fingerprint', async () => {
    const status = makeStatus({
      lanHostName: 'kitchen-pc.local',
      lanAddresses: ['192.0.2.10'],
      listeners: [{ name: 'c2s', address: '0.0.0.0', port: 5222 }],
      certificateFingerprint: fingerprint,
    });
    renderWithApi(<Dashboard />, new FakeAdminApi({ status: () => ok(status) }));

    const details = await screen.findByLabelText('Connecting at home');
    expect(within(details).getByText('kitchen-pc.local')).toBeInTheDocument();
    expect(within(details).getByText('192.0.2.10')).toBeInTheDocument();
    expect(within(details).getByText('5222')).toBeInTheDocument();
    expect(within(details).getByTestId('certificate-fingerprint')).toHaveTextContent(fingerprint);
    expect(screen.getByRole('link', { name: 'Invite someone with a QR code' })).toHaveAttribute('href', '#/invites');
  });

  it('leaves out the .local name when Hearth does not announce one', async () => {
    renderWithApi(<Dashboard />, new FakeAdminApi({ status: () => ok(makeStatus({ lanAddresses: ['192.0.2.10'] })) }));
    const details = await screen.findByLabelText('Connecting at home');
    expect(within(details).queryByText('Name on this network')).not.toBeInTheDocument();
  });
});
