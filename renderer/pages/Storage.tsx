// The Storage page: the photos, videos, voice messages and files people send in chats (uploaded
// to Hearth with XEP-0363). It shows how much space they take, deletes the files past their time
// (or, after a warning, all of them), and sets how long files stay and how big they may be. The
// limits apply at once; they are saved in the config file's `upload` section.
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { storageOptionsChangeSchema, type StorageOptions, type StorageStatus } from '../../server/control/contract';
import { capitalize, useAction, useApi, useRequest } from '../src/api';
import { Alert, Button, Dialog, Loading, PageTitle } from '../src/components';
import { formatBytes, formatDate } from '../src/format';

export default function Storage() {
  const initial = useRequest('storage.status', {});
  const [fresh, setFresh] = useState<StorageStatus | undefined>();
  const status = fresh ?? initial.data;

  if (!status) {
    return (
      <>
        <PageTitle>Storage</PageTitle>
        {initial.error ? (
          <Alert kind="error" action={<Button variant="secondary" onClick={initial.reload}>Try again</Button>}>
            {initial.error}
          </Alert>
        ) : (
          <Loading label="Asking Hearth about its storage…" />
        )}
      </>
    );
  }

  return (
    <>
      <PageTitle>Storage</PageTitle>
      <p className="lead">
        Photos, videos, voice messages and files that people send in their chats are uploaded to Hearth, and the others download them from here. Each
        file is kept for {status.options.retentionDays === 1 ? '1 day' : `${status.options.retentionDays} days`}; then it is deleted and its link in
        the chat stops working. Apps find the upload service (<span className="mono">{status.uploadHost}</span>) by themselves.
      </p>
      {!status.enabled && (
        <Alert kind="info" title="File upload is off">
          Apps cannot upload new files (<span className="mono">upload.enabled</span> is false in the config file). Files already uploaded are still
          shown and deleted on time.
        </Alert>
      )}
      <Usage status={status} onStatus={setFresh} />
      <Limits status={status} onStatus={setFresh} />
    </>
  );
}

function Usage({ status, onStatus }: { status: StorageStatus; onStatus(status: StorageStatus): void }) {
  const api = useApi();
  const expire = useAction();
  const wipe = useAction();
  const id = useId();
  const [note, setNote] = useState<string | undefined>();
  const [confirming, setConfirming] = useState(false);
  const days = status.options.retentionDays;
  const total = status.options.totalQuotaBytes;

  const deleteExpired = async () => {
    setNote(undefined);
    const result = await expire.run(() => api.request('storage.purge', {}));
    if (!result) return;
    onStatus(result);
    setNote(
      result.deletedFiles === 0
        ? `No file is older than ${days} days: nothing was deleted.`
        : `Deleted ${result.deletedFiles === 1 ? '1 file' : `${result.deletedFiles} files`} older than ${days} days (${formatBytes(result.freedBytes)}).`,
    );
  };
  const deleteAll = async () => {
    setNote(undefined);
    const result = await wipe.run(() => api.request('storage.purge', { everything: true, confirm: true }));
    setConfirming(false);
    if (!result) return;
    onStatus(result);
    setNote(`Deleted every uploaded file: ${result.deletedFiles === 1 ? '1 file' : `${result.deletedFiles} files`} (${formatBytes(result.freedBytes)}).`);
  };

  return (
    <section className="section" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>Uploaded files</h2>
      <dl className="stats storage-stats" aria-live="polite">
        <div className="stat">
          <dt>Space used</dt>
          <dd data-testid="storage-used">{formatBytes(status.bytesUsed)}</dd>
        </div>
        <div className="stat">
          <dt>Files</dt>
          <dd data-testid="storage-files">{status.fileCount}</dd>
        </div>
        <div className="stat">
          <dt>Oldest file</dt>
          <dd data-testid="storage-oldest" className="stat-small">
            {status.oldestFileAt !== undefined ? formatDate(status.oldestFileAt) : 'None yet'}
          </dd>
        </div>
      </dl>
      <div className="card storage-card">
        <label htmlFor={`${id}-space`}>Space for uploads</label>
        <progress id={`${id}-space`} className="storage-space" max={total} value={Math.min(status.bytesUsed, total)} aria-describedby={`${id}-space-text`}>
          {formatBytes(status.bytesUsed)} of {formatBytes(total)}
        </progress>
        <p className="hint" id={`${id}-space-text`}>
          {formatBytes(status.bytesUsed)} of {formatBytes(total)} used.
          {status.nextExpiryAt !== undefined && <> The oldest file is deleted on {formatDate(status.nextExpiryAt)}.</>}
        </p>
        <div className="actions">
          <Button variant="secondary" onClick={deleteExpired} pending={expire.pending} pendingLabel="Deleting…">
            Delete expired files now
          </Button>
          <Button variant="danger" onClick={() => setConfirming(true)} disabled={status.fileCount === 0}>
            Delete all uploaded files…
          </Button>
        </div>
        <p className="hint">Hearth deletes files older than {days} days by itself, every hour; the button does it now.</p>
        {expire.error && <Alert kind="error">{expire.error}</Alert>}
        {wipe.error && <Alert kind="error">{wipe.error}</Alert>}
        <div aria-live="polite">{note && <Alert kind="success">{note}</Alert>}</div>
      </div>
      <Dialog open={confirming} title="Delete every uploaded file?" onClose={() => setConfirming(false)} describedBy={`${id}-wipe-warning`}>
        <div id={`${id}-wipe-warning`}>
          <p>
            All {status.fileCount === 1 ? 'of the 1 file' : `${status.fileCount} files`} ({formatBytes(status.bytesUsed)}) are deleted at once, also the
            new ones. Their links in chats stop working: nobody can open those photos and files again unless they saved them.
          </p>
          <p>Messages are not deleted.</p>
        </div>
        <div className="actions">
          <Button variant="danger" onClick={deleteAll} pending={wipe.pending} pendingLabel="Deleting…">
            Delete all files
          </Button>
          <Button variant="secondary" onClick={() => setConfirming(false)} disabled={wipe.pending}>
            Cancel
          </Button>
        </div>
      </Dialog>
    </section>
  );
}

