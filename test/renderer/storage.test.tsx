// @vitest-environment jsdom
// The Storage page (renderer/pages/Storage.tsx) against an in-memory AdminApi: the space the
// uploads take in human units, the limits as a form with its errors at the fields, deleting the
// expired files now, and deleting everything behind a confirmation.
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { StorageOptions, StorageStatus } from '../../server/control/contract';
import Storage from '../../renderer/pages/Storage';
import { FakeAdminApi, fail, ok, renderWithApi, type Handlers } from './fake-admin-api';

const MiB = 1_048_576;
const GiB = 1_073_741_824;
const defaults: StorageOptions = { retentionDays: 30, maxFileSizeBytes: 100 * MiB, userDailyQuotaBytes: GiB, totalQuotaBytes: 10 * GiB };

function storageStatus(overrides: Partial<StorageStatus> = {}): StorageStatus {
  return {
    enabled: true,
    uploadHost: 'upload.kitchen-pc',
    bytesUsed: 1_610_612_736,
    fileCount: 42,
    oldestFileAt: Date.UTC(2026, 2, 3, 12),
    nextExpiryAt: Date.UTC(2026, 3, 2, 12),
    options: defaults,
    ...overrides,
  };
}

function hearthWithStorage(initial: StorageStatus, handlers: Handlers = {}) {
  let current = initial;
  return new FakeAdminApi({
    'storage.status': () => ok(current),
    'storage.setOptions': (change) => {
      const options = { ...current.options };
      for (const [key, value] of Object.entries(change)) if (value !== undefined) options[key as keyof StorageOptions] = value;
      const changed = (Object.keys(options) as Array<keyof StorageOptions>).filter((key) => options[key] !== current.options[key]);
      current = { ...current, options };
      return ok({ ...current, changed });
    },
    'storage.purge': ({ everything }) => {
      const deletedFiles = everything ? current.fileCount : 2;
      const freedBytes = everything ? current.bytesUsed : 5 * MiB;
      current = { ...current, fileCount: current.fileCount - deletedFiles, bytesUsed: current.bytesUsed - freedBytes };
      return ok({ ...current, deletedFiles, freedBytes });
    },
    ...handlers,
  });
}

