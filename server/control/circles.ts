// The control API's circle requests (contract.ts: circles.*). They change storage.circles and
// fire the `circle-*` events; the circles module brings rosters and group chats in step.
import type { Output } from '../util/schema.js';
import type { Config } from '../config/schema.js';
import type { EventBus } from '../core/event-bus.js';
import type { EventMap } from '../core/events.js';
import { prepareCircleName, type Circle as StoredCircle } from '../core/storage/circles.js';
import type { Storage } from '../core/storage/index.js';
import { chooseRoomLocalpart, roomJidOf } from '../modules/circles/group-chat.js';
import type { Logger } from '../util/log.js';
import type { Circle, ControlResult, RequestResults, requestSchemas } from './contract.js';

type CircleRequest = 'circles.list' | 'circles.create' | 'circles.rename' | 'circles.delete' | 'circles.addMember' | 'circles.removeMember' | 'circles.setGroupChat';
type CircleHandlers = {
  [N in CircleRequest]: (input: Output<(typeof requestSchemas)[N]>) => ControlResult<RequestResults[N]>;
};

export interface CircleControlContext {
  config: Config;
  storage: Storage;
  events: EventBus<EventMap>;
  log: Logger;
  /** The user name as typed, prepared, or why it cannot be one. */
  prepareUsername(typed: string): { ok: true; username: string } | { ok: false; error: string };
}

const ok = <T>(value: T): ControlResult<T> => ({ ok: true, value });
const fail = (error: string): { ok: false; error: string } => ({ ok: false, error });

export function circleView(config: Pick<Config, 'domain'>, circle: StoredCircle): Circle {
  return { id: circle.id, name: circle.name, members: circle.members, ...(circle.groupChat ? { groupChat: roomJidOf({ host: config.domain }, circle.groupChat) } : {}) };
}

/**
 * Creates a circle with these members (already prepared, existing accounts) and tells the
 * circles module; `announce` false leaves that to the module's catching up at the next start.
 */
export function createCircle(
  context: Pick<CircleControlContext, 'storage' | 'events'>,
  name: string,
  members: string[],
  groupChat: boolean,
  announce = true,
): StoredCircle | undefined {
  const { storage, events } = context;
  const localpart = groupChat ? chooseRoomLocalpart({ fire: (event, payload) => events.fire(event, payload) }, name) : undefined;
  const circle = storage.circles.transaction(() => {
    const created = storage.circles.create(name, localpart);
    if (created) for (const member of members) storage.circles.addMember(created.id, member);
    return created;
  });
  if (!circle) return undefined;
  if (announce) {
    events.fire('circle-created', { circleId: circle.id });
    for (const member of members) events.fire('circle-member-added', { circleId: circle.id, username: member });
  }
  return storage.circles.get(circle.id);
}

export function circleHandlers(context: CircleControlContext): CircleHandlers {
  const { config, storage, events, log } = context;
  const circles = storage.circles;
  const view = (circle: StoredCircle) => circleView(config, circle);
  const find = (id: number) => circles.get(id) ?? fail('there is no such circle (it may have been deleted)');
  const member = (typed: string) => {
    const name = context.prepareUsername(typed);
    if (!name.ok) return name;
    if (!storage.accounts.exists(name.username)) return fail(`there is no user named ${name.username}`);
    return name;
  };

  return {
    'circles.list': () => ok(circles.list().map(view)),

    'circles.create': ({ name: typed, groupChat, members: typedMembers }) => {
      const name = prepareCircleName(typed);
      if (!name.ok) return fail(name.reason);
      if (circles.byName(name.name)) return fail(`there is already a circle named ${name.name}`);
      const members: string[] = [];
      for (const typedMember of typedMembers) {
        const prepared = member(typedMember);
        if (!prepared.ok) return prepared;
        if (!members.includes(prepared.username)) members.push(prepared.username);
      }
      const circle = createCircle(context, name.name, members, groupChat);
      if (!circle) return fail(`there is already a circle named ${name.name}`);
      log.info(`a circle was created from the admin UI (${members.length} members${groupChat ? ', with a group chat' : ''})`);
      return ok(view(circle));
    },

    'circles.rename': ({ id, name: typed }) => {
      const circle = find(id);
      if ('ok' in circle) return circle;
      const name = prepareCircleName(typed);
      if (!name.ok) return fail(name.reason);
      if (name.name === circle.name) return ok(view(circle));
      if (!circles.rename(id, name.name)) return fail(`there is already a circle named ${name.name}`);
      events.fire('circle-renamed', { circleId: id, previousName: circle.name });
      return ok(view(circles.get(id)!));
    },

    'circles.delete': ({ id }) => {
      const circle = find(id);
      if ('ok' in circle) return circle;
      circles.delete(id);
      events.fire('circle-deleted', { circleId: id, name: circle.name, members: circle.members, groupChat: circle.groupChat });
      log.info('a circle was deleted from the admin UI');
      return ok({ id });
    },

    'circles.addMember': ({ id, username: typed }) => {
      const circle = find(id);
      if ('ok' in circle) return circle;
      const name = member(typed);
      if (!name.ok) return name;
      if (!circles.addMember(id, name.username)) return fail(`${name.username} is already in ${circle.name}`);
      events.fire('circle-member-added', { circleId: id, username: name.username });
      return ok(view(circles.get(id)!));
    },

    'circles.removeMember': ({ id, username: typed }) => {
      const circle = find(id);
      if ('ok' in circle) return circle;
      const name = context.prepareUsername(typed);
      if (!name.ok) return name;
      if (!circles.removeMember(id, name.username)) return fail(`${name.username} is not in ${circle.name}`);
      events.fire('circle-member-removed', { circleId: id, username: name.username, name: circle.name, groupChat: circle.groupChat });
      return ok(view(circles.get(id)!));
    },

    'circles.setGroupChat': ({ id, enabled }) => {
      const circle = find(id);
      if ('ok' in circle) return circle;
      if (enabled === (circle.groupChat !== undefined)) return ok(view(circle));
      const localpart = enabled ? chooseRoomLocalpart({ fire: (event, payload) => events.fire(event, payload) }, circle.name) : undefined;
      circles.setGroupChat(id, localpart);
      events.fire('circle-group-chat-changed', { circleId: id, previous: circle.groupChat });
      return ok(view(circles.get(id)!));
    },
  };
}
