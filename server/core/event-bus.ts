// Prosody-style events: handlers run from the highest priority down; the first one that returns
// something other than undefined stops the event, and that value is what fire() returns.

type Handler = (payload: never) => unknown;

interface Registration {
  handler: Handler;
  priority: number;
}

export class EventBus<Events extends object> {
  private readonly handlers = new Map<string, Registration[]>();

  on<K extends keyof Events & string>(event: K, handler: (payload: Events[K]) => unknown, priority = 0): () => void {
    const list = this.handlers.get(event) ?? [];
    const registration: Registration = { handler: handler as Handler, priority };
    // Stable: among equal priorities, earlier registrations run first.
    const index = list.findIndex((r) => r.priority < priority);
    if (index === -1) list.push(registration);
    else list.splice(index, 0, registration);
    this.handlers.set(event, list);
    return () => {
      const current = this.handlers.get(event);
      if (!current) return;
      const at = current.indexOf(registration);
      if (at !== -1) current.splice(at, 1);
    };
  }

  has(event: string): boolean {
    return (this.handlers.get(event)?.length ?? 0) > 0;
  }

  fire<K extends keyof Events & string>(event: K, payload: Events[K]): unknown {
    const list = this.handlers.get(event);
    if (!list) return undefined;
    for (const { handler } of list) {
      const result = (handler as (p: Events[K]) => unknown)(payload);
      if (result !== undefined) return result;
    }
    return undefined;
  }
}
