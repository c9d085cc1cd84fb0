// "Restart now" for saved settings that apply at the next start. The server answers, restarts a
// moment later, and this waits until it answers again with the saved settings in force.
import { useState } from 'react';
import type { Status } from '../../server/control/contract';
import { capitalize, useApi } from './api';
import { Alert, Button } from './components';

export function RestartNotice({ status, onRestarted }: { status: Status; onRestarted?(status: Status): void }) {
  const api = useApi();
  const [state, setState] = useState<'idle' | 'restarting' | { error: string }>('idle');

  const restart = async () => {
    setState('restarting');
    const asked = await api.request('server.restart', {});
    if (!asked.ok) return setState({ error: capitalize(asked.error) });
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 700));
      const next = await api.request('status', {});
      if (next.ok && !next.value.restartRequired) {
        setState('idle');
        onRestarted?.(next.value);
        return;
      }
    }
    setState({ error: 'Hearth did not come back within a minute. Check that it is still running.' });
  };

  if (!status.restartRequired && state === 'idle') return null;
  return (
    <Alert
      kind={typeof state === 'object' ? 'error' : 'info'}
      title="Restart needed"
      action={
        status.canRestart ? (
          <Button variant="secondary" onClick={restart} pending={state === 'restarting'} pendingLabel="Restarting…">
            Restart Hearth now
          </Button>
        ) : undefined
      }
    >
      {typeof state === 'object'
        ? state.error
        : status.canRestart
          ? 'Saved settings take effect when Hearth restarts. People who are connected are signed out for a moment; their apps reconnect by themselves.'
          : 'Saved settings take effect when Hearth starts again: stop it and start it once more.'}
    </Alert>
  );
}
