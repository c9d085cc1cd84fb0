import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Status } from '../../../server/control/contract.js';
import { ControlEventHub } from '../../../server/control/event-hub.js';
import { EventBus } from '../../../server/core/event-bus.js';
import type { EventMap } from '../../../server/core/events.js';
import type { ClientSession } from '../../../server/core/session.js';

let counts = { registeredUsers: 1, onlineUsers: 0 };
const status = () => ({ ...counts }) as unknown as Status;
let hub: ControlEventHub | undefined;

afterEach(() => {
  hub?.close();
  vi.useRealTimers();
});

function makeHub(events = new EventBus<EventMap>()) {
  hub = new ControlEventHub({ events, status, statusIntervalMs: 5000, coalesceMs: 10 });
  return { hub, events };
}

describe('control events', () => {
  it('sends status on a timer only while someone listens', () => {
    vi.useFakeTimers();
    const { hub } = makeHub();
    const heard: Status[] = [];
    const stop = hub.subscribe('status', (s) => heard.push(s));
    vi.advanceTimersByTime(15_000);
    expect(heard).toHaveLength(3);
    stop();
    vi.advanceTimersByTime(15_000);
    expect(heard).toHaveLength(3);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('turns sign-ins, sign-outs and account changes into one users.changed each', () => {
    vi.useFakeTimers();
    const { hub, events } = makeHub();
    const changes: unknown[] = [];
    hub.subscribe('users.changed', (c) => changes.push(c));
    const session = {} as ClientSession;
    counts = { registeredUsers: 2, onlineUsers: 1 };
    events.fire('user-created', { username: 'bob' });
    events.fire('resource-bind', { session });
    vi.advanceTimersByTime(20);
    expect(changes).toEqual([{ registeredUsers: 2, onlineUsers: 1 }]);
    counts = { registeredUsers: 1, onlineUsers: 0 };
    events.fire('user-deleted', { username: 'bob' });
    events.fire('resource-unbind', { session });
    vi.advanceTimersByTime(20);
    expect(changes).toEqual([
      { registeredUsers: 2, onlineUsers: 1 },
      { registeredUsers: 1, onlineUsers: 0 },
    ]);
  });

  it('works out no status for sign-ins while nobody listens', () => {
    vi.useFakeTimers();
    const events = new EventBus<EventMap>();
    const counted = vi.fn(status);
    hub = new ControlEventHub({ events, status: counted, statusIntervalMs: 5000, coalesceMs: 10 });
    const session = {} as ClientSession;
    for (let i = 0; i < 100; i++) events.fire('resource-bind', { session });
    vi.advanceTimersByTime(1000);
    expect(counted).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('sees server events even when another handler stops them', () => {
    vi.useFakeTimers();
    const events = new EventBus<EventMap>();
    events.on('user-deleted', () => true, 100);
    const { hub } = makeHub(events);
    const changes: unknown[] = [];
    hub.subscribe('users.changed', (c) => changes.push(c));
    expect(events.fire('user-deleted', { username: 'bob' })).toBe(true);
    vi.advanceTimersByTime(20);
    expect(changes).toHaveLength(1);
  });

  it('keeps telling the other listeners when one throws', () => {
    const { hub } = makeHub();
    const heard: string[] = [];
    hub.subscribe('error', () => {
      throw new Error('broken listener');
    });
    hub.subscribe('error', ({ message }) => heard.push(message));
    hub.emit('error', { message: 'disk full' });
    expect(heard).toEqual(['disk full']);
  });

  it('stops hooking the server when closed', () => {
    vi.useFakeTimers();
    const { hub, events } = makeHub();
    const changes: unknown[] = [];
    hub.subscribe('users.changed', (c) => changes.push(c));
    hub.close();
    events.fire('user-created', { username: 'bob' });
    vi.advanceTimersByTime(100);
    expect(changes).toEqual([]);
    expect(events.has('user-created')).toBe(false);
  });
});