describe('The Storage page', () => {
  it('shows the space used, the number of files and the oldest file in human units', async () => {
    renderWithApi(<Storage />, hearthWithStorage(storageStatus()));

    expect(await screen.findByTestId('storage-used')).toHaveTextContent('1.5 GB');
    expect(screen.getByTestId('storage-files')).toHaveTextContent('42');
    expect(screen.getByTestId('storage-oldest')).toHaveTextContent(/2026/);
    const space = screen.getByRole('progressbar', { name: 'Space for uploads' });
    expect(space).toHaveAttribute('max', String(10 * GiB));
    expect(space).toHaveAttribute('value', '1610612736');
    expect(screen.getByText(/1\.5 GB of 10 GB used\./)).toBeInTheDocument();
    expect(screen.getByText(/Each file is kept for 30 days/)).toBeInTheDocument();
    expect(screen.getByText('upload.kitchen-pc')).toBeInTheDocument();
  });

  it('shows the limits in the form, sizes in MB or GB', async () => {
    renderWithApi(<Storage />, hearthWithStorage(storageStatus()));

    expect(await screen.findByRole('spinbutton', { name: 'Keep uploaded files for (days)' })).toHaveValue(30);
    expect(screen.getByRole('spinbutton', { name: 'Largest file' })).toHaveValue(100);
    expect(screen.getByRole('combobox', { name: 'Unit of "Largest file"' })).toHaveValue('MB');
    expect(screen.getByRole('spinbutton', { name: 'Each person may upload per day' })).toHaveValue(1);
    expect(screen.getByRole('combobox', { name: 'Unit of "Each person may upload per day"' })).toHaveValue('GB');
    expect(screen.getByRole('spinbutton', { name: 'Space for all uploads together' })).toHaveValue(10);
  });

  it('saves a new retention and size limit in bytes, and says they apply now', async () => {
    const api = hearthWithStorage(storageStatus());
    const { user } = renderWithApi(<Storage />, api);
    const days = await screen.findByRole('spinbutton', { name: 'Keep uploaded files for (days)' });
    await user.clear(days);
    await user.type(days, '14');
    const largest = screen.getByRole('spinbutton', { name: 'Largest file' });
    await user.clear(largest);
    await user.type(largest, '250');
    await user.click(screen.getByRole('button', { name: 'Save limits' }));

    expect(await screen.findByText('Saved. The new limits apply now.')).toBeInTheDocument();
    expect(api.inputs('storage.setOptions')).toEqual([{ retentionDays: 14, maxFileSizeBytes: 250 * MiB, userDailyQuotaBytes: GiB, totalQuotaBytes: 10 * GiB }]);
    expect(screen.getByText(/Each file is kept for 14 days/)).toBeInTheDocument();
  });

  it('sends an untouched size exactly as saved, even when it is not a round number of MB', async () => {
    const odd = { ...defaults, maxFileSizeBytes: 104_857_601 };
    const api = hearthWithStorage(storageStatus({ options: odd }));
    const { user } = renderWithApi(<Storage />, api);
    await user.click(await screen.findByRole('button', { name: 'Save limits' }));

    expect(await screen.findByText('Nothing changed.')).toBeInTheDocument();
    expect(api.inputs('storage.setOptions')[0]).toMatchObject({ maxFileSizeBytes: 104_857_601 });
  });

  it('puts each error at its field and sends nothing', async () => {
    const api = hearthWithStorage(storageStatus());
    const { user } = renderWithApi(<Storage />, api);
    const days = await screen.findByRole('spinbutton', { name: 'Keep uploaded files for (days)' });
    await user.clear(days);
    await user.type(days, '0');
    const largest = screen.getByRole('spinbutton', { name: 'Largest file' });
    await user.clear(largest);
    await user.type(largest, '0.5');
    await user.click(screen.getByRole('button', { name: 'Save limits' }));

    expect(days).toHaveAttribute('aria-invalid', 'true');
    expect(days).toHaveAccessibleDescription(/Keep uploaded files at least 1 day\./);
    expect(days).toHaveFocus();
    expect(largest).toHaveAttribute('aria-invalid', 'true');
    expect(largest).toHaveAccessibleDescription(/The largest file must be at least 1 MB\./);
    expect(api.inputs('storage.setOptions')).toEqual([]);

    await user.clear(days);
    await user.type(days, '7');
    await user.clear(largest);
    await user.type(largest, '20');
    await user.click(screen.getByRole('button', { name: 'Save limits' }));
    expect(await screen.findByText('Saved. The new limits apply now.')).toBeInTheDocument();
    expect(days).not.toHaveAttribute('aria-invalid');
  });

  it("shows the server's reason when the limits do not fit together", async () => {
    const reason = 'the largest file (2 GB) cannot be larger than what each person may upload in a day (1 GB)';
    const api = hearthWithStorage(storageStatus(), { 'storage.setOptions': () => fail(reason) });
    const { user } = renderWithApi(<Storage />, api);
    const largest = await screen.findByRole('spinbutton', { name: 'Largest file' });
    await user.clear(largest);
    await user.type(largest, '2');
    await user.selectOptions(screen.getByRole('combobox', { name: 'Unit of "Largest file"' }), 'GB');
    await user.click(screen.getByRole('button', { name: 'Save limits' }));

    expect(await screen.findByRole('alert')).toHaveTextContent('The largest file (2 GB) cannot be larger than what each person may upload in a day (1 GB).');
    expect(api.inputs('storage.setOptions')[0]).toMatchObject({ maxFileSizeBytes: 2 * GiB });
  });

  it('deletes the expired files now and says what went', async () => {
    const api = hearthWithStorage(storageStatus());
    const { user } = renderWithApi(<Storage />, api);
    await user.click(await screen.findByRole('button', { name: 'Delete expired files now' }));

    expect(await screen.findByText('Deleted 2 files older than 30 days (5 MB).')).toBeInTheDocument();
    expect(api.inputs('storage.purge')).toEqual([{}]);
    expect(screen.getByTestId('storage-files')).toHaveTextContent('40');
  });

  it('says so when no file was old enough to delete', async () => {
    const api = hearthWithStorage(storageStatus(), { 'storage.purge': () => ok({ ...storageStatus(), deletedFiles: 0, freedBytes: 0 }) });
    const { user } = renderWithApi(<Storage />, api);
    await user.click(await screen.findByRole('button', { name: 'Delete expired files now' }));
    expect(await screen.findByText('No file is older than 30 days: nothing was deleted.')).toBeInTheDocument();
  });

  it('deletes every file only after the warning is confirmed', async () => {
    const api = hearthWithStorage(storageStatus());
    const { user } = renderWithApi(<Storage />, api);
    await user.click(await screen.findByRole('button', { name: 'Delete all uploaded files…' }));
    const dialog = screen.getByRole('dialog', { name: 'Delete every uploaded file?' });
    expect(dialog).toHaveTextContent('All 42 files (1.5 GB) are deleted at once');

    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(api.inputs('storage.purge')).toEqual([]);

    await user.click(screen.getByRole('button', { name: 'Delete all uploaded files…' }));
    await user.click(within(screen.getByRole('dialog', { name: 'Delete every uploaded file?' })).getByRole('button', { name: 'Delete all files' }));

    expect(await screen.findByText('Deleted every uploaded file: 42 files (1.5 GB).')).toBeInTheDocument();
    expect(api.inputs('storage.purge')).toEqual([{ everything: true, confirm: true }]);
    expect(screen.getByTestId('storage-used')).toHaveTextContent('0 bytes');
    await waitFor(() => expect(screen.getByRole('button', { name: 'Delete all uploaded files…' })).toBeDisabled());
  });

  it('says when file upload is off', async () => {
    renderWithApi(<Storage />, hearthWithStorage(storageStatus({ enabled: false })));
    expect(await screen.findByText('File upload is off')).toBeInTheDocument();
  });

  it('shows why the status could not be read, with a way to try again', async () => {
    const api = new FakeAdminApi({ 'storage.status': () => fail('Hearth is not running') });
    renderWithApi(<Storage />, api);
    expect(await screen.findByRole('alert')).toHaveTextContent('Hearth is not running');
    expect(screen.getByRole('button', { name: 'Try again' })).toBeInTheDocument();
  });
});
