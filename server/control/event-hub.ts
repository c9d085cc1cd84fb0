// The control API's events: what the server pushes to every connected UI (and the tray).
// `status` goes out on a timer only while someone listens, and at once after a change;
// `users.changed` follows accounts being added or removed and devices signing in or out.
import type { EventBus } from '../core/event-bus.js';
import type { EventMap } from '../core/events.js';
import type { ControlEvents, EventName, Status } from './contract.js';

type Listener<E extends EventName> = (payload: ControlEvents[E]) => void;

export interface EventHubOptions {
  events: EventBus<EventMap>;
  status(): Status;
  /** How often listeners of `status` get a fresh one (uptime moves on); default 5 s. */
  statusIntervalMs?: number;
  /** Changes in quick succession (a user deleted with three devices) become one event. */
  coalesceMs?: number;
}

export class ControlEventHub {
  private readonly listeners = new Map<EventName, Set<Listener<EventName>>>();
  private readonly unhook: Array<() => void> = [];
  private timer: NodeJS.Timeout | undefined;
  private pending: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: EventHubOptions) {
    // Highest priority so no other handler can stop the event before we see it; we only look
    // and never return a value. Counts are read after the event has run its course (coalesced).
    const changed = () => {
      this.changed();
      return undefined;
    };
    for (const name of ['resource-bind', 'resource-unbind', 'user-created', 'user-deleted'] as const) {
      this.unhook.push(options.events.on(name, changed, Number.MAX_SAFE_INTEGER));
    }
  }

  subscribe<E extends EventName>(event: E, listener: Listener<E>): () => void {
    if (this.closed) return () => {};
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    const entry = listener as Listener<EventName>;
    set.add(entry);
    this.updateTimer();
    return () => {
      set.delete(entry);
      this.updateTimer();
    };
  }

  emit<E extends EventName>(event: E, payload: ControlEvents[E]): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) {
      try {
        listener(payload);
      } catch {
        // A broken listener (a closed connection) must not keep the others from hearing.
      }
    }
  }

  listenerCount(event: EventName): number {
    return this.listeners.get(event)?.size ?? 0;
  }

  /** Something the counts or the status depend on changed; listeners hear about it shortly. */
  changed(): void {
    // Nobody to tell (headless, no admin page open): status() reads the config file and the
    // certificate, which a burst of sign-ins would otherwise pay for every 20 ms.
    if (this.closed || this.pending || (this.listenerCount('status') === 0 && this.listenerCount('users.changed') === 0)) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      if (this.closed) return;
      const status = this.options.status();
      this.emit('users.changed', { registeredUsers: status.registeredUsers, onlineUsers: status.onlineUsers });
      this.emit('status', status);
    }, this.options.coalesceMs ?? 20);
    this.pending.unref();
  }

  close(): void {
    this.closed = true;
    for (const unhook of this.unhook) unhook();
    clearInterval(this.timer);
    clearTimeout(this.pending);
    this.timer = undefined;
    this.listeners.clear();
  }

  private updateTimer(): void {
    const wanted = !this.closed && this.listenerCount('status') > 0;
    if (wanted && !this.timer) {
      this.timer = setInterval(() => this.emit('status', this.options.status()), this.options.statusIntervalMs ?? 5000);
      this.timer.unref();
    } else if (!wanted && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
