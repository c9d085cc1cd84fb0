// @vitest-environment jsdom
// The dashboard's "Other servers" section (renderer/pages/Dashboard.tsx): links to other XMPP
// servers, the last problem with each, and the warning for allow-listed insecure servers.
import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { FederationStatus } from '../../server/control/contract';
import Dashboard from '../../renderer/pages/Dashboard';
import { FakeAdminApi, makeStatus, ok, renderWithApi } from './fake-admin-api';

function federation(overrides: Partial<FederationStatus> = {}): FederationStatus {
  return { enabled: true, outgoingLinks: 0, incomingLinks: 0, connectedDomains: [], lastErrors: [], insecureDomains: [], ...overrides };
}

describe("The dashboard's other servers", () => {
  it('counts the links and names the servers', async () => {
    const status = makeStatus({ federation: federation({ outgoingLinks: 2, incomingLinks: 1, connectedDomains: ['conversations.im', 'jabber.de'] }) });
    renderWithApi(<Dashboard />, new FakeAdminApi({ status: () => ok(status) }));
    expect(await screen.findByRole('heading', { name: 'Other servers' })).toBeInTheDocument();
    expect(screen.getByTestId('federation-links')).toHaveTextContent('3 links to other servers (2 from Hearth, 1 to it): conversations.im, jabber.de.');
  });

  it('lists the servers that could not be reached, with why', async () => {
    const status = makeStatus({ federation: federation({ lastErrors: [{ domain: 'old-pi.example', error: 'refused: its certificate is self-signed', at: Date.UTC(2030, 0, 2) }] }) });
    renderWithApi(<Dashboard />, new FakeAdminApi({ status: () => ok(status) }));
    const list = await screen.findByRole('list', { name: 'Servers Hearth could not reach or refused' });
    expect(within(list).getByRole('listitem')).toHaveTextContent('old-pi.example: refused: its certificate is self-signed');
    expect(screen.getByTestId('federation-links')).toHaveTextContent('No links to other servers right now');
  });

  it('says when federation is off', async () => {
    renderWithApi(<Dashboard />, new FakeAdminApi({ status: () => ok(makeStatus({ federation: federation({ enabled: false }) })) }));
    expect(await screen.findByText(/Federation is off/)).toBeInTheDocument();
  });

  it('shows the allow-list warning among the things that need attention', async () => {
    const status = makeStatus({
      federation: federation({ insecureDomains: ['old-pi.example'] }),
      warnings: [{ id: 's2s-insecure-domains', severity: 'warning', message: 'Federation accepts invalid certificates … from old-pi.example' }],
    });
    renderWithApi(<Dashboard />, new FakeAdminApi({ status: () => ok(status) }));
    const attention = await screen.findByRole('heading', { name: 'Needs your attention' });
    expect(attention.closest('section')).toHaveTextContent('old-pi.example');
  });
});
