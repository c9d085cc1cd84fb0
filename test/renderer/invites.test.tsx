// @vitest-environment jsdom
// The Invites page (renderer/pages/Invites.tsx) against an in-memory AdminApi: open invitations
// as QR codes with their links, making one (role, circles, people, days, whose contact), and
// withdrawing one after a confirmation.
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { Circle, Invite } from '../../server/control/contract';
import Invites from '../../renderer/pages/Invites';
import { FakeAdminApi, fail, makeUser, ok, renderWithApi, type Handlers } from './fake-admin-api';

const day = 86_400_000;
const family: Circle = { id: 1, name: 'Family', members: ['mum', 'dad'], groupChat: 'family@conference.kitchen-pc' };
const grandparents: Circle = { id: 2, name: 'Grandparents', members: ['mum'] };

function makeInvite(id: string, overrides: Partial<Invite> = {}): Invite {
  return {
    id,
    kind: 'account',
    role: 'user',
    maxUses: 1,
    uses: 0,
    createdAt: Date.UTC(2026, 0, 1),
    expiresAt: Date.now() + 7 * day,
    circles: [{ id: 1, name: 'Family' }],
    landingUrl: `https://kitchen-pc:5281/invite/Token${id}`,
    uri: `xmpp:kitchen-pc?register;preauth=Token${id}`,
    usable: true,
    ...overrides,
  };
}

/** A Hearth holding these invitations: list, create and revoke work on them. */
function hearthWith(initial: Invite[], overrides: Handlers = {}) {
  const invites = [...initial];
  let next = 100;
  return new FakeAdminApi({
    'invites.list': () => ok(invites.map((i) => ({ ...i }))),
    'invites.create': (input) => {
      const id = `00000000${next++}`.slice(-12);
      const invite = makeInvite(id, {
        role: input.role,
        maxUses: input.uses,
        expiresAt: Date.now() + input.expiresInDays * day,
        circles: [family, grandparents].filter((c) => input.circles.includes(c.id)).map(({ id: cid, name }) => ({ id: cid, name })),
        ...(input.label ? { label: input.label } : {}),
        ...(input.inviter ? { inviter: input.inviter } : {}),
      });
      invites.unshift(invite);
      return ok(invite);
    },
    'invites.revoke': ({ id }) => {
      const index = invites.findIndex((i) => i.id === id);
      if (index < 0) return fail('there is no such invitation (it may have expired and been removed)');
      invites.splice(index, 1);
      return ok({ id });
    },
    'circles.list': () => ok([family, grandparents]),
    'users.list': () => ok([makeUser('mum', { role: 'admin' }), makeUser('dad'), makeUser('kid', { role: 'limited' })]),
    ...overrides,
  });
}

