// @vitest-environment jsdom
// The Users page (renderer/pages/Users.tsx) against an in-memory AdminApi: the list, adding
// someone, roles, password resets, and removing someone after a confirmation.
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { User } from '../../server/control/contract';
import Users from '../../renderer/pages/Users';
import { FakeAdminApi, fail, makeUser, ok, renderWithApi, type Handlers } from './fake-admin-api';

const generated = 'tulip-orbit-canvas-mellow';

/** A Hearth holding these accounts: list, add, remove, set role and password work on them. */
function hearthWith(initial: User[], overrides: Handlers = {}) {
  const users = [...initial];
  return new FakeAdminApi({
    'users.list': () => ok(users.map((u) => ({ ...u }))),
    'users.add': ({ username, role, password }) => {
      if (users.some((u) => u.username === username)) return fail(`there is already a user named ${username}`);
      const user = makeUser(username, { role });
      users.push(user);
      return ok({ user, ...(password === undefined ? { generatedPassword: generated } : {}) });
    },
    'users.remove': ({ username }) => {
      const index = users.findIndex((u) => u.username === username);
      if (index < 0) return fail(`there is no user named ${username}`);
      users.splice(index, 1);
      return ok({ username });
    },
    'users.setRole': ({ username, role }) => {
      const user = users.find((u) => u.username === username)!;
      user.role = role;
      return ok({ user: { ...user } });
    },
    'users.setPassword': ({ username, password }) => ok({ username, ...(password === undefined ? { generatedPassword: generated } : {}) }),
    ...overrides,
  });
}

const family = [makeUser('mum', { role: 'admin', online: true, devices: 2 }), makeUser('grandma')];

