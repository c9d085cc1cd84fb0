// @vitest-environment jsdom
// The first-run wizard (renderer/pages/Setup.tsx) against an in-memory AdminApi: choosing the
// server name, creating the admin, and the last step with the address, password and restart.
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import Setup from '../../renderer/pages/Setup';
import { FakeAdminApi, domain, fail, makeSetupStatus, makeStatus, makeUser, ok, renderWithApi, type Handlers } from './fake-admin-api';

const generated = 'ember-quartz-willow-piano';

/** A Hearth that still needs setting up; setup.complete makes the admin with the chosen domain. */
function freshHearth(overrides: Handlers = {}) {
  let running = domain;
  let saved = domain;
  return new FakeAdminApi({
    'setup.status': () => ok(makeSetupStatus()),
    'setup.complete': ({ domain: chosen, username, password }) => {
      saved = chosen;
      return ok({
        user: makeUser(username, { role: 'admin', jid: `${username}@${chosen}` }),
        domain: chosen,
        restartRequired: chosen !== running,
        ...(password === undefined ? { generatedPassword: generated } : {}),
      });
    },
    status: () => ok(makeStatus({ domain: running })),
    'server.restart': () => {
      running = saved;
      return ok({ restarting: true as const });
    },
    ...overrides,
  });
}

/** The step that the progress list marks as the current one. */
function currentStep(): HTMLElement | undefined {
  const progress = screen.getByRole('list', { name: 'Setup progress' });
  return within(progress)
    .getAllByRole('listitem')
    .find((item) => item.getAttribute('aria-current') === 'step');
}