describe('The Invites page', () => {
  it('shows each open invitation as a QR code of its link, with what it is for', async () => {
    renderWithApi(<Invites />, hearthWith([makeInvite('aaaaaaaaaaaa', { label: 'Grandma', inviter: 'mum' })]));

    const card = await screen.findByRole('listitem', { name: /Grandma/ });
    expect(await within(card).findByRole('img', { name: 'QR code of the invitation link: Grandma' })).toHaveAttribute('src', expect.stringMatching(/^data:image\/svg\+xml/));
    expect(within(card).getByRole('textbox', { name: 'Link' })).toHaveValue('https://kitchen-pc:5281/invite/Tokenaaaaaaaaaaaa');
    expect(within(card).getByText('joins Family')).toBeInTheDocument();
    expect(within(card).getByText("becomes mum's contact")).toBeInTheDocument();
    expect(within(card).getByText('for one person')).toBeInTheDocument();
    expect(screen.getByText('1 invitation')).toBeInTheDocument();
  });

  it('lists used and expired invitations apart, without a QR code', async () => {
    renderWithApi(<Invites />, hearthWith([makeInvite('bbbbbbbbbbbb', { label: 'Cousin', uses: 1, usable: false })]));

    const finished = await screen.findByRole('region', { name: 'Used or expired' });
    expect(within(finished).getByText('used up')).toBeInTheDocument();
    expect(within(finished).queryByRole('img')).not.toBeInTheDocument();
    expect(screen.getByText('No open invitations. Make one above.')).toBeInTheDocument();
  });

  it('describes invitations people made in their chat apps', async () => {
    renderWithApi(<Invites />, hearthWith([makeInvite('cccccccccccc', { kind: 'contact', inviter: 'dad', circles: [] })]));
    expect(await screen.findByRole('heading', { name: "dad's invitation" })).toBeInTheDocument();
    expect(screen.getByText("Made in dad's chat app: to become their contact, or make an account here")).toBeInTheDocument();
  });

  it('makes an invitation with every circle ticked by default, and shows it first, marked new', async () => {
    const api = hearthWith([]);
    const { user } = renderWithApi(<Invites />, api);
    await screen.findByText('No open invitations. Make one above.');
    await waitFor(() => expect(screen.getByRole('checkbox', { name: 'Grandparents' })).toBeChecked());

    await user.type(screen.getByRole('textbox', { name: 'Who is it for? (optional)' }), 'Grandma');
    await user.click(screen.getByRole('button', { name: 'Make the invitation' }));

    expect(api.inputs('invites.create')).toEqual([{ role: 'user', uses: 1, expiresInDays: 7, circles: [1, 2], label: 'Grandma' }]);
    const card = await screen.findByRole('listitem', { name: /Grandma/ });
    expect(within(card).getByText('New')).toBeInTheDocument();
    expect(await within(card).findByTestId('invite-qr')).toBeInTheDocument();
  });

  it('makes a group invitation for a child account in one circle, as someone’s contact', async () => {
    const api = hearthWith([]);
    const { user } = renderWithApi(<Invites />, api);
    await screen.findByText('No open invitations. Make one above.');
    await waitFor(() => expect(screen.getByRole('checkbox', { name: 'Family' })).toBeChecked());

    await user.selectOptions(screen.getByRole('combobox', { name: 'Kind of account' }), 'Limited (a child or a guest)');
    expect(screen.getByText('chats only with people on this server and cannot invite anyone.')).toBeInTheDocument();
    await user.click(screen.getByRole('checkbox', { name: 'Grandparents' }));
    expect(within(screen.getByRole('combobox', { name: 'Also the contact of' })).queryByRole('option', { name: 'kid' })).not.toBeInTheDocument();
    await user.selectOptions(screen.getByRole('combobox', { name: 'Also the contact of' }), 'dad');
    await user.clear(screen.getByRole('spinbutton', { name: 'How many people' }));
    await user.type(screen.getByRole('spinbutton', { name: 'How many people' }), '3');
    await user.clear(screen.getByRole('spinbutton', { name: 'Valid for (days)' }));
    await user.type(screen.getByRole('spinbutton', { name: 'Valid for (days)' }), '14');
    await user.click(screen.getByRole('button', { name: 'Make the invitation' }));

    expect(api.inputs('invites.create')).toEqual([{ role: 'limited', uses: 3, expiresInDays: 14, circles: [1], inviter: 'dad' }]);
    expect(await screen.findByText('0 of 3 used')).toBeInTheDocument();
  });

  it('says in plain words what is wrong with the numbers, before asking Hearth', async () => {
    const api = hearthWith([]);
    const { user } = renderWithApi(<Invites />, api);
    await screen.findByText('No open invitations. Make one above.');
    await user.clear(screen.getByRole('spinbutton', { name: 'How many people' }));
    await user.type(screen.getByRole('spinbutton', { name: 'How many people' }), '0');
    await user.click(screen.getByRole('button', { name: 'Make the invitation' }));

    expect(await screen.findByRole('alert')).toHaveTextContent('Enter how many people may use it: a whole number from 1 to 100.');
    expect(api.inputs('invites.create')).toEqual([]);
  });

  it('shows Hearth’s refusal', async () => {
    const api = hearthWith([], { 'invites.create': () => fail('one of the chosen circles does not exist any more') });
    const { user } = renderWithApi(<Invites />, api);
    await screen.findByText('No open invitations. Make one above.');
    await user.click(screen.getByRole('button', { name: 'Make the invitation' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('One of the chosen circles does not exist any more.');
  });

  it('withdraws an invitation after a confirmation', async () => {
    const api = hearthWith([makeInvite('dddddddddddd', { label: 'Uncle Bob' })]);
    const { user } = renderWithApi(<Invites />, api);
    await user.click(await screen.findByRole('button', { name: 'Withdraw Uncle Bob' }));

    const dialog = screen.getByRole('dialog', { name: 'Withdraw Uncle Bob?' });
    expect(dialog).toHaveTextContent('Its link and QR code stop working at once.');
    await user.click(within(dialog).getByRole('button', { name: 'Withdraw' }));

    expect(api.inputs('invites.revoke')).toEqual([{ id: 'dddddddddddd' }]);
    expect(await screen.findByText('Uncle Bob: withdrawn. Its link no longer works.')).toBeInTheDocument();
    expect(screen.queryByRole('listitem', { name: /Uncle Bob/ })).not.toBeInTheDocument();
  });

  it('updates the counts when someone uses an invitation', async () => {
    let uses = 0;
    const api = hearthWith([], { 'invites.list': () => ok([makeInvite('eeeeeeeeeeee', { maxUses: 5, uses })]) });
    renderWithApi(<Invites />, api);
    expect(await screen.findByText('0 of 5 used')).toBeInTheDocument();
    uses = 1;
    api.emit('users.changed', { registeredUsers: 3, onlineUsers: 1 });
    expect(await screen.findByText('1 of 5 used')).toBeInTheDocument();
  });
});
