// @vitest-environment jsdom
// The Settings page (renderer/pages/Settings.tsx) against an in-memory AdminApi: the saved
// values, saving changes, the server's messages, and the notice that a restart is needed.
import { screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { Settings as SettingsValues } from '../../server/control/contract';
import Settings from '../../renderer/pages/Settings';
import { FakeAdminApi, fail, makeSettingsResult, makeStatus, ok, renderWithApi, type Handlers } from './fake-admin-api';

/** A Hearth whose saved settings change with settings.set and apply only after a restart. */
function hearthWithSettings(overrides: Handlers = {}) {
  const running = makeSettingsResult().settings;
  let saved: SettingsValues = { ...running };
  const restartRequired = () => (Object.keys(saved) as Array<keyof SettingsValues>).some((key) => saved[key] !== running[key]);
  return new FakeAdminApi({
    'settings.get': () => ok(makeSettingsResult({ settings: { ...saved }, restartRequired: restartRequired() })),
    'settings.set': (change) => {
      const changed = (Object.keys(change) as Array<keyof SettingsValues>).filter((key) => change[key] !== saved[key]);
      saved = { ...saved, ...change };
      return ok({ ...makeSettingsResult({ settings: { ...saved }, restartRequired: restartRequired() }), changed });
    },
    status: () => ok(makeStatus({ restartRequired: restartRequired() })),
    ...overrides,
  });
}

describe('The Settings page', () => {
  it('shows the saved settings and the file they are kept in', async () => {
    renderWithApi(<Settings />, hearthWithSettings());

    expect(await screen.findByRole('textbox', { name: 'Server name (domain)' })).toHaveValue('kitchen-pc');
    expect(screen.getByRole('textbox', { name: 'Server name (domain)' })).toHaveAttribute('readonly');
    expect(screen.getByRole('checkbox', { name: 'Let anyone who can reach Hearth create an account' })).not.toBeChecked();
    expect(screen.getByRole('spinbutton', { name: 'Keep message history on the server for (days)' })).toHaveValue(30);
    expect(screen.getByRole('combobox', { name: "Detail in Hearth's log" })).toHaveDisplayValue('Normal');
    expect(screen.getByText('/home/hearth/.config/hearth/hearth.json')).toBeInTheDocument();
  });

  it('saves what the admin changed', async () => {
    const api = hearthWithSettings();
    const { user } = renderWithApi(<Settings />, api);
    const days = await screen.findByRole('spinbutton', { name: 'Keep message history on the server for (days)' });

    await user.click(screen.getByRole('checkbox', { name: 'Let anyone who can reach Hearth create an account' }));
    await user.clear(days);
    await user.type(days, '90');
    await user.selectOptions(screen.getByRole('combobox', { name: "Detail in Hearth's log" }), 'Errors only');
    await user.click(screen.getByRole('button', { name: 'Save settings' }));

    await screen.findByText('Saved. The changes take effect when Hearth restarts.');
    expect(api.inputs('settings.set')).toEqual([{ registrationOpen: true, archiveRetentionDays: 90, logLevel: 'error' }]);
  });

  it('shows a restart-needed notice after saving', async () => {
    const { user } = renderWithApi(<Settings />, hearthWithSettings());
    await user.click(await screen.findByRole('checkbox', { name: 'Let anyone who can reach Hearth create an account' }));
    expect(screen.queryByText('Restart needed')).not.toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Save settings' }));

    expect(await screen.findByText('Restart needed')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Restart Hearth now' })).toBeInTheDocument();
  });

  it('says nothing changed when the admin saves the same values', async () => {
    const { user } = renderWithApi(<Settings />, hearthWithSettings());

    await user.click(await screen.findByRole('button', { name: 'Save settings' }));

    expect(await screen.findByText('Nothing changed.')).toBeInTheDocument();
    expect(screen.queryByText('Restart needed')).not.toBeInTheDocument();
  });

  it('shows the server’s explanation when the number of days is missing', async () => {
    const api = hearthWithSettings();
    const { user } = renderWithApi(<Settings />, api);

    await user.clear(await screen.findByRole('spinbutton', { name: 'Keep message history on the server for (days)' }));
    await user.click(screen.getByRole('button', { name: 'Save settings' }));

    // The fake checks the request with the contract's schema, as Hearth does.
    expect(await screen.findByRole('alert')).toHaveTextContent('Enter the number of days to keep messages.');
    expect(screen.queryByText(/^Saved\./)).not.toBeInTheDocument();
  });

  it('shows an error when the settings could not be saved', async () => {
    const { user } = renderWithApi(<Settings />, hearthWithSettings({ 'settings.set': () => fail('the settings were not saved: the disk is full') }));

    await user.click(await screen.findByRole('button', { name: 'Save settings' }));

    expect(await screen.findByRole('alert')).toHaveTextContent('The settings were not saved: the disk is full.');
  });

  it('restarts Hearth from the notice and drops the notice once Hearth is back', async () => {
    let restarted = false;
    const api = new FakeAdminApi({
      'settings.get': () => ok(makeSettingsResult({ restartRequired: !restarted })),
      status: () => ok(makeStatus({ restartRequired: !restarted })),
      'server.restart': () => {
        restarted = true;
        return ok({ restarting: true as const });
      },
    });
    const { user } = renderWithApi(<Settings />, api);

    await user.click(await screen.findByRole('button', { name: 'Restart Hearth now' }));

    await waitFor(() => expect(screen.queryByText('Restart needed')).not.toBeInTheDocument(), { timeout: 5_000 });
    expect(api.inputs('server.restart')).toEqual([{}]);
  });
});
