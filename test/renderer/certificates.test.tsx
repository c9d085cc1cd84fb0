// @vitest-environment jsdom
// The Certificates page (renderer/pages/Certificates.tsx) against an in-memory AdminApi: the
// certificate in use with its fingerprint and QR code, which apps accept it, an ACME request
// followed step by step from the live `certs` event, import with its errors, and a new
// self-signed certificate behind a confirmation.
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { AcmeJob, CertificateStatus } from '../../server/control/contract';
import Certificates from '../../renderer/pages/Certificates';
import { domain, FakeAdminApi, fail, ok, renderWithApi, type Handlers } from './fake-admin-api';

const fingerprint = Array.from({ length: 32 }, (_, i) => (i * 7).toString(16).padStart(2, '0').toUpperCase()).join(':');

function certStatus(overrides: Partial<CertificateStatus> = {}): CertificateStatus {
  const now = Date.now();
  return {
    domain,
    source: 'self-signed',
    certificate: {
      subject: domain,
      issuer: `${domain} (self-signed)`,
      names: [domain, `conference.${domain}`, `upload.${domain}`, `proxy.${domain}`],
      notBefore: now - 86_400_000,
      notAfter: now + 800 * 86_400_000,
      fingerprintSha256: fingerprint,
      serialNumber: '01',
      chainLength: 1,
    },
    trust: 'self-signed',
    state: 'valid',
    daysLeft: 800,
    hosts: [
      { name: domain, role: 'domain', covered: true },
      { name: `conference.${domain}`, role: 'conference', covered: true },
      { name: `upload.${domain}`, role: 'upload', covered: true },
      { name: `proxy.${domain}`, role: 'proxy', covered: false },
    ],
    clients: [
      { client: 'Conversations', platform: 'Android', verdict: 'asks', note: 'Shows a self-signed certificate once.' },
      { client: 'Monal', platform: 'iPhone, Mac', verdict: 'refuses', note: 'Refuses self-signed certificates.' },
    ],
    renewal: { automatic: true, renewAt: now + 770 * 86_400_000, failures: 0 },
    ports: { http: 5280, https: 5281, c2sTls: 5223 },
    dnsHook: false,
    warnings: [{ id: 'self-signed-certificate', severity: 'warning', message: 'Hearth uses a self-signed certificate.' }],
    ...overrides,
  };
}

function job(overrides: Partial<AcmeJob> = {}): AcmeJob {
  return {
    id: 1,
    state: 'running',
    renewal: false,
    directoryUrl: 'https://acme-v02.api.letsencrypt.org/directory',
    challenge: 'dns-01',
    names: [domain],
    startedAt: Date.now(),
    steps: [
      { id: 'directory', label: 'Contacting the certificate authority', state: 'done' },
      { id: 'dns-check', label: 'Waiting until the TXT records can be seen in DNS', state: 'active' },
    ],
    ...overrides,
  };
}

function hearth(handlers: Handlers = {}, initial = certStatus()) {
  return new FakeAdminApi({ 'certs.status': () => ok(initial), ...handlers });
}

