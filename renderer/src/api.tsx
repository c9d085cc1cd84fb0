// The React side of the AdminApi: pages get it from context (never from window) and use these
// hooks for the loading, error and live-update states every page needs.
import { createContext, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import type { AdminApi, ControlEvents, EventName, RequestInput, RequestName, RequestResults } from '../../server/control/contract';

const ApiContext = createContext<AdminApi | undefined>(undefined);

export function ApiProvider({ api, children }: { api: AdminApi; children: ReactNode }) {
  return <ApiContext.Provider value={api}>{children}</ApiContext.Provider>;
}

export function useApi(): AdminApi {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi outside ApiProvider');
  return api;
}

export interface RequestState<T> {
  data: T | undefined;
  error: string | undefined;
  loading: boolean;
  /** Asks again; the old data stays visible meanwhile. */
  reload(): void;
}

/** Runs a request when the component mounts (and when `input` changes). */
export function useRequest<N extends RequestName>(name: N, input: RequestInput<N>): RequestState<RequestResults[N]> {
  const api = useApi();
  const [state, setState] = useState<{ data?: RequestResults[N]; error?: string; loading: boolean }>({ loading: true });
  const [generation, setGeneration] = useState(0);
  const key = JSON.stringify(input);
  useEffect(() => {
    let current = true;
    setState((s) => ({ ...s, loading: true }));
    api.request(name, JSON.parse(key) as RequestInput<N>).then((result) => {
      if (!current) return;
      if (result.ok) setState({ data: result.value, loading: false });
      else setState((s) => ({ data: s.data, error: result.error, loading: false }));
    });
    return () => {
      current = false;
    };
  }, [api, name, key, generation]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/** Calls `listener` for every event of that kind while the component is mounted. */
export function useEvent<E extends EventName>(event: E, listener: (payload: ControlEvents[E]) => void): void {
  const api = useApi();
  const latest = useRef(listener);
  latest.current = listener;
  useEffect(() => api.subscribe(event, (payload) => latest.current(payload)), [api, event]);
}

/** A request started by the user (a button): its pending state and its error. */
export function useAction() {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const run = useCallback(async <T,>(action: () => Promise<{ ok: true; value: T } | { ok: false; error: string }>): Promise<T | undefined> => {
    setPending(true);
    setError(undefined);
    try {
      const result = await action();
      if (!result.ok) {
        setError(capitalize(result.error));
        return undefined;
      }
      return result.value;
    } finally {
      setPending(false);
    }
  }, []);
  return { pending, error, setError, run };
}

export function capitalize(text: string): string {
  const sentence = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?…]$/.test(sentence) ? sentence : `${sentence}.`;
}
