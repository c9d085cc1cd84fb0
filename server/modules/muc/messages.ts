// XEP-0045 §7.4 messages to everyone, §8.1 the subject, §7.5 private messages, §7.8.2 mediated
// invitations (XEP-0249 direct invitations go from user to user and need nothing here).
import { Element, clone } from 'ltx';
import { randomBytes } from 'node:crypto';
import type { StanzaEvent } from '../../core/events.js';
import { StanzaError } from '../../util/errors.js';
import { parseJid } from '../../util/jid.js';
import { canBounce, errorReply } from '../../util/stanza.js';
import { sidNs } from '../mam.js';
import { atLeast, mayChangeSubject, mayInvite, maySendPrivateMessage, maySpeak } from './roles.js';
import type { Room } from './room.js';
import { emptiedMessage, isWorthKeeping, type MucService } from './service.js';
import { mucUserNs, occupantIdNs, retractNs, Status } from './stanzas.js';

export function handleMessage(muc: MucService, event: StanzaEvent): void {
  const { stanza, from, to } = event;
  const type = stanza.attrs.type ?? 'normal';
  const room = to.local === undefined ? undefined : muc.rooms.get(to.toBareString());
  const refuse = (error: StanzaError) => {
    if (canBounce(stanza)) event.reply(errorReply(stanza, error, to.toBareString()));
  };
  if (type === 'error') {
    // §13.1: a device whose client answers the room's traffic with an error is gone from it.
    const occupant = room?.occupantWithSession(from.toString());
    if (room && occupant && stanza.getChild('error')?.attrs.type === 'cancel') muc.removeSession(room, occupant, from.toString(), undefined, [Status.technical]);
    return;
  }
  if (to.local === undefined) return refuse(new StanzaError('service-unavailable', 'send messages to a room'));
  if (!room || (room.locked && room.affiliationOf(from.toBareString()) !== 'owner')) return refuse(new StanzaError('item-not-found', 'no such room'));
  if (to.resource !== undefined) return privateMessage(muc, room, event, to.resource, refuse);

  const x = stanza.getChild('x', mucUserNs);
  if (x && (x.getChild('invite') || x.getChild('decline'))) return invitations(muc, room, event, x, refuse);
  // §7.4: "a service MAY ignore or reject messages that do not have a type of groupchat".
  if (type !== 'groupchat') return refuse(new StanzaError('bad-request', 'messages to the room are of type groupchat'));
  groupchat(muc, room, event, refuse);
}

function groupchat(muc: MucService, room: Room, event: StanzaEvent, refuse: (e: StanzaError) => void): void {
  const { stanza, from } = event;
  const occupant = room.occupantWithSession(from.toString());
  if (!occupant) return refuse(new StanzaError('not-acceptable', 'you are not in this room')); // §7.4
  const subject = stanza.getChild('subject');
  if (subject && !stanza.getChild('body')) {
    // §8.1: a subject without a body changes the subject.
    if (!mayChangeSubject(occupant.role, room.config.changeSubject)) return refuse(new StanzaError('forbidden', 'you may not change the subject'));
    room.subject = { text: subject.getText(), nick: occupant.nick, at: Date.now() };
    muc.saveRoom(room);
    const change = new Element('message', { from: room.occupantJid(occupant.nick), type: 'groupchat', id: stanza.attrs.id ?? newId() });
    change.c('subject').t(room.subject.text);
    muc.broadcastMessage(room, change);
    return;
  }
  if (!maySpeak(occupant.role)) return refuse(new StanzaError('forbidden', 'you have no voice in this room')); // §7.4
  const worthKeeping = isWorthKeeping(stanza);
  if (worthKeeping && !muc.takeMessageToken(room, occupant.bareJid)) return refuse(new StanzaError('resource-constraint', 'too many messages, wait a moment', 'wait'));

  const live = reflected(stanza, room.occupantJid(occupant.nick), room.jid);
  live.c('occupant-id', { xmlns: occupantIdNs, id: muc.occupantId(room, occupant.bareJid) });
  const id = muc.keepMessage(room, live, occupant.nick, occupant.bareJid, worthKeeping);
  // XEP-0359 §3: every message the room distributes carries its id, by the room.
  live.c('stanza-id', { xmlns: sidNs, by: room.jid, id });
  muc.broadcastMessage(room, live);
  const retract = stanza.getChild('retract', retractNs);
  if (retract?.attrs.id !== undefined) retractOwn(muc, room, String(retract.attrs.id), muc.occupantId(room, occupant.bareJid), String(live.attrs.id));
}

/**
 * XEP-0424 §5-6: an author retracting their own message (by the room's stanza-id): the kept copy
 * becomes a tombstone, so the room stops handing it out in history and from the archive. Only the
 * author's retraction counts, recognised by the occupant id (XEP-0421) the message was kept with.
 */
function retractOwn(muc: MucService, room: Room, id: string, authorId: string, retractionId: string): void {
  const kept = muc.keptMessage(room, id);
  if (!kept || kept.stanza.getChild('occupant-id', occupantIdNs)?.attrs.id !== authorId || kept.stanza.getChild('retracted', retractNs)) return;
  const tombstone = emptiedMessage(kept.stanza);
  tombstone.c('retracted', { xmlns: retractNs, id: retractionId, stamp: new Date().toISOString() });
  muc.replaceKept(room, id, tombstone);
}

/**
 * The sender's message as the room sends it on: from the occupant JID, with the client's id
 * (§7.4, muc#stable_id), without anything that only the room may say (stanza-ids by the room,
 * occupant ids: XEP-0359 §3 rule 2, XEP-0421 §4).
 */