type OptionKey = keyof StorageOptions;
type SizeUnit = 'MB' | 'GB';
const unitBytes: Record<SizeUnit, number> = { MB: 1_048_576, GB: 1_073_741_824 };

interface SizeDraft {
  amount: string;
  unit: SizeUnit;
  /** The saved value: sent as it is while the field is untouched, so rounding for display changes nothing. */
  bytes: number;
  shown: { amount: string; unit: SizeUnit };
}

const roundTo2 = (value: number) => Math.round(value * 100) / 100;

/** In GB when it is a simple number of them (10 GB, 1.5 GB), else in MB. */
function sizeDraft(bytes: number): SizeDraft {
  const inGb = roundTo2(bytes / unitBytes.GB);
  const shown = bytes >= unitBytes.GB && Math.round(inGb * unitBytes.GB) === bytes ? { amount: String(inGb), unit: 'GB' as const } : { amount: String(roundTo2(bytes / unitBytes.MB)), unit: 'MB' as const };
  return { ...shown, bytes, shown };
}

function draftBytes(draft: SizeDraft): number {
  if (draft.amount === draft.shown.amount && draft.unit === draft.shown.unit) return draft.bytes;
  const amount = typedNumber(draft.amount);
  return typeof amount === 'number' ? Math.round(amount * unitBytes[draft.unit]) : amount;
}

/** A typed number, or the text as typed (so the contract's check explains what is wrong with it). */
function typedNumber(text: string): number {
  const value = text.trim() === '' ? Number.NaN : Number(text.replace(',', '.'));
  return (Number.isFinite(value) ? value : text) as number;
}

const sizeFields: Array<{ key: Exclude<OptionKey, 'retentionDays'>; label: string; hint: string }> = [
  { key: 'maxFileSizeBytes', label: 'Largest file', hint: 'Apps say a bigger file is too large before they send it.' },
  { key: 'userDailyQuotaBytes', label: 'Each person may upload per day', hint: 'Counted over the last 24 hours; it stops one phone from filling the disk.' },
  { key: 'totalQuotaBytes', label: 'Space for all uploads together', hint: "When it is full, new uploads wait until old files are deleted. Keep it below the computer's free disk space." },
];

