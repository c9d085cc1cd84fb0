// XEP-0045 §10: what owners do with muc#owner — configure a new room (instant or reserved,
// §10.1.2-10.1.3) or an existing one (§10.2), destroy it (§10.9) — and the room's vCard, which
// owners set to give the room an avatar (XEP-0486, on XEP-0054).
import { Element, parse } from 'ltx';
import type { IqEvent } from '../../core/events.js';
import { readForm } from '../../util/dataforms.js';
import { StanzaError } from '../../util/errors.js';
import { parseJid } from '../../util/jid.js';
import { NS } from '../../util/namespaces.js';
import { errorReply, iqResult } from '../../util/stanza.js';
import { serialize } from '../../util/xml.js';
import { targetRoom } from './admin.js';
import { applyConfigForm, configChangeCodes, configForm } from './config-form.js';
import { atLeast } from './roles.js';
import type { Room } from './room.js';
import { photoHashOf, type MucService } from './service.js';
import { mucOwnerNs, Status, vcardTempNs } from './stanzas.js';

/** Room for a photo of a few hundred kilobytes, as for accounts' vCards. */
const maxVcardBytes = 512 * 1024;

function answer(event: IqEvent, result: Element | StanzaError | undefined): true {
  event.reply(result instanceof StanzaError ? errorReply(event.stanza, result, event.to.toBareString()) : iqResult(event.stanza, result));
  return true;
}

/** The room, when the requester owns it (§10: owners only, forbidden for anyone else). */
function ownedRoom(muc: MucService, event: IqEvent): Room | StanzaError {
  const room = targetRoom(muc, event);
  if (room instanceof StanzaError) return room;
  if (room.affiliationOf(event.from.toBareString()) !== 'owner') return new StanzaError('forbidden', 'only owners may do this');
  return room;
}

/** §10.1.3, §10.2: the configuration form. */
export function ownerGet(muc: MucService, event: IqEvent): true {
  const room = ownedRoom(muc, event);
  if (room instanceof StanzaError) return answer(event, room);
  const query = new Element('query', { xmlns: mucOwnerNs });
  query.cnode(configForm(room.config, muc.limits));
  return answer(event, query);
}

export function ownerSet(muc: MucService, event: IqEvent): true {
  const room = ownedRoom(muc, event);
  if (room instanceof StanzaError) return answer(event, room);
  const destroy = event.payload.getChild('destroy');
  if (destroy) {
    muc.destroy(room, destroyNotice(destroy));
    return answer(event, undefined);
  }
  const form = event.payload.getChild('x', NS.dataForms);
  if (!form) return answer(event, new StanzaError('bad-request', 'send a configuration form or a destroy request'));
  const submitted = readForm(form);
  if (submitted.type === 'cancel') {
    // §10.1.3: cancelling the initial configuration destroys the room; later it changes nothing.
    if (room.locked) muc.destroy(room, new Element('destroy'));
    return answer(event, undefined);
  }
  if (submitted.type !== 'submit') return answer(event, new StanzaError('bad-request', 'the form must be of type submit or cancel'));
  const next = applyConfigForm(room.config, submitted, muc.limits);
  if (next instanceof StanzaError) return answer(event, next);

  const before = room.config;
  const wasLocked = room.locked;
  room.config = next;
  // §10.1.2: an empty form accepts the defaults (an instant room); either way the room opens.
  room.locked = false;
  if (wasLocked || (next.persistent && !before.persistent)) muc.saveEverything(room);
  else if (!next.persistent && before.persistent) muc.repository.deleteRoom(room.jid);
  else muc.saveRoom(room);
  answer(event, undefined);

  // §10.2: becoming members-only removes those who are not members (322).
  if (next.membersOnly && !before.membersOnly) {
    for (const occupant of [...room.occupants.values()]) {
      if (!atLeast(room.affiliationOf(occupant.bareJid), 'member')) muc.removeOccupant(room, occupant, { codes: [Status.membersOnly] });
    }
  }
  if (!wasLocked) muc.notifyStatus(room, configChangeCodes(before, next));
  muc.closeIfEmpty(room);
  return true;
}

/** §10.9: what occupants are told, with the alternate venue (a valid JID) and the reason. */
function destroyNotice(request: Element): Element {
  const alternate = request.attrs.jid === undefined ? undefined : parseJid(String(request.attrs.jid));
  const notice = new Element('destroy', alternate ? { jid: alternate.toString() } : {});
  const reason = request.getChildText('reason');
  if (reason) notice.c('reason').t(reason);
  const password = request.getChildText('password');
  if (password) notice.c('password').t(password);
  return notice;
}

/** XEP-0054 §3.1 on the room (XEP-0486 §3.4): anyone may fetch the room's vCard. */
export function vcardGet(muc: MucService, event: IqEvent): true {
  const room = targetRoom(muc, event);
  if (room instanceof StanzaError) return answer(event, room);
  let vcard: Element | undefined;
  try {
    vcard = room.vcard && (parse(room.vcard.xml) as Element);
  } catch {
    vcard = undefined;
  }
  return answer(event, vcard ?? new Element('vCard', { xmlns: vcardTempNs }));
}

/** XEP-0486 §3.2: owners set the room's avatar with its vCard; an empty one removes it. */
export function vcardSet(muc: MucService, event: IqEvent): true {
  const room = ownedRoom(muc, event);
  if (room instanceof StanzaError) return answer(event, room);
  // The vCard as its own document, without the stanza's namespace context.
  const xml = serialize(parse(serialize(event.payload)) as Element);
  if (Buffer.byteLength(xml) > maxVcardBytes) return answer(event, new StanzaError('not-acceptable', 'the vCard is too big', 'modify'));
  const empty = event.payload.getChildElements().length === 0;
  room.vcard = empty ? undefined : { xml, photoHash: photoHashOf(xml) };
  muc.saveRoom(room);
  answer(event, undefined);
  // XEP-0486 §3.2: occupants learn that something changed and fetch the new hash from disco#info.
  muc.notifyStatus(room, [Status.configChanged]);
  return true;
}

