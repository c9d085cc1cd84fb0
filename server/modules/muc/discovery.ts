// XEP-0045 §6: discovering rooms (the service's disco#items: public rooms), a room's disco#info
// (identity, features, the muc#roominfo form) and its items (none: occupants stay private, §6.5).
import { Element } from 'ltx';
import type { IqEvent } from '../../core/events.js';
import { StanzaError } from '../../util/errors.js';
import { NS } from '../../util/namespaces.js';
import { errorReply, iqResult } from '../../util/stanza.js';
import { mamNs, sidNs } from '../mam.js';
import { roomFeatures, roomInfoForm } from './config-form.js';
import type { Room } from './room.js';
import type { MucService } from './service.js';
import { moderateNs, mucNs, occupantIdNs, retractNs, selfPingFeature, stableIdFeature, vcardTempNs } from './stanzas.js';

/** §7.12: the node asking for the user's reserved nick; this service reserves none. */
const reservedNickNode = 'x-roomuser-item';

function roomOf(muc: MucService, event: IqEvent): Room | StanzaError {
  const room = muc.rooms.get(event.to.toBareString());
  if (!room || (room.locked && room.affiliationOf(event.from.toBareString()) !== 'owner')) return new StanzaError('item-not-found', 'no such room');
  return room;
}

/** disco#info of a room; the service host is the disco module's, occupants are left to routing. */
export function roomInfo(muc: MucService, event: IqEvent): true | undefined {
  const { stanza, payload, to } = event;
  if (to.local === undefined || to.resource !== undefined) return undefined;
  const room = roomOf(muc, event);
  if (room instanceof StanzaError) {
    event.reply(errorReply(stanza, room, to.toBareString()));
    return true;
  }
  const node = payload.attrs.node as string | undefined;
  if (node === reservedNickNode) {
    event.reply(iqResult(stanza, new Element('query', { xmlns: NS.discoInfo, node })));
    return true;
  }
  if (node !== undefined) {
    event.reply(errorReply(stanza, new StanzaError('item-not-found'), to.toBareString()));
    return true;
  }
  const query = new Element('query', { xmlns: NS.discoInfo });
  query.c('identity', { category: 'conference', type: 'text', name: room.config.name || room.name });
  const features = [NS.discoInfo, mucNs, stableIdFeature, selfPingFeature, ...roomFeatures(room.config), occupantIdNs, sidNs, vcardTempNs, moderateNs, `${retractNs}#tombstone`];
  if (room.config.archiving) features.push(mamNs);
  for (const feature of features.sort()) query.c('feature', { var: feature });
  query.cnode(
    roomInfoForm({
      config: room.config,
      occupants: room.occupants.size,
      subject: room.subject?.text ?? '',
      avatarHash: room.vcard?.photoHash,
      historyMessages: muc.options.historyMessages,
    }),
  );
  event.reply(iqResult(stanza, query));
  return true;
}

/** disco#items: the public rooms of the service (§6.3), nothing for a room (§6.5). */
export function items(muc: MucService, event: IqEvent): true | undefined {
  const { stanza, payload, to } = event;
  if (to.resource !== undefined) return undefined;
  if (payload.attrs.node !== undefined) {
    event.reply(errorReply(stanza, new StanzaError('item-not-found')));
    return true;
  }
  const query = new Element('query', { xmlns: NS.discoItems });
  if (to.local === undefined) {
    for (const room of muc.rooms.values()) {
      if (room.config.public && !room.locked) query.c('item', { jid: room.jid, name: room.config.name || room.name });
    }
  } else {
    const room = roomOf(muc, event);
    if (room instanceof StanzaError) {
      event.reply(errorReply(stanza, room, to.toBareString()));
      return true;
    }
  }
  event.reply(iqResult(stanza, query));
  return true;
}
