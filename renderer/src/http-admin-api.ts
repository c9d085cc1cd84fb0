// The AdminApi over the admin port's HTTP transport (server/control/http-api.ts): requests are
// `POST /api/<name>` with JSON, events come from `GET /api/events` as Server-Sent Events read
// with fetch() and a stream reader, because EventSource cannot send the Authorization header.
import type { AdminApi, ControlEvents, ControlResult, EventName, RequestName, RequestResults } from '../../server/control/contract.js';

export interface HttpAdminApiOptions {
  /** Where the admin port is; '' (the default) is the page's own origin. */
  baseUrl?: string;
  /** The admin token, read each time (it may be entered after the API is made). */
  getToken(): string | undefined;
  /** The server refused the token: the UI asks for it again. */
  onUnauthorized?(): void;
  fetch?: (url: string, init?: RequestInit) => Promise<Response>;
  /** First reconnect delay for the event stream, doubled up to maxRetryMs. */
  retryMs?: number;
  maxRetryMs?: number;
}

export interface HttpAdminApi extends AdminApi {
  /** Stops the event stream. */
  close(): void;
}

type AnyListener = (payload: unknown) => void;

export function createHttpAdminApi(options: HttpAdminApiOptions): HttpAdminApi {
  const base = options.baseUrl ?? '';
  const doFetch = options.fetch ?? ((url: string, init?: RequestInit) => fetch(url, init));
  const listeners = new Map<EventName, Set<AnyListener>>();
  let stream: AbortController | undefined;

  const headers = (): Record<string, string> => {
    const token = options.getToken();
    return token ? { Authorization: `Bearer ${token}` } : {};
  };

  const dispatch = (event: string, payload: unknown) => {
    for (const listener of [...(listeners.get(event as EventName) ?? [])]) {
      try {
        listener(payload);
      } catch (error) {
        console.error(error);
      }
    }
  };

  const totalListeners = () => [...listeners.values()].reduce((n, set) => n + set.size, 0);

  async function runStream(controller: AbortController): Promise<void> {
    let delay = options.retryMs ?? 1000;
    let reportedOutage = false;
    while (!controller.signal.aborted) {
      try {
        const response = await doFetch(`${base}/api/events`, { headers: headers(), signal: controller.signal });
        if (response.status === 401) options.onUnauthorized?.();
        if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
        await readEvents(response.body, controller.signal, (event, data) => {
          if (reportedOutage) reportedOutage = false;
          delay = options.retryMs ?? 1000;
          if (event === 'retry') return;
          try {
            dispatch(event, JSON.parse(data));
          } catch {
            // not JSON: not ours
          }
        });
      } catch {
        // fall through to the retry below
      }
      if (controller.signal.aborted) return;
      if (!reportedOutage) {
        reportedOutage = true;
        dispatch('error', { message: 'Lost the connection to Hearth. Trying again…' });
      }
      await sleep(delay, controller.signal);
      delay = Math.min(delay * 2, options.maxRetryMs ?? 10_000);
    }
  }

  const updateStream = () => {
    if (totalListeners() > 0 && !stream) {
      stream = new AbortController();
      void runStream(stream);
    } else if (totalListeners() === 0 && stream) {
      stream.abort();
      stream = undefined;
    }
  };

  return {
    async request<N extends RequestName>(name: N, input: unknown): Promise<ControlResult<RequestResults[N]>> {
      let response: Response;
      try {
        response = await doFetch(`${base}/api/${name}`, {
          method: 'POST',
          headers: { ...headers(), 'Content-Type': 'application/json' },
          body: JSON.stringify(input ?? {}),
        });
      } catch {
        return { ok: false, error: 'Hearth is not answering. Is it still running?' };
      }
      if (response.status === 401) {
        options.onUnauthorized?.();
        return { ok: false, error: 'The admin token is missing or wrong: open the link that `hearth serve` printed again.' };
      }
      let body: unknown;
      try {
        body = await response.json();
      } catch {
        return { ok: false, error: `Hearth sent an answer that could not be read (HTTP ${response.status}).` };
      }
      if (!response.ok) {
        const message = (body as { error?: unknown } | null)?.error;
        return { ok: false, error: typeof message === 'string' ? message : `Hearth answered with HTTP ${response.status}.` };
      }
      return body as ControlResult<RequestResults[N]>;
    },

    subscribe<E extends EventName>(event: E, listener: (payload: ControlEvents[E]) => void): () => void {
      let set = listeners.get(event);
      if (!set) {
        set = new Set();
        listeners.set(event, set);
      }
      const entry = listener as AnyListener;
      set.add(entry);
      updateStream();
      return () => {
        set.delete(entry);
        updateStream();
      };
    },

    close() {
      listeners.clear();
      updateStream();
    },
  };
}

/**
 * Reads a text/event-stream body (HTML Living Standard, "Server-sent events" §9.2.6): events are
 * separated by a blank line; `event:` names one, `data:` lines carry its data, lines starting
 * with ':' are comments (heartbeats). Resolves when the stream ends.
 */
export async function readEvents(body: ReadableStream<Uint8Array>, signal: AbortSignal, onEvent: (event: string, data: string) => void): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const onAbort = () => void reader.cancel().catch(() => {});
  signal.addEventListener('abort', onAbort);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let boundary: RegExpExecArray | null;
      while ((boundary = /\r\n\r\n|\n\n|\r\r/.exec(buffer))) {
        const block = buffer.slice(0, boundary.index);
        buffer = buffer.slice(boundary.index + boundary[0].length);
        let event = 'message';
        const data: string[] = [];
        for (const line of block.split(/\r\n|\n|\r/)) {
          if (line === '' || line.startsWith(':')) continue;
          const colon = line.indexOf(':');
          const field = colon === -1 ? line : line.slice(0, colon);
          const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'event') event = value;
          else if (field === 'data') data.push(value);
          else if (field === 'retry') onEvent('retry', value);
        }
        if (data.length > 0) onEvent(event, data.join('\n'));
      }
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}