describe('the Certificates page', () => {
  it('shows the certificate in use, its names, its fingerprint as text and QR code, and who accepts it', async () => {
    renderWithApi(<Certificates />, hearth());
    expect(await screen.findByRole('heading', { name: 'The certificate in use' })).toBeInTheDocument();
    expect(screen.getByText('Self-signed, made by Hearth')).toBeInTheDocument();
    expect(screen.getByRole('textbox', { name: 'Fingerprint (SHA-256)' })).toHaveValue(fingerprint);
    expect(await screen.findByRole('img', { name: 'QR code of the fingerprint' })).toHaveAttribute('src', expect.stringMatching(/^data:image\/svg\+xml/));
    const names = screen.getByRole('list', { name: 'Names the certificate covers' });
    expect(within(names).getByText(`proxy.${domain}`).closest('li')).toHaveTextContent('not covered');
    const monal = screen.getByRole('row', { name: /Monal/ });
    expect(within(monal).getByText('Refuses it')).toBeInTheDocument();
    expect(screen.getByTestId('cert-expiry')).toHaveTextContent('800 days left');
  });

  it('asks Let’s Encrypt only after the terms are agreed to, then follows the steps and shows the TXT record', async () => {
    const api = hearth({
      'certs.acme.request': () => ok(certStatus({ job: job({ steps: [] }) })),
    });
    const { user } = renderWithApi(<Certificates />, api);
    await screen.findByRole('heading', { name: 'Get a certificate from Let’s Encrypt' });
    await user.click(screen.getByRole('radio', { name: /Through DNS \(DNS-01\)/ }));
    await user.click(screen.getByRole('checkbox', { name: `upload.${domain}` }));
    await user.type(screen.getByRole('textbox', { name: 'E-mail for expiry notices (optional)' }), 'mum@example.org');
    await user.click(screen.getByRole('button', { name: 'Get the certificate' }));
    // The contract refuses it, as the server would.
    expect(await screen.findByRole('alert')).toHaveTextContent("Agree to the certificate authority's terms of service to ask it for a certificate.");

    await user.click(screen.getByRole('checkbox', { name: /I agree to the certificate authority’s terms/ }));
    await user.click(screen.getByRole('button', { name: 'Get the certificate' }));
    await waitFor(() => expect(api.inputs('certs.acme.request')).toHaveLength(2));
    expect(api.inputs('certs.acme.request')[1]).toEqual({
      directoryUrl: 'https://acme-v02.api.letsencrypt.org/directory',
      challenge: 'dns-01',
      email: 'mum@example.org',
      names: [domain, `conference.${domain}`, `proxy.${domain}`],
      agreeToTerms: true,
    });

    api.emit('certs', certStatus({ job: job({ dnsRecords: [{ name: `_acme-challenge.${domain}`, type: 'TXT', value: 'abcDEF123_-', visible: false }] }) }));
    const progress = screen.getByTestId('acme-progress');
    expect(within(progress).getByText('Getting the certificate')).toBeInTheDocument();
    expect(within(progress).getByText('Waiting until the TXT records can be seen in DNS')).toBeInTheDocument();
    expect(within(progress).getByText('(in progress)')).toBeInTheDocument();
    expect(within(progress).getByRole('textbox', { name: 'TXT record value' })).toHaveValue('abcDEF123_-');
    expect(screen.getByRole('button', { name: 'Cancel' })).toBeInTheDocument();

    api.emit(
      'certs',
      certStatus({
        job: job({ state: 'failed', error: 'The certificate authority found no TXT record _acme-challenge.kitchen-pc.', steps: [{ id: 'dns-check', label: 'Waiting until the TXT records can be seen in DNS', state: 'failed' }] }),
      }),
    );
    expect(screen.getByRole('alert')).toHaveTextContent('The certificate authority found no TXT record');
    expect(screen.queryByRole('button', { name: 'Cancel' })).not.toBeInTheDocument();
  });

  it('imports a pasted certificate and key, and shows why one was refused', async () => {
    let attempts = 0;
    const api = hearth({
      'certs.import': () => (++attempts === 1 ? fail('the private key does not belong to this certificate') : ok({ ...certStatus({ source: 'imported', trust: 'public', warnings: [] }), notes: ['It does not cover proxy.kitchen-pc.'] })),
    });
    const { user } = renderWithApi(<Certificates />, api);
    await screen.findByRole('heading', { name: 'Import a certificate' });
    await user.click(screen.getByRole('textbox', { name: 'Certificate (and chain)' }));
    await user.paste('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----');
    await user.click(screen.getByRole('textbox', { name: 'Private key' }));
    await user.paste('-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----');
    await user.click(screen.getByRole('button', { name: 'Check and use it' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('The private key does not belong to this certificate.');

    await user.click(screen.getByRole('button', { name: 'Check and use it' }));
    expect(await screen.findByText('Imported: every listener uses it now')).toBeInTheDocument();
    expect(screen.getByText('It does not cover proxy.kitchen-pc.')).toBeInTheDocument();
    expect(screen.getByText('Imported')).toBeInTheDocument();
    expect(api.inputs('certs.import')[0]).toEqual({ certificate: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----', key: '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----' });
  });

  it('makes a new self-signed certificate only after a confirmation', async () => {
    const api = hearth({ 'certs.selfSigned': () => ok(certStatus({ certificate: { ...certStatus().certificate, fingerprintSha256: 'AA:BB' } })) });
    const { user } = renderWithApi(<Certificates />, api);
    await user.click(await screen.findByRole('button', { name: 'Make a new self-signed certificate…' }));
    const dialog = screen.getByRole('dialog', { name: 'Make a new self-signed certificate?' });
    expect(api.inputs('certs.selfSigned')).toHaveLength(0);
    await user.click(within(dialog).getByRole('button', { name: 'Make a new one' }));
    await waitFor(() => expect(screen.getByRole('textbox', { name: 'Fingerprint (SHA-256)' })).toHaveValue('AA:BB'));
  });

  it('says so and offers no changes when the certificate comes from the configuration', async () => {
    renderWithApi(<Certificates />, hearth({}, certStatus({ source: 'files', configuredFiles: { certFile: '/etc/hearth/fullchain.pem', keyFile: '/etc/hearth/privkey.pem' }, renewal: { automatic: false, failures: 0 } })));
    expect(await screen.findByText(/The certificate comes from the files set in the configuration \(\/etc\/hearth\/fullchain\.pem\)/)).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Get the certificate' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Check and use it' })).not.toBeInTheDocument();
  });
});
