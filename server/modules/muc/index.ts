// XEP-0045: Multi-User Chat — https://xmpp.org/extensions/xep-0045.html
// with XEP-0313 archives of rooms, XEP-0359 stanza ids, XEP-0410 MUC Self-Ping, XEP-0421 occupant
// ids, XEP-0425 moderated retraction and XEP-0486 room avatars. XEP-0249 direct invitations travel
// from user to user and need nothing here.
//
// The group chat service at conference.<domain>: families keep their groups ("Family",
// "Grandparents") here. New rooms are persistent, hidden, non-anonymous and archived, so a phone
// that was offline fetches what it missed from the room's archive (kept archive.retentionDays).
// Rooms and affiliations are in the database (migration 4); who is in a room lives in memory.
import type { StanzaEvent } from '../../core/events.js';
import { defineModule } from '../../core/module-host.js';
import type { Storage } from '../../core/storage/index.js';
import { NS } from '../../util/namespaces.js';
import { mamNs, mamNs1 } from '../mam.js';
import { adminGet, adminSet } from './admin.js';
import { archiveFormGet, archiveQuery, moderate } from './archive.js';
import { items, roomInfo } from './discovery.js';
import { handleMessage } from './messages.js';
import { handlePresence, handleSessionEnd, handleShutdown } from './occupancy.js';
import { OccupantIq } from './occupant-iq.js';
import { ownerGet, ownerSet, vcardGet, vcardSet } from './owner.js';
import { ensureRoom, followMembers } from './provisioning.js';
import { RoomRepository } from './repository.js';
import { MucService } from './service.js';
import { moderateNs, mucAdminNs, mucNs, mucOwnerNs, stableIdFeature, vcardTempNs } from './stanzas.js';

const dayMs = 24 * 60 * 60 * 1000;
/** The archive of all rooms is `muc/messages` in the database. */
export const roomArchiveStoreName = 'muc/messages';

/** Deletes room messages older than the retention period (archive.retentionDays); returns how many. */
export function expireRoomArchives(storage: Storage, retentionDays: number, now = Date.now()): number {
  return storage.archive(roomArchiveStoreName).deleteOlderThan(now - retentionDays * dayMs);
}
/** Above the disco module's answers for component hosts, which take what rooms leave. */
const roomPriority = 10;

export default defineModule({
  name: 'muc',
  setup(mod) {
    const host = `conference.${mod.host}`;
    const retentionDays = mod.config.archive.retentionDays;
    const muc = new MucService(
      mod,
      { host, ...mod.config.muc, archiveAvailable: retentionDays > 0 },
      new RoomRepository(mod.storage.db),
      mod.store('messages', 'archive'),
    );
    muc.loadRooms();
    const occupantIq = new OccupantIq(muc);
    mod.onStop(() => occupantIq.stop());

    mod.addComponent(host);
    mod.addItem({ jid: host, name: 'Group chats' });
    mod.addIdentity({ category: 'conference', type: 'text', name: 'Group chats' }, host);
    for (const feature of [NS.discoInfo, NS.discoItems, mucNs, stableIdFeature, vcardTempNs]) mod.addFeature(feature, host);

    const ours = (event: StanzaEvent) => event.to.domain === host;
    /** Requests to a room itself: not to the service, not to an occupant. */
    const toRoom = (event: StanzaEvent) => ours(event) && event.to.local !== undefined && event.to.resource === undefined;

    mod.hook('component/presence', (event) => {
      if (!ours(event)) return undefined;
      handlePresence(muc, event);
      return true;
    });
    mod.hook('component/message', (event) => {
      if (!ours(event)) return undefined;
      handleMessage(muc, event);
      return true;
    });
    mod.hook('component/iq', (event) => (ours(event) ? occupantIq.handle(event) : undefined));

    mod.hook(`iq-get/component/${NS.discoInfo}:query`, (event) => (ours(event) ? roomInfo(muc, event) : undefined), roomPriority);
    mod.hook(`iq-get/component/${NS.discoItems}:query`, (event) => (ours(event) ? items(muc, event) : undefined), roomPriority);
    mod.hook(`iq-get/component/${NS.ping}:ping`, (event) => (ours(event) ? occupantIq.ping(event) : undefined));
    mod.hook(`iq-get/component/${mucAdminNs}:query`, (event) => (toRoom(event) ? adminGet(muc, event) : undefined));
    mod.hook(`iq-set/component/${mucAdminNs}:query`, (event) => (toRoom(event) ? adminSet(muc, event) : undefined));
    mod.hook(`iq-get/component/${mucOwnerNs}:query`, (event) => (toRoom(event) ? ownerGet(muc, event) : undefined));
    mod.hook(`iq-set/component/${mucOwnerNs}:query`, (event) => (toRoom(event) ? ownerSet(muc, event) : undefined));
    // A vCard request to an occupant JID is passed on by component/iq (to the occupant's account).
    mod.hook(`iq-get/component/${vcardTempNs}:vCard`, (event) => (toRoom(event) ? vcardGet(muc, event) : undefined));
    mod.hook(`iq-set/component/${vcardTempNs}:vCard`, (event) => (toRoom(event) ? vcardSet(muc, event) : undefined));
    mod.hook(`iq-set/component/${moderateNs}:moderate`, (event) => (toRoom(event) ? moderate(muc, event) : undefined));
    for (const ns of [mamNs, mamNs1]) {
      mod.hook(`iq-get/component/${ns}:query`, (event) => (toRoom(event) ? archiveFormGet(muc, event, ns) : undefined));
      mod.hook(`iq-set/component/${ns}:query`, (event) => (toRoom(event) ? archiveQuery(muc, event, ns) : undefined));
    }

    // A device whose session ends without leaving (a closed stream, a stream management session
    // that was not resumed in time) leaves its rooms. A session waiting to be resumed stays in them.
    mod.hook('resource-unbind', ({ session }) => handleSessionEnd(muc, session));
    mod.hook('server-stopping', () => handleShutdown(muc));
    mod.hook('user-deleted', ({ username }) => {
      const jid = `${username}@${mod.host}`;
      muc.repository.deleteAffiliationsOf(jid);
      for (const room of muc.rooms.values()) room.setAffiliation(jid, 'none');
    });

    // Rooms other modules keep for a group of accounts (a circle's group chat).
    mod.hook('muc/ensure-room', ({ localpart, name, owners }) => ensureRoom(muc, localpart, name, owners));
    mod.hook('muc/follow-members', ({ room, add, remove }) => followMembers(muc, room, add, remove));
    mod.hook('muc/room-exists', ({ localpart }) => muc.rooms.has(`${localpart}@${host}`));

    // Room archives follow the accounts' retention (archive.retentionDays; 0 empties them).
    mod.daily('expire', () => {
      const expired = expireRoomArchives(mod.storage, retentionDays);
      if (expired > 0) mod.log.info(`expired ${expired} archived group chat messages`);
    });
  },
});