describe('The Users page', () => {
  it('lists everyone from users.list with their role and whether they are online', async () => {
    renderWithApi(<Users />, hearthWith(family));

    const table = await screen.findByRole('table');
    expect(within(table).getAllByRole('row')).toHaveLength(3);
    expect(screen.getByText('2 accounts')).toBeInTheDocument();
    expect(screen.getByRole('combobox', { name: 'Role of mum' })).toHaveValue('admin');
    expect(screen.getByRole('combobox', { name: 'Role of grandma' })).toHaveValue('user');
    expect(within(table).getByText('Online on 2 devices')).toBeInTheDocument();
    expect(within(table).getByText('Offline')).toBeInTheDocument();
  });

  it('says there are no accounts yet when the list is empty', async () => {
    renderWithApi(<Users />, hearthWith([]));

    expect(await screen.findByText('No accounts yet. Add the first one above.')).toBeInTheDocument();
    expect(screen.queryByRole('table')).not.toBeInTheDocument();
  });

  it('shows why the list could not be loaded and tries again when asked', async () => {
    let answers = 0;
    const api = hearthWith(family, { 'users.list': () => (answers++ === 0 ? fail('Hearth is not answering. Is it still running?') : ok(family)) });
    const { user } = renderWithApi(<Users />, api);

    expect(await screen.findByRole('alert')).toHaveTextContent('Hearth is not answering. Is it still running?');
    await user.click(screen.getByRole('button', { name: 'Try again' }));

    expect(await screen.findByRole('table')).toBeInTheDocument();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('adds a user with the typed name and the chosen role', async () => {
    const api = hearthWith(family);
    const { user } = renderWithApi(<Users />, api);
    await screen.findByRole('table');

    await user.type(screen.getByRole('textbox', { name: 'User name' }), 'tom');
    await user.selectOptions(screen.getByRole('combobox', { name: 'Role' }), 'Limited');
    await user.click(screen.getByRole('button', { name: 'Add user' }));

    await screen.findByText('tom@kitchen-pc can sign in now');
    expect(api.inputs('users.add')).toEqual([{ username: 'tom', role: 'limited' }]);
  });

  it('shows the generated password once, until the admin hides it', async () => {
    const { user } = renderWithApi(<Users />, hearthWith(family));
    await screen.findByRole('table');

    await user.type(screen.getByRole('textbox', { name: 'User name' }), 'tom');
    await user.click(screen.getByRole('button', { name: 'Add user' }));

    expect(await screen.findByRole('textbox', { name: 'Password for tom' })).toHaveValue(generated);
    expect(screen.getByText('Give them their address and this password. It is shown only this once.')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Done, hide the password' }));
    expect(screen.queryByRole('textbox', { name: 'Password for tom' })).not.toBeInTheDocument();
    expect(screen.queryByText(generated)).not.toBeInTheDocument();
  });

  it('puts the new user in the list and empties the form', async () => {
    const { user } = renderWithApi(<Users />, hearthWith(family));
    await screen.findByRole('table');

    await user.type(screen.getByRole('textbox', { name: 'User name' }), 'tom');
    await user.click(screen.getByRole('button', { name: 'Add user' }));

    expect(await screen.findByRole('combobox', { name: 'Role of tom' })).toHaveValue('user');
    expect(screen.getByText('3 accounts')).toBeInTheDocument();
    expect(screen.getByRole('textbox', { name: 'User name' })).toHaveValue('');
  });

  it('sends the typed password when the admin chooses one, and shows none back', async () => {
    const api = hearthWith(family);
    const { user } = renderWithApi(<Users />, api);
    await screen.findByRole('table');

    await user.type(screen.getByRole('textbox', { name: 'User name' }), 'tom');
    await user.click(screen.getByRole('radio', { name: 'Type one' }));
    await user.type(screen.getByLabelText('New password'), 'a long secret');
    await user.click(screen.getByRole('button', { name: 'Add user' }));

    expect(await screen.findByText('Give them their address and the password you chose.')).toBeInTheDocument();
    expect(api.inputs('users.add')).toEqual([{ username: 'tom', role: 'user', password: 'a long secret' }]);
    expect(screen.queryByRole('textbox', { name: 'Password for tom' })).not.toBeInTheDocument();
  });

  it('shows the server’s error in an alert and keeps what was typed', async () => {
    const { user } = renderWithApi(<Users />, hearthWith(family));
    await screen.findByRole('table');

    const name = screen.getByRole('textbox', { name: 'User name' });
    await user.type(name, 'mum');
    await user.click(screen.getByRole('button', { name: 'Add user' }));

    // The fake refuses a duplicate the way Hearth words it.
    expect(await screen.findByRole('alert')).toHaveTextContent('There is already a user named mum.');
    expect(name).toHaveValue('mum');
    expect(name).toBeInvalid();
  });

  it('asks for confirmation and removes nobody when the admin cancels', async () => {
    const api = hearthWith(family);
    const { user } = renderWithApi(<Users />, api);
    await screen.findByRole('table');

    await user.click(screen.getByRole('button', { name: 'Remove grandma' }));
    const dialog = screen.getByRole('dialog', { name: 'Remove grandma?' });
    expect(dialog).toHaveAccessibleDescription(/grandma@kitchen-pc will be deleted .* This cannot be undone\./);
    expect(api.inputs('users.remove')).toEqual([]);

    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(api.inputs('users.remove')).toEqual([]);
    expect(screen.getByRole('combobox', { name: 'Role of grandma' })).toBeInTheDocument();
  });

  it('removes someone once the admin confirms, and says so', async () => {
    const api = hearthWith(family);
    const { user } = renderWithApi(<Users />, api);
    await screen.findByRole('table');

    await user.click(screen.getByRole('button', { name: 'Remove grandma' }));
    await user.click(within(screen.getByRole('dialog', { name: 'Remove grandma?' })).getByRole('button', { name: 'Remove grandma' }));

    expect(await screen.findByText('grandma@kitchen-pc was removed.')).toBeInTheDocument();
    expect(api.inputs('users.remove')).toEqual([{ username: 'grandma' }]);
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    await waitFor(() => expect(screen.queryByRole('combobox', { name: 'Role of grandma' })).not.toBeInTheDocument());
  });

  it('shows why a removal was refused inside the dialog', async () => {
    const api = hearthWith(family, { 'users.remove': ({ username }) => fail(`${username} is the only admin: make someone else an admin first`) });
    const { user } = renderWithApi(<Users />, api);
    await screen.findByRole('table');

    await user.click(screen.getByRole('button', { name: 'Remove mum' }));
    const dialog = screen.getByRole('dialog', { name: 'Remove mum?' });
    await user.click(within(dialog).getByRole('button', { name: 'Remove mum' }));

    expect(await within(dialog).findByRole('alert')).toHaveTextContent('Mum is the only admin: make someone else an admin first.');
    expect(screen.getByRole('combobox', { name: 'Role of mum' })).toBeInTheDocument();
  });

  it('forgets a refused removal once the dialog is cancelled', async () => {
    const api = hearthWith(family, { 'users.remove': ({ username }) => fail(`${username} is the only admin: make someone else an admin first`) });
    const { user } = renderWithApi(<Users />, api);
    await screen.findByRole('table');

    await user.click(screen.getByRole('button', { name: 'Remove mum' }));
    const first = screen.getByRole('dialog', { name: 'Remove mum?' });
    await user.click(within(first).getByRole('button', { name: 'Remove mum' }));
    await within(first).findByRole('alert');
    await user.click(within(first).getByRole('button', { name: 'Cancel' }));

    await user.click(screen.getByRole('button', { name: 'Remove grandma' }));
    const second = screen.getByRole('dialog', { name: 'Remove grandma?' });
    expect(within(second).queryByRole('alert')).not.toBeInTheDocument();
  });

  it('changes a role from the list and says so', async () => {
    const api = hearthWith(family);
    const { user } = renderWithApi(<Users />, api);
    await screen.findByRole('table');

    await user.selectOptions(screen.getByRole('combobox', { name: 'Role of grandma' }), 'Admin');

    expect(await screen.findByText('grandma is now admin.')).toBeInTheDocument();
    expect(api.inputs('users.setRole')).toEqual([{ username: 'grandma', role: 'admin' }]);
    expect(screen.getByRole('combobox', { name: 'Role of grandma' })).toHaveValue('admin');
  });

  it('resets a password and shows the new one in the dialog', async () => {
    const api = hearthWith(family);
    const { user } = renderWithApi(<Users />, api);
    await screen.findByRole('table');

    await user.click(screen.getByRole('button', { name: 'Reset the password of grandma' }));
    const dialog = screen.getByRole('dialog', { name: 'New password for grandma' });
    await user.click(within(dialog).getByRole('button', { name: 'Set new password' }));

    expect(await within(dialog).findByRole('textbox', { name: 'New password for grandma' })).toHaveValue(generated);
    expect(api.inputs('users.setPassword')).toEqual([{ username: 'grandma' }]);
  });

  it('loads the list again when users.changed arrives', async () => {
    const users = [...family];
    const api = new FakeAdminApi({ 'users.list': () => ok([...users]) });
    renderWithApi(<Users />, api);
    await screen.findByText('2 accounts');

    users.push(makeUser('tom', { online: true, devices: 1 }));
    api.emit('users.changed', { registeredUsers: 3, onlineUsers: 2 });

    expect(await screen.findByText('3 accounts')).toBeInTheDocument();
    expect(screen.getByRole('combobox', { name: 'Role of tom' })).toBeInTheDocument();
  });
});
