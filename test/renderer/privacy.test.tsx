// @vitest-environment jsdom
// The Privacy page (renderer/pages/Privacy.tsx) against an in-memory AdminApi answering with the
// server's own facts (retention-facts.ts) for the settings a test chooses: each thing kept with
// how long and where, what is never kept, the debug-logging warning, and the counts in memory.
import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../server/config/load';
import type { PrivacyFacts } from '../../server/control/contract';
import { retentionFacts } from '../../server/services/privacy/retention-facts';
import Privacy from '../../renderer/pages/Privacy';
import { FakeAdminApi, fail, ok, renderWithApi } from './fake-admin-api';

function factsFor(overrides: Record<string, unknown> = {}, now?: PrivacyFacts['now']): PrivacyFacts {
  const parsed = parseConfig({ domain: 'kitchen-pc', ...overrides }, { dataDir: '/tmp/hearth-privacy-page' });
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  return { ...retentionFacts(parsed.config, now), statementUrl: 'https://kitchen-pc:5281/privacy' };
}

const card = (title: string) => screen.getByRole('heading', { name: title, level: 3 }).closest('li')!;

describe('The Privacy page', () => {
  it('lists each thing Hearth keeps, for how long and where', async () => {
    renderWithApi(<Privacy />, new FakeAdminApi({ 'privacy.facts': () => ok(factsFor({ archive: { retentionDays: 14 } })) }));
    expect(await screen.findByRole('heading', { name: 'What is kept' })).toBeInTheDocument();
    expect(within(card('Message history')).getByText('14 days')).toBeInTheDocument();
    expect(card('Message history')).toHaveTextContent('Stored on this computer');
    expect(card('Message history')).toHaveTextContent('archive.retentionDays');
    expect(within(card('Shared files')).getByText('30 days')).toBeInTheDocument();
    expect(within(card('Failed sign-ins')).getByText('24 hours')).toBeInTheDocument();
    expect(card('Failed sign-ins')).toHaveTextContent('In memory only');
    expect(card('Accounts')).toHaveTextContent('The password itself is never stored');
  });

  it('lists what is never kept', async () => {
    renderWithApi(<Privacy />, new FakeAdminApi({ 'privacy.facts': () => ok(factsFor()) }));
    const section = (await screen.findByRole('heading', { name: 'What is never kept' })).closest('section')!;
    expect(within(section).getAllByRole('listitem').map((li) => li.textContent)).toEqual(factsFor().notKept.map((n) => n.text));
  });

  it('links the public statement everyone can read', async () => {
    renderWithApi(<Privacy />, new FakeAdminApi({ 'privacy.facts': () => ok(factsFor()) }));
    expect(await screen.findByRole('link', { name: 'https://kitchen-pc:5281/privacy' })).toHaveAttribute('href', 'https://kitchen-pc:5281/privacy');
  });

  it('warns while debug logging is on, and not otherwise', async () => {
    const { unmount } = renderWithApi(<Privacy />, new FakeAdminApi({ 'privacy.facts': () => ok(factsFor({ log: { level: 'debug' } })) }));
    expect(await screen.findByText('Debug logging is on')).toBeInTheDocument();
    unmount();
    renderWithApi(<Privacy />, new FakeAdminApi({ 'privacy.facts': () => ok(factsFor()) }));
    await screen.findByRole('heading', { name: 'What is kept' });
    expect(screen.queryByText('Debug logging is on')).not.toBeInTheDocument();
  });

  it('shows how many failed sign-ins and new-account addresses are in memory now', async () => {
    renderWithApi(<Privacy />, new FakeAdminApi({ 'privacy.facts': () => ok(factsFor({}, { failedSignInAddresses: 2, failedSignInAccounts: 1, newAccountAddresses: 0 })) }));
    expect(await screen.findByTestId('privacy-now')).toHaveTextContent('Failed sign-ins from 2 addresses on 1 account; 0 addresses that made an account in the last hour.');
  });

  it('shows the new facts when asked to check again', async () => {
    let days = 7;
    const { user } = renderWithApi(<Privacy />, new FakeAdminApi({ 'privacy.facts': () => ok(factsFor({ archive: { retentionDays: days } })) }));
    expect(await screen.findByTestId('privacy-archive-kept')).toHaveTextContent('7 days');
    days = 3;
    await user.click(screen.getByRole('button', { name: 'Check again' }));
    expect(await screen.findByText('3 days')).toBeInTheDocument();
  });

  it('says so when Hearth does not answer, and tries again', async () => {
    let answers = 0;
    const { user } = renderWithApi(<Privacy />, new FakeAdminApi({ 'privacy.facts': () => (++answers === 1 ? fail('Hearth is not running') : ok(factsFor())) }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Hearth is not running');
    await user.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByRole('heading', { name: 'What is kept' })).toBeInTheDocument();
  });
});