function reflected(stanza: Element, from: string, roomJid: string): Element {
  const message = clone(stanza);
  delete message.attrs.to;
  message.attrs.from = from;
  message.attrs.id ??= newId();
  for (const child of message.getChildElements()) {
    const ns = child.getNS();
    if (ns === occupantIdNs || (ns === sidNs && child.name === 'stanza-id' && parseJid(String(child.attrs.by ?? ''))?.toString() === roomJid)) message.remove(child);
  }
  return message;
}

/** §7.5: to one occupant (every device it joined with), from the sender's occupant JID. */
function privateMessage(muc: MucService, room: Room, event: StanzaEvent, nick: string, refuse: (e: StanzaError) => void): void {
  const { stanza, from } = event;
  if ((stanza.attrs.type ?? 'normal') === 'groupchat') return refuse(new StanzaError('bad-request', 'private messages are not of type groupchat'));
  const sender = room.occupantWithSession(from.toString());
  if (!sender) return refuse(new StanzaError('not-acceptable', 'you are not in this room'));
  const recipient = room.occupants.get(nick);
  if (!recipient) return refuse(new StanzaError('item-not-found', 'nobody in the room has that nickname'));
  if (!maySendPrivateMessage(sender.role, room.config.allowPm)) return refuse(new StanzaError('forbidden', 'private messages are not allowed here'));
  if (isWorthKeeping(stanza) && !muc.takeMessageToken(room, sender.bareJid)) return refuse(new StanzaError('resource-constraint', 'too many messages, wait a moment', 'wait'));
  const message = reflected(stanza, room.occupantJid(sender.nick), room.jid);
  // §7.5: the service adds the muc#user element, which tells the recipient's server it is a group chat PM (XEP-0280 §6).
  if (!message.getChild('x', mucUserNs)) message.c('x', { xmlns: mucUserNs });
  for (const device of recipient.sessions.keys()) {
    const copy = clone(message);
    copy.attrs.to = device;
    muc.mod.send(copy);
  }
}

/**
 * §7.8.2: the room passes invitations on from an occupant (or an admin or owner), with the
 * password; in a members-only room the invitee becomes a member. Declines go back to the inviter.
 */
function invitations(muc: MucService, room: Room, event: StanzaEvent, x: Element, refuse: (e: StanzaError) => void): void {
  const { stanza, from } = event;
  const inviterBare = from.toBareString();
  const inviterAffiliation = room.affiliationOf(inviterBare);
  const invites = x.getChildren('invite');
  if (invites.length > 0) {
    if (!room.occupantWithSession(from.toString()) && !atLeast(inviterAffiliation, 'admin')) return refuse(new StanzaError('not-acceptable', 'enter the room to invite others'));
    if (!mayInvite(inviterAffiliation, room.config.membersOnly, room.config.allowInvites)) return refuse(new StanzaError('forbidden', 'only admins may invite people into this room'));
    const invitees = [];
    for (const invite of invites) {
      const invitee = parseJid(String(invite.attrs.to ?? ''));
      if (!invitee) return refuse(new StanzaError('jid-malformed', 'the invitee is not a valid JID'));
      if (invitee.domain === muc.mod.host && (invitee.local === undefined || !muc.mod.storage.accounts.exists(invitee.local))) {
        return refuse(new StanzaError('item-not-found', 'there is no such user'));
      }
      if (room.affiliationOf(invitee.toBareString()) === 'outcast') return refuse(new StanzaError('not-allowed', 'that user is banned from this room'));
      invitees.push({ jid: invitee, reason: invite.getChildText('reason') ?? undefined });
    }
    const newMembers = room.config.membersOnly ? invitees.map((i) => i.jid.toBareString()).filter((jid) => room.affiliationOf(jid) === 'none') : [];
    for (const jid of newMembers) room.setAffiliation(jid, 'member');
    muc.saveAffiliations(room, newMembers.map((jid) => ({ jid, affiliation: 'member', reason: undefined })));
    for (const { jid, reason } of invitees) muc.mod.send(invitation(room, inviterBare, jid.toString(), reason, stanza.attrs.id));
  }
  for (const decline of x.getChildren('decline')) {
    // Only to someone the room knows, so that the room cannot be used to send anything to anyone.
    const inviter = parseJid(String(decline.attrs.to ?? ''));
    const known = inviter && (room.affiliationOf(inviter.toBareString()) !== 'none' || room.occupantOf(inviter.toBareString()) !== undefined);
    if (!inviter || !known) continue;
    const message = new Element('message', { from: room.jid, to: inviter.toString(), id: stanza.attrs.id ?? newId() });
    const declined = message.c('x', { xmlns: mucUserNs }).c('decline', { from: inviterBare });
    const reason = decline.getChildText('reason');
    if (reason) declined.c('reason').t(reason);
    muc.mod.send(message);
  }
}

function invitation(room: Room, inviter: string, to: string, reason: string | undefined, id: string | undefined): Element {
  const message = new Element('message', { from: room.jid, to, id: id ?? newId() });
  const roomName = room.config.name || room.name;
  // A body for clients (and push notifications) that do not understand the invitation itself.
  message.c('body').t(`${inviter} invites you to the group chat ${roomName} (${room.jid})${reason ? `: ${reason}` : ''}`);
  const x = message.c('x', { xmlns: mucUserNs });
  const invite = x.c('invite', { from: inviter });
  if (reason) invite.c('reason').t(reason);
  if (room.config.password !== '') x.c('password').t(room.config.password);
  return message;
}

function newId(): string {
  return randomBytes(8).toString('hex');
}
