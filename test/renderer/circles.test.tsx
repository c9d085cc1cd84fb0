// @vitest-environment jsdom
// The Circles page (renderer/pages/Circles.tsx) against an in-memory AdminApi: circles with their
// people, making one, adding and taking out people, the group chat switch, renaming and deleting.
import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { Circle } from '../../server/control/contract';
import Circles from '../../renderer/pages/Circles';
import { FakeAdminApi, fail, makeUser, ok, renderWithApi, type Handlers } from './fake-admin-api';

/** A Hearth holding these circles; every circles.* request works on them. */
function hearthWith(initial: Circle[], overrides: Handlers = {}) {
  const circles = initial.map((c) => ({ ...c, members: [...c.members] }));
  let nextId = 10;
  const find = (id: number) => circles.find((c) => c.id === id);
  const copy = (c: Circle) => ({ ...c, members: [...c.members] });
  return new FakeAdminApi({
    'circles.list': () => ok(circles.map(copy)),
    'users.list': () => ok(['mum', 'dad', 'grandma', 'tom'].map((name) => makeUser(name))),
    'circles.create': ({ name, groupChat, members }) => {
      if (circles.some((c) => c.name.toLowerCase() === name.toLowerCase())) return fail(`there is already a circle named ${name}`);
      const circle: Circle = { id: nextId++, name, members, ...(groupChat ? { groupChat: `${name.toLowerCase()}@conference.kitchen-pc` } : {}) };
      circles.push(circle);
      return ok(copy(circle));
    },
    'circles.addMember': ({ id, username }) => {
      const circle = find(id)!;
      circle.members = [...circle.members, username].sort();
      return ok(copy(circle));
    },
    'circles.removeMember': ({ id, username }) => {
      const circle = find(id)!;
      circle.members = circle.members.filter((m) => m !== username);
      return ok(copy(circle));
    },
    'circles.setGroupChat': ({ id, enabled }) => {
      const circle = find(id)!;
      if (enabled) circle.groupChat = `${circle.name.toLowerCase()}@conference.kitchen-pc`;
      else delete circle.groupChat;
      return ok(copy(circle));
    },
    'circles.rename': ({ id, name }) => {
      const circle = find(id)!;
      circle.name = name;
      return ok(copy(circle));
    },
    'circles.delete': ({ id }) => {
      circles.splice(circles.findIndex((c) => c.id === id), 1);
      return ok({ id });
    },
    ...overrides,
  });
}

const family: Circle = { id: 1, name: 'Family', members: ['dad', 'mum'], groupChat: 'family@conference.kitchen-pc' };

