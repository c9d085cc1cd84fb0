// Circles: shared contact groups for a family ("Family", "Grandparents"). Everyone in a circle
// has everyone else in their roster under the circle's name, subscribed both ways (RFC 6121), and
// rosters follow as people join and leave: online devices get roster pushes (§2.1.6) and see
// each other's presence at once. A circle may have a group chat whose members are the circle's.
//
// Membership is stored by whoever changes it (the admin API, an accepted invitation) in
// storage.circles; the `circle-*` events then tell this module, which brings rosters and the
// group chat in step. At start it catches up with anything that changed while it was not running.
import { defineModule } from '../../core/module-host.js';
import { leaveRoom, syncRoom } from './group-chat.js';
import { forgetDeletedAccount, linkWithMembers, reconcileRosters, renameGroup, unlinkFromMembers } from './roster-sync.js';

export default defineModule({
  name: 'circles',
  setup(mod) {
    const circles = mod.storage.circles;

    mod.hook('circle-created', ({ circleId }) => {
      const circle = circles.get(circleId);
      if (circle) syncRoom(mod, circle);
      return undefined;
    });

    mod.hook('circle-member-added', ({ circleId, username }) => {
      const circle = circles.get(circleId);
      if (!circle || !circle.members.includes(username)) return undefined;
      linkWithMembers(mod, username, circle.members, circle.name);
      syncRoom(mod, circle);
      return undefined;
    });

    mod.hook('circle-member-removed', ({ circleId, username, name, groupChat }) => {
      unlinkFromMembers(mod, username, circles.members(circleId), name);
      if (groupChat) leaveRoom(mod, username, groupChat);
      return undefined;
    });

    mod.hook('circle-renamed', ({ circleId, previousName }) => {
      const circle = circles.get(circleId);
      if (circle) renameGroup(mod, circle.members, previousName, circle.name);
      return undefined;
    });

    mod.hook('circle-group-chat-changed', ({ circleId }) => {
      const circle = circles.get(circleId);
      // Switched on: the room and its members. Switched off: the room stays as it is.
      if (circle?.groupChat) syncRoom(mod, circle);
      return undefined;
    });

    mod.hook('circle-deleted', ({ name, members }) => {
      for (const member of members) unlinkFromMembers(mod, member, members, name);
      return undefined;
    });

    // Memberships went with the account (foreign keys); the contacts circles gave others go now.
    mod.hook('user-deleted', ({ username }) => {
      forgetDeletedAccount(mod, username);
      return undefined;
    });

    mod.hook('server-started', () => {
      reconcileRosters(mod);
      for (const circle of circles.list()) syncRoom(mod, circle);
      return undefined;
    });
  },
});
