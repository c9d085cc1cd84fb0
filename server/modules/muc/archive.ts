// XEP-0313 on the room JID (§4 queries of a MUC archive, with XEP-0059 paging) and XEP-0425
// moderation: a moderator retracts a message by its stanza-id; everyone in the room is told
// (XEP-0424 retraction with a <moderated/> element) and the archived copy becomes a tombstone.
import { Element } from 'ltx';
import { randomBytes } from 'node:crypto';
import type { IqEvent } from '../../core/events.js';
import { StanzaError } from '../../util/errors.js';
import { errorReply, iqResult } from '../../util/stanza.js';
import { archiveFin, archiveQueryForm, archiveResultMessage, parseArchiveQuery, sidNs } from '../mam.js';
import { targetRoom } from './admin.js';
import { atLeast } from './roles.js';
import type { Room } from './room.js';
import { emptiedMessage, parseStored, type MucService } from './service.js';
import { fallbackNs, hintsNs, moderateNs, occupantIdNs, retractNs } from './stanzas.js';

function answer(event: IqEvent, result: Element | StanzaError | undefined): true {
  event.reply(result instanceof StanzaError ? errorReply(event.stanza, result, event.to.toBareString()) : iqResult(event.stanza, result));
  return true;
}

/** The room whose archive the requester may read: whoever may enter it (a password room: its occupants and members). */
function readableArchive(muc: MucService, event: IqEvent): Room | StanzaError {
  const room = targetRoom(muc, event);
  if (room instanceof StanzaError) return room;
  if (!room.config.archiving) return new StanzaError('service-unavailable', 'this room keeps no archive');
  const bare = event.from.toBareString();
  const affiliation = room.affiliationOf(bare);
  const inRoom = room.occupantOf(bare) !== undefined;
  if (affiliation === 'outcast') return new StanzaError('forbidden', 'you are banned from this room');
  if ((room.config.membersOnly || room.config.password !== '') && !inRoom && !atLeast(affiliation, 'member')) {
    return new StanzaError('forbidden', 'only members may read this archive');
  }
  return room;
}

/** XEP-0313 §4.1.5: the query form. */
export function archiveFormGet(muc: MucService, event: IqEvent, ns: string): true {
  const room = readableArchive(muc, event);
  if (room instanceof StanzaError) return answer(event, room);
  const query = new Element('query', { xmlns: ns });
  query.cnode(archiveQueryForm(ns));
  return answer(event, query);
}

/** XEP-0313 §4: results to the asking device, from the room, then the answer with the page. */
export function archiveQuery(muc: MucService, event: IqEvent, ns: string): true {
  const room = readableArchive(muc, event);
  if (room instanceof StanzaError) return answer(event, room);
  const request = parseArchiveQuery(ns, event.payload, room.jid);
  if (!request.ok) return answer(event, request.error);
  const result = muc.archive.query(request.query);
  if (!result.ok) return answer(event, new StanzaError('item-not-found', 'no message in the archive has that id'));
  const viewer = room.occupantWithSession(event.from.toString()) ?? room.occupantOf(event.from.toBareString());
  const maySeeJids = muc.maySeeJids(room, viewer);
  const items = request.flipPage ? [...result.items].reverse() : result.items;
  for (const item of items) {
    const stanza = parseStored(item.stanza);
    if (!stanza) {
      muc.mod.log.warn('skipped an unreadable archived group chat message');
      continue;
    }
    const shown = muc.presentKept(room, { id: item.id, timestamp: item.timestamp, stanza }, maySeeJids, false);
    muc.mod.send(archiveResultMessage(ns, item, shown, event.payload.attrs.queryid as string | undefined, event.from.toString(), room.jid));
  }
  return answer(event, archiveFin(ns, result));
}

/** XEP-0425 §3: a moderator (or an admin or owner) retracts a message of the room by its stanza-id. */
export function moderate(muc: MucService, event: IqEvent): true {
  const room = targetRoom(muc, event);
  if (room instanceof StanzaError) return answer(event, room);
  const moderator = room.occupantWithSession(event.from.toString());
  const affiliation = room.affiliationOf(event.from.toBareString());
  if (moderator?.role !== 'moderator' && !atLeast(affiliation, 'admin')) {
    return answer(event, new StanzaError('forbidden', "only moderators may retract other people's messages"));
  }
  if (!event.payload.getChild('retract', retractNs)) return answer(event, new StanzaError('feature-not-implemented', 'retraction is the only moderation action'));
  const id = String(event.payload.attrs.id ?? '');
  const kept = id === '' ? undefined : muc.keptMessage(room, id);
  if (!kept) return answer(event, new StanzaError('item-not-found', 'the room has no message with that id'));

  const by = moderator ? room.occupantJid(moderator.nick) : room.jid;
  const moderatorId = muc.occupantId(room, event.from.toBareString());
  const reason = event.payload.getChildText('reason') ?? undefined;
  muc.replaceKept(room, id, tombstone(kept.stanza, by, moderatorId, reason));

  // XEP-0425 §3.1: the retraction, from the room itself, to everyone; kept too, so that devices
  // catching up from the archive learn of it.
  const notice = new Element('message', { from: room.jid, type: 'groupchat', id: randomBytes(8).toString('hex') });
  const retract = notice.c('retract', { xmlns: retractNs, id });
  retract.c('moderated', { xmlns: moderateNs, by }).c('occupant-id', { xmlns: occupantIdNs, id: moderatorId });
  if (reason !== undefined) retract.c('reason').t(reason);
  // XEP-0424 §4: a fallback text for clients without retraction, and a hint to archive it.
  notice.c('fallback', { xmlns: fallbackNs, for: retractNs });
  notice.c('body').t('A moderator removed a message.');
  notice.c('store', { xmlns: hintsNs });
  const noticeId = muc.keepMessage(room, notice, undefined, undefined, true);
  notice.c('stanza-id', { xmlns: sidNs, by: room.jid, id: noticeId });
  muc.broadcastMessage(room, notice);
  return answer(event, undefined);
}

/** XEP-0425 §4: the archived message without its content, and a <retracted/> saying when and by whom. */
function tombstone(original: Element, by: string, moderatorId: string, reason: string | undefined): Element {
  const message = emptiedMessage(original);
  const retracted = message.c('retracted', { xmlns: retractNs, stamp: new Date().toISOString() });
  retracted.c('moderated', { xmlns: moderateNs, by }).c('occupant-id', { xmlns: occupantIdNs, id: moderatorId });
  if (reason !== undefined) retracted.c('reason').t(reason);
  return message;
}
