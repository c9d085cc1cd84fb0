// @vitest-environment jsdom
// The UI's shell (renderer/src/App.tsx) and the sign-in page (renderer/pages/SignIn.tsx): the
// wizard until an admin exists, then the pages behind a navigation bar; the admin link or token.
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import SignIn from '../../renderer/pages/SignIn';
import { App } from '../../renderer/src/App';
import { FakeAdminApi, fail, makeSetupStatus, makeStatus, makeUser, ok, renderWithApi } from './fake-admin-api';

afterEach(() => {
  window.location.hash = '';
});

function hearth(needed: boolean) {
  return new FakeAdminApi({
    'setup.status': () => ok(makeSetupStatus({ needed })),
    status: () => ok(makeStatus()),
    'users.list': () => ok([makeUser('mum', { role: 'admin' })]),
  });
}

describe('The admin UI', () => {
  it('opens the setup wizard while Hearth has no admin', async () => {
    renderWithApi(<App />, hearth(true));

    expect(await screen.findByRole('heading', { name: 'Welcome to Hearth' })).toBeInTheDocument();
    expect(screen.queryByRole('navigation', { name: 'Pages' })).not.toBeInTheDocument();
  });

  it('opens the dashboard, marked in the navigation, once Hearth is set up', async () => {
    renderWithApi(<App />, hearth(false));

    expect(await screen.findByRole('heading', { name: 'Dashboard', level: 1 })).toBeInTheDocument();
    const nav = screen.getByRole('navigation', { name: 'Pages' });
    expect(within(nav).getByRole('link', { name: 'Dashboard' })).toHaveAttribute('aria-current', 'page');
    await waitFor(() => expect(document.title).toBe('Dashboard · Hearth'));
  });

  it('moves to another page from the navigation', async () => {
    const { user } = renderWithApi(<App />, hearth(false));
    const nav = await screen.findByRole('navigation', { name: 'Pages' });

    await user.click(within(nav).getByRole('link', { name: 'Users' }));

    expect(await screen.findByRole('heading', { name: 'Users', level: 1 })).toBeInTheDocument();
    expect(within(nav).getByRole('link', { name: 'Users' })).toHaveAttribute('aria-current', 'page');
    expect(await screen.findByRole('combobox', { name: 'Role of mum' })).toBeInTheDocument();
  });

  it('says Hearth did not answer, and asks again when told to', async () => {
    let answers = 0;
    const api = new FakeAdminApi({
      'setup.status': () => (answers++ === 0 ? fail('Hearth is not answering. Is it still running?') : ok(makeSetupStatus({ needed: true }))),
    });
    const { user } = renderWithApi(<App />, api);

    expect(await screen.findByRole('alert')).toHaveTextContent('Hearth is not answering. Is it still running?');
    await user.click(screen.getByRole('button', { name: 'Try again' }));

    expect(await screen.findByRole('heading', { name: 'Welcome to Hearth' })).toBeInTheDocument();
  });
});

describe('The sign-in page', () => {
  const token = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcd';

  it('refuses text that is neither an admin link nor a token', async () => {
    const onToken = vi.fn();
    const user = userEvent.setup();
    render(<SignIn onToken={onToken} />);

    await user.type(screen.getByRole('textbox', { name: 'Admin link or token' }), 'hello');
    await user.click(screen.getByRole('button', { name: 'Open' }));

    expect(screen.getByRole('alert')).toHaveTextContent('That is not an admin link or token. Copy the whole link that Hearth printed.');
    expect(screen.getByRole('textbox', { name: 'Admin link or token' })).toBeInvalid();
    expect(onToken).not.toHaveBeenCalled();
  });

  it('takes the token out of a pasted admin link', async () => {
    const onToken = vi.fn();
    const user = userEvent.setup();
    render(<SignIn onToken={onToken} />);

    await user.click(screen.getByRole('textbox', { name: 'Admin link or token' }));
    await user.paste(`  http://127.0.0.1:5380/#token=${token}  `);
    await user.click(screen.getByRole('button', { name: 'Open' }));

    expect(onToken).toHaveBeenCalledExactlyOnceWith(token);
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('says why the admin has to sign in again', () => {
    render(<SignIn onToken={() => {}} reason="Hearth did not accept the admin token. Open the link it printed." />);

    expect(screen.getByRole('status')).toHaveTextContent('Hearth did not accept the admin token. Open the link it printed.');
  });
});