describe('The setup wizard', () => {
  it('offers this computer’s name as the server name first', async () => {
    renderWithApi(<Setup onDone={() => {}} />, freshHearth());

    expect(await screen.findByRole('heading', { name: 'Welcome to Hearth' })).toBeInTheDocument();
    expect(screen.getByRole('radio', { name: /^Only at home/ })).toBeChecked();
    expect(screen.getByRole('textbox', { name: 'Server name' })).toHaveValue('kitchen-pc');
    expect(currentStep()).toHaveTextContent(/Server name$/);
  });

  it('asks for a domain name before going on when people connect over the internet', async () => {
    const { user } = renderWithApi(<Setup onDone={() => {}} />, freshHearth());

    await user.click(await screen.findByRole('radio', { name: /^From anywhere, over the internet/ }));
    const field = screen.getByRole('textbox', { name: 'Domain name' });
    expect(field).toHaveValue('');
    await user.click(screen.getByRole('button', { name: 'Next' }));

    expect(screen.getByRole('alert')).toHaveTextContent('Enter a domain name.');
    expect(field).toBeInvalid();
    expect(screen.getByRole('heading', { name: 'Welcome to Hearth' })).toBeInTheDocument();
  });

  it('goes on to the account step and marks the first step done', async () => {
    const { user } = renderWithApi(<Setup onDone={() => {}} />, freshHearth());

    await user.click(await screen.findByRole('button', { name: 'Next' }));

    expect(screen.getByRole('heading', { name: 'Your admin account' })).toBeInTheDocument();
    expect(currentStep()).toHaveTextContent(/Your account$/);
    expect(within(screen.getByRole('list', { name: 'Setup progress' })).getByText('Server name')).toHaveTextContent('Server name (done)');
  });

  it('shows the admin’s address as they type their name', async () => {
    const { user } = renderWithApi(<Setup onDone={() => {}} />, freshHearth());
    await user.click(await screen.findByRole('button', { name: 'Next' }));

    await user.type(screen.getByRole('textbox', { name: 'Your user name' }), 'Mum');

    expect(screen.getByRole('textbox', { name: 'Your user name' })).toHaveAccessibleDescription('Your address will be mum@kitchen-pc.');
  });

  it('keeps the chosen domain when the admin goes back', async () => {
    const { user } = renderWithApi(<Setup onDone={() => {}} />, freshHearth());
    await user.click(await screen.findByRole('radio', { name: /^From anywhere/ }));
    await user.type(screen.getByRole('textbox', { name: 'Domain name' }), 'chat.smith.family');
    await user.click(screen.getByRole('button', { name: 'Next' }));

    await user.click(screen.getByRole('button', { name: 'Back' }));

    expect(screen.getByRole('textbox', { name: 'Domain name' })).toHaveValue('chat.smith.family');
  });

  it('creates the admin with the chosen domain and the typed name', async () => {
    const api = freshHearth();
    const { user } = renderWithApi(<Setup onDone={() => {}} />, api);
    await user.click(await screen.findByRole('button', { name: 'Next' }));

    await user.type(screen.getByRole('textbox', { name: 'Your user name' }), 'mum');
    await user.click(screen.getByRole('button', { name: 'Create my account' }));

    expect(await screen.findByRole('heading', { name: "You're done!" })).toBeInTheDocument();
    expect(api.inputs('setup.complete')).toEqual([{ domain: 'kitchen-pc', username: 'mum' }]);
  });

  it('shows the address and the generated password on the last step', async () => {
    const { user } = renderWithApi(<Setup onDone={() => {}} />, freshHearth());
    await user.click(await screen.findByRole('button', { name: 'Next' }));
    await user.type(screen.getByRole('textbox', { name: 'Your user name' }), 'mum');
    await user.click(screen.getByRole('button', { name: 'Create my account' }));

    expect(await screen.findByRole('textbox', { name: 'Your address' })).toHaveValue('mum@kitchen-pc');
    const password = screen.getByRole('textbox', { name: 'Your password' });
    expect(password).toHaveValue(generated);
    expect(password).toHaveAccessibleDescription("Shown only this once. Copy it into your phone's chat app or a password manager now.");
    expect(currentStep()).toHaveTextContent(/Connect$/);
  });

  it('sends the password the admin chose and shows none back', async () => {
    const api = freshHearth();
    const { user } = renderWithApi(<Setup onDone={() => {}} />, api);
    await user.click(await screen.findByRole('button', { name: 'Next' }));

    await user.type(screen.getByRole('textbox', { name: 'Your user name' }), 'mum');
    await user.click(screen.getByRole('radio', { name: 'I will choose my own' }));
    await user.type(screen.getByLabelText('Your password'), 'a long family secret');
    await user.click(screen.getByRole('button', { name: 'Create my account' }));

    expect(await screen.findByRole('textbox', { name: 'Your address' })).toBeInTheDocument();
    expect(api.inputs('setup.complete')).toEqual([{ domain: 'kitchen-pc', username: 'mum', password: 'a long family secret' }]);
    expect(screen.queryByRole('textbox', { name: 'Your password' })).not.toBeInTheDocument();
  });

  it('shows the server’s message on the account step when the password is too short', async () => {
    const { user } = renderWithApi(<Setup onDone={() => {}} />, freshHearth());
    await user.click(await screen.findByRole('button', { name: 'Next' }));

    await user.type(screen.getByRole('textbox', { name: 'Your user name' }), 'mum');
    await user.click(screen.getByRole('radio', { name: 'I will choose my own' }));
    await user.type(screen.getByLabelText('Your password'), 'short');
    await user.click(screen.getByRole('button', { name: 'Create my account' }));

    // The fake checks the request with the contract's schema, as Hearth does.
    expect(await screen.findByRole('alert')).toHaveTextContent('Use at least 8 characters for the password.');
    expect(screen.getByRole('heading', { name: 'Your admin account' })).toBeInTheDocument();
  });

  it('takes the admin back to the first step when Hearth refuses the domain', async () => {
    const api = freshHearth({
      'setup.complete': ({ domain: typed }) => fail(`"${typed}" is not a valid domain name: use letters, digits, hyphens and dots, such as kitchen-pc or chat.smith.family`),
    });
    const { user } = renderWithApi(<Setup onDone={() => {}} />, api);
    await user.click(await screen.findByRole('radio', { name: /^From anywhere/ }));
    await user.type(screen.getByRole('textbox', { name: 'Domain name' }), 'chat_smith');
    await user.click(screen.getByRole('button', { name: 'Next' }));
    await user.type(screen.getByRole('textbox', { name: 'Your user name' }), 'mum');

    await user.click(screen.getByRole('button', { name: 'Create my account' }));

    expect(await screen.findByRole('heading', { name: 'Welcome to Hearth' })).toBeInTheDocument();
    expect(screen.getByRole('alert')).toHaveTextContent('"chat_smith" is not a valid domain name');
    expect(screen.getByRole('textbox', { name: 'Domain name' })).toBeInvalid();
  });

  it('restarts Hearth with a new server name and says when it answers as that name', async () => {
    const api = freshHearth();
    const { user } = renderWithApi(<Setup onDone={() => {}} />, api);
    await user.click(await screen.findByRole('radio', { name: /^From anywhere/ }));
    await user.type(screen.getByRole('textbox', { name: 'Domain name' }), 'chat.smith.family');
    await user.click(screen.getByRole('button', { name: 'Next' }));
    await user.type(screen.getByRole('textbox', { name: 'Your user name' }), 'mum');

    await user.click(screen.getByRole('button', { name: 'Create my account' }));

    expect(await screen.findByText('Restarting Hearth with the new server name… this takes a few seconds.')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Open the dashboard' })).toBeDisabled();
    await waitFor(() => expect(screen.getByText('Hearth restarted and now answers as chat.smith.family.')).toBeInTheDocument(), { timeout: 5_000 });
    expect(screen.getByRole('button', { name: 'Open the dashboard' })).toBeEnabled();
    expect(api.inputs('server.restart')).toEqual([{}]);
  });

  it('asks for a restart by hand when Hearth cannot restart itself', async () => {
    const api = freshHearth({ status: () => ok(makeStatus({ canRestart: false })) });
    const { user } = renderWithApi(<Setup onDone={() => {}} />, api);
    await user.click(await screen.findByRole('radio', { name: /^From anywhere/ }));
    await user.type(screen.getByRole('textbox', { name: 'Domain name' }), 'chat.smith.family');
    await user.click(screen.getByRole('button', { name: 'Next' }));
    await user.type(screen.getByRole('textbox', { name: 'Your user name' }), 'mum');

    await user.click(screen.getByRole('button', { name: 'Create my account' }));

    expect(await screen.findByText('The new server name takes effect when Hearth starts again: stop it and start it once more.')).toBeInTheDocument();
    expect(api.inputs('server.restart')).toEqual([]);
  });

  it('opens the dashboard when the admin is done', async () => {
    const onDone = vi.fn();
    const { user } = renderWithApi(<Setup onDone={onDone} />, freshHearth());
    await user.click(await screen.findByRole('button', { name: 'Next' }));
    await user.type(screen.getByRole('textbox', { name: 'Your user name' }), 'mum');
    await user.click(screen.getByRole('button', { name: 'Create my account' }));

    await user.click(await screen.findByRole('button', { name: 'Open the dashboard' }));

    expect(onDone).toHaveBeenCalledOnce();
  });

  it('says that accounts made before setup keep working', async () => {
    renderWithApi(<Setup onDone={() => {}} />, freshHearth({ 'setup.status': () => ok(makeSetupStatus({ registeredUsers: 2 })) }));

    expect(await screen.findByText('2 accounts already exist; they keep working.')).toBeInTheDocument();
  });
});
