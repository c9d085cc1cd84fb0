// Settings the admin may change here; they are saved to Hearth's config file and apply at the
// next start ("Restart now"). Everything else is in the config file (README.md).
import { useEffect, useId, useState, type FormEvent } from 'react';
import type { LogLevel, Settings as SettingsValues, Status } from '../../server/control/contract';
import { useAction, useApi, useEvent, useRequest } from '../src/api';
import { Alert, Button, Loading, PageTitle } from '../src/components';
import { RestartNotice } from '../src/restart';

const logLevelLabels: Record<LogLevel, string> = {
  debug: 'Everything (for finding a problem)',
  info: 'Normal',
  warn: 'Warnings and errors only',
  error: 'Errors only',
};

export default function Settings() {
  const api = useApi();
  const saved = useRequest('settings.get', {});
  const status = useRequest('status', {});
  const [liveStatus, setLiveStatus] = useState<Status | undefined>();
  useEvent('status', setLiveStatus);
  const currentStatus = liveStatus ?? status.data;
  const action = useAction();
  const id = useId();
  const [draft, setDraft] = useState<SettingsValues | undefined>();
  const [days, setDays] = useState('');
  const [savedNote, setSavedNote] = useState<string | undefined>();

  useEffect(() => {
    if (saved.data) {
      setDraft(saved.data.settings);
      setDays(String(saved.data.settings.archiveRetentionDays));
    }
  }, [saved.data]);

  if (!saved.data || !draft) {
    return (
      <>
        <PageTitle>Settings</PageTitle>
        {saved.error ? (
          <Alert kind="error" action={<Button variant="secondary" onClick={saved.reload}>Try again</Button>}>
            {saved.error}
          </Alert>
        ) : (
          <Loading label="Loading the settings…" />
        )}
      </>
    );
  }

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSavedNote(undefined);
    const retention = days.trim() === '' ? Number.NaN : Number(days);
    const result = await action.run(() =>
      api.request('settings.set', {
        registrationOpen: draft.registrationOpen,
        // Not a number is sent as typed, so the server's message explains it.
        archiveRetentionDays: (Number.isFinite(retention) ? retention : days) as number,
        logLevel: draft.logLevel,
      }),
    );
    if (!result) return;
    setSavedNote(result.changed.length === 0 ? 'Nothing changed.' : result.restartRequired ? 'Saved. The changes take effect when Hearth restarts.' : 'Saved.');
    setLiveStatus(undefined);
    saved.reload();
    status.reload();
  };

  return (
    <>
      <PageTitle>Settings</PageTitle>
      {currentStatus && (
        <RestartNotice
          status={currentStatus}
          onRestarted={(fresh) => {
            setLiveStatus(fresh);
            saved.reload();
            status.reload();
          }}
        />
      )}
      <form onSubmit={submit} noValidate className="section card settings-form">
        <div className="field">
          <label htmlFor={`${id}-domain`}>Server name (domain)</label>
          <input id={`${id}-domain`} value={draft.domain} readOnly aria-describedby={`${id}-domain-hint`} className="mono" />
          <p className="hint" id={`${id}-domain-hint`}>
            Chosen during setup. It is part of everyone's address, so it cannot be changed here.
          </p>
        </div>

        <div className="field">
          <label className="choice-inline">
            <input
              type="checkbox"
              checked={draft.registrationOpen}
              onChange={(e) => setDraft({ ...draft, registrationOpen: e.target.checked })}
              aria-describedby={`${id}-registration-hint`}
            />
            Let anyone who can reach Hearth create an account
          </label>
          <p className="hint" id={`${id}-registration-hint`}>
            Off is safer: you add each person on the Users page. Turn it on only for a moment, at home, while people sign up from their apps.
          </p>
        </div>

        <div className="field">
          <label htmlFor={`${id}-days`}>Keep message history on the server for (days)</label>
          <input
            id={`${id}-days`}
            type="number"
            inputMode="numeric"
            min={0}
            max={3650}
            value={days}
            onChange={(e) => setDays(e.target.value)}
            aria-describedby={`${id}-days-hint`}
            className="narrow"
          />
          <p className="hint" id={`${id}-days-hint`}>
            So that every device of a person sees the whole conversation. 0 keeps nothing once messages are delivered.
          </p>
        </div>

        <div className="field">
          <label htmlFor={`${id}-log`}>Detail in Hearth's log</label>
          <select id={`${id}-log`} value={draft.logLevel} onChange={(e) => setDraft({ ...draft, logLevel: e.target.value as LogLevel })} aria-describedby={`${id}-log-hint`}>
            {(Object.keys(logLevelLabels) as LogLevel[]).map((level) => (
              <option key={level} value={level}>
                {logLevelLabels[level]}
              </option>
            ))}
          </select>
          <p className="hint" id={`${id}-log-hint`}>
            The log never contains IP addresses. Only “Everything” may show message content and other people’s addresses: switch it back when
            you are done.
          </p>
        </div>

        {action.error && <Alert kind="error">{action.error}</Alert>}
        <div aria-live="polite">{savedNote && !action.error && <Alert kind="success">{savedNote}</Alert>}</div>
        <div className="actions">
          <Button type="submit" pending={action.pending} pendingLabel="Saving…">
            Save settings
          </Button>
        </div>
        <p className="hint">
          Saved in <span className="mono break">{saved.data.configFile}</span>, with every other setting (README.md lists them all).
        </p>
      </form>
    </>
  );
}