function Limits({ status, onStatus }: { status: StorageStatus; onStatus(status: StorageStatus): void }) {
  const api = useApi();
  const action = useAction();
  const id = useId();
  const form = useRef<HTMLFormElement>(null);
  const [days, setDays] = useState('');
  const [sizes, setSizes] = useState<Record<Exclude<OptionKey, 'retentionDays'>, SizeDraft> | undefined>();
  const [errors, setErrors] = useState<Partial<Record<OptionKey, string>>>({});
  const [note, setNote] = useState<string | undefined>();
  const { options } = status;

  useEffect(() => {
    setDays(String(options.retentionDays));
    setSizes({
      maxFileSizeBytes: sizeDraft(options.maxFileSizeBytes),
      userDailyQuotaBytes: sizeDraft(options.userDailyQuotaBytes),
      totalQuotaBytes: sizeDraft(options.totalQuotaBytes),
    });
  }, [options.retentionDays, options.maxFileSizeBytes, options.userDailyQuotaBytes, options.totalQuotaBytes]);

  if (!sizes) return null;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setNote(undefined);
    const change: Record<OptionKey, number> = {
      retentionDays: typedNumber(days),
      maxFileSizeBytes: 0,
      userDailyQuotaBytes: 0,
      totalQuotaBytes: 0,
    };
    for (const { key } of sizeFields) change[key] = draftBytes(sizes[key]);
    // The contract's own checks, field by field, so each message appears at its field.
    const found: Partial<Record<OptionKey, string>> = {};
    for (const key of Object.keys(change) as OptionKey[]) {
      const checked = storageOptionsChangeSchema.shape[key].safeParse(change[key]);
      if (!checked.success) found[key] = capitalize(checked.error.issues[0]?.message ?? 'this value cannot be used');
    }
    setErrors(found);
    const firstInvalid = (Object.keys(change) as OptionKey[]).find((key) => found[key]);
    if (firstInvalid) {
      form.current?.querySelector<HTMLInputElement>(`[data-option="${firstInvalid}"]`)?.focus();
      return;
    }
    const result = await action.run(() => api.request('storage.setOptions', change));
    if (!result) return;
    onStatus(result);
    setNote(result.changed.length === 0 ? 'Nothing changed.' : 'Saved. The new limits apply now.');
  };

  const describe = (key: OptionKey) => `${id}-${key}-hint${errors[key] ? ` ${id}-${key}-error` : ''}`;
  const fieldError = (key: OptionKey) =>
    errors[key] && (
      <p className="field-error" id={`${id}-${key}-error`}>
        {errors[key]}
      </p>
    );

  return (
    <section className="section" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>Limits</h2>
      <form ref={form} onSubmit={submit} noValidate className="card settings-form">
        <div className="field">
          <label htmlFor={`${id}-days`}>Keep uploaded files for (days)</label>
          <input
            id={`${id}-days`}
            data-option="retentionDays"
            type="number"
            inputMode="numeric"
            min={1}
            max={3650}
            value={days}
            onChange={(e) => setDays(e.target.value)}
            aria-invalid={errors.retentionDays ? true : undefined}
            aria-describedby={describe('retentionDays')}
            className="narrow"
          />
          <p className="hint" id={`${id}-retentionDays-hint`}>
            Then a file is deleted and its link stops working. People who want to keep a photo save it on their phone.
          </p>
          {fieldError('retentionDays')}
        </div>

        {sizeFields.map(({ key, label, hint }) => (
          <div className="field" key={key}>
            <label htmlFor={`${id}-${key}`}>{label}</label>
            <div className="size-row">
              <input
                id={`${id}-${key}`}
                data-option={key}
                type="number"
                inputMode="decimal"
                min={1}
                step="any"
                value={sizes[key].amount}
                onChange={(e) => setSizes({ ...sizes, [key]: { ...sizes[key], amount: e.target.value } })}
                aria-invalid={errors[key] ? true : undefined}
                aria-describedby={describe(key)}
                className="narrow"
              />
              <select
                aria-label={`Unit of "${label}"`}
                value={sizes[key].unit}
                onChange={(e) => setSizes({ ...sizes, [key]: { ...sizes[key], unit: e.target.value as SizeUnit } })}
              >
                <option value="MB">MB</option>
                <option value="GB">GB</option>
              </select>
            </div>
            <p className="hint" id={`${id}-${key}-hint`}>
              {hint}
            </p>
            {fieldError(key)}
          </div>
        ))}

        {action.error && <Alert kind="error">{action.error}</Alert>}
        <div aria-live="polite">{note && !action.error && <Alert kind="success">{note}</Alert>}</div>
        <div className="actions">
          <Button type="submit" pending={action.pending} pendingLabel="Saving…">
            Save limits
          </Button>
        </div>
      </form>
    </section>
  );
}