describe('The Circles page', () => {
  it('lists each circle with its people and its group chat', async () => {
    renderWithApi(<Circles />, hearthWith([family]));
    const card = await screen.findByRole('listitem', { name: 'Family' });
    const people = within(card).getByRole('list', { name: 'People in Family' });
    expect(within(people).getAllByRole('listitem').map((li) => li.firstChild?.textContent)).toEqual(['dad', 'mum']);
    expect(within(card).getByText('2 people')).toBeInTheDocument();
    expect(within(card).getByRole('checkbox', { name: 'Group chat for the circle' })).toBeChecked();
    expect(within(card).getByText('family@conference.kitchen-pc')).toBeInTheDocument();
  });

  it('says so when there are no circles yet', async () => {
    renderWithApi(<Circles />, hearthWith([]));
    expect(await screen.findByText('No circles yet. Make the first one above, for example "Family".')).toBeInTheDocument();
  });

  it('makes a circle with a group chat unless asked not to', async () => {
    const api = hearthWith([]);
    const { user } = renderWithApi(<Circles />, api);
    await screen.findByText(/No circles yet/);
    await user.type(screen.getByRole('textbox', { name: 'Name' }), 'Grandparents');
    await user.click(screen.getByRole('button', { name: 'Make the circle' }));
    await user.type(screen.getByRole('textbox', { name: 'Name' }), 'Neighbours');
    await user.click(screen.getByRole('checkbox', { name: 'Give it a group chat' }));
    await user.click(screen.getByRole('button', { name: 'Make the circle' }));

    expect(api.inputs('circles.create')).toEqual([
      { name: 'Grandparents', groupChat: true },
      { name: 'Neighbours', groupChat: false },
    ]);
    expect(await screen.findByRole('listitem', { name: 'Neighbours' })).toBeInTheDocument();
    expect(screen.getByText('Neighbours was created.')).toBeInTheDocument();
  });

  it('shows why a circle could not be made', async () => {
    const { user } = renderWithApi(<Circles />, hearthWith([family]));
    await screen.findByRole('listitem', { name: 'Family' });
    await user.type(screen.getByRole('textbox', { name: 'Name' }), 'family');
    await user.click(screen.getByRole('button', { name: 'Make the circle' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('There is already a circle named family.');
  });

  it('adds someone who is not in the circle yet, and takes someone out', async () => {
    const api = hearthWith([family]);
    const { user } = renderWithApi(<Circles />, api);
    const card = await screen.findByRole('listitem', { name: 'Family' });
    const choice = await within(card).findByRole('combobox', { name: 'Add someone to Family' });
    expect(within(choice).getAllByRole('option').map((o) => o.textContent)).toEqual(['grandma', 'tom']);
    await user.selectOptions(choice, 'tom');
    await user.click(within(card).getByRole('button', { name: 'Add' }));
    expect(api.inputs('circles.addMember')).toEqual([{ id: 1, username: 'tom' }]);
    expect(await within(card).findByText('3 people')).toBeInTheDocument();

    await user.click(within(card).getByRole('button', { name: 'Take dad out of Family' }));
    expect(api.inputs('circles.removeMember')).toEqual([{ id: 1, username: 'dad' }]);
    expect(await within(card).findByText('2 people')).toBeInTheDocument();
  });

  it('switches the group chat off and on', async () => {
    const api = hearthWith([family]);
    const { user } = renderWithApi(<Circles />, api);
    const card = await screen.findByRole('listitem', { name: 'Family' });
    await user.click(within(card).getByRole('checkbox', { name: 'Group chat for the circle' }));
    expect(api.inputs('circles.setGroupChat')).toEqual([{ id: 1, enabled: false }]);
    expect(await within(card).findByText(/Switched on, the circle gets a private group chat/)).toBeInTheDocument();
  });

  it('renames a circle in a dialog', async () => {
    const api = hearthWith([family]);
    const { user } = renderWithApi(<Circles />, api);
    const card = await screen.findByRole('listitem', { name: 'Family' });
    await user.click(within(card).getByRole('button', { name: 'Rename' }));
    const dialog = screen.getByRole('dialog', { name: 'Rename Family' });
    const field = within(dialog).getByRole('textbox', { name: 'New name' });
    await user.clear(field);
    await user.type(field, 'The Smiths');
    await user.click(within(dialog).getByRole('button', { name: 'Rename' }));
    expect(api.inputs('circles.rename')).toEqual([{ id: 1, name: 'The Smiths' }]);
    expect(await screen.findByText('The circle is now called The Smiths.')).toBeInTheDocument();
    expect(screen.getByRole('listitem', { name: 'The Smiths' })).toBeInTheDocument();
  });

  it('deletes a circle after saying what happens to contacts and the group chat', async () => {
    const api = hearthWith([family]);
    const { user } = renderWithApi(<Circles />, api);
    await user.click(await screen.findByRole('button', { name: 'Delete Family' }));
    const dialog = screen.getByRole('dialog', { name: 'Delete Family?' });
    expect(dialog).toHaveTextContent('Its people lose the contacts the circle gave them');
    expect(dialog).toHaveTextContent('Its group chat stays, as an ordinary group chat.');
    await user.click(within(dialog).getByRole('button', { name: 'Delete Family' }));
    expect(api.inputs('circles.delete')).toEqual([{ id: 1 }]);
    expect(await screen.findByText('Family was deleted.')).toBeInTheDocument();
    expect(screen.queryByRole('listitem', { name: 'Family' })).not.toBeInTheDocument();
  });
});
