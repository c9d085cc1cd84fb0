// XEP-0357: Push Notifications — https://xmpp.org/extensions/xep-0357.html
// A phone app registers its app server (a pubsub service) with enable; when a message arrives
// while that phone is not connected, the server publishes a notification there, and the app
// server wakes the phone. By default the notification says who wrote and how many messages
// came, never what they say (§9: servers SHOULD let users limit what is sent).
import { Element } from 'ltx';
import type { IqEvent, StanzaEvent } from '../core/events.js';
import { defineModule, type ModuleApi } from '../core/module-host.js';
import type { ClientSession } from '../core/session.js';
import { accountDiscoKey } from './disco.js';
import { StanzaError } from '../util/errors.js';
import { parseJid, type Jid } from '../util/jid.js';
import { NS } from '../util/namespaces.js';
import { elementChildren, errorReply, iqResult } from '../util/stanza.js';

export const pushNs = 'urn:xmpp:push:0';
const pubsubNs = 'http://jabber.org/protocol/pubsub';
const publishOptionsFormType = 'http://jabber.org/protocol/pubsub#publish-options';
const summaryFormType = 'urn:xmpp:push:summary';

/** Above delivery (-1000), below blocking (100): a blocked message wakes nobody. */
const notifyPriority = -100;
const maxRegistrations = 50;
const maxOptionFields = 32;
const maxValuesPerField = 16;
const maxNodeLength = 1024;
const storeKey = 'registrations';

/** One enabled app server (§5), with the resource of the device that enabled it. */
interface Registration {
  jid: string;
  node: string;
  /** The enabling session's resource: while no connected session has it, the device gets pushes. */
  resource: string;
  /** The publish-options form fields to send along (credentials of the app server, usually). */
  options: Array<{ var: string; values: string[] }>;
}

/** Payloads worth waking a phone for: text, end-to-end encrypted messages, call invitations. */
const encryptedPayloads: Array<[name: string, ns: string]> = [
  ['encrypted', 'eu.siacs.conversations.axolotl'], // OMEMO (XEP-0384 before 0.4)
  ['encrypted', 'urn:xmpp:omemo:2'], // OMEMO 0.8+
  ['openpgp', 'urn:xmpp:openpgp:0'], // XEP-0373
  ['x', 'jabber:x:encrypted'], // XEP-0027
  ['propose', 'urn:xmpp:jingle-message:0'], // XEP-0353 call invitation
];

export default defineModule({
  name: 'push',
  setup(mod) {
    mod.addFeature(pushNs, accountDiscoKey);
    const store = mod.store('registrations', 'keyval');
    const registrationsOf = (username: string): Registration[] => store.get<Registration[]>(username, storeKey) ?? [];
    const save = (username: string, list: Registration[]) => {
      if (list.length === 0) store.delete(username, storeKey);
      else store.set(username, storeKey, list);
    };
    // Messages notified since each device (username/resource) was last connected: message-count.
    const unseen = new Map<string, number>();
    const deviceKey = (username: string, resource: string) => `${username}/${resource}`;

    /** §7.1: an error from the app server disables the registration, unless it only says "later". */
    const publish = (username: string, registration: Registration, summary: Summary) => {
      mod.sendIq(notification(mod, username, registration, summary)).catch((error: unknown) => {
        if (!(error instanceof StanzaError) || transientConditions.has(error.condition)) return;
        save(username, registrationsOf(username).filter((r) => !(r.jid === registration.jid && r.node === registration.node)));
        mod.log.info(`disabled a push registration after the app server answered ${error.condition}`);
      });
    };

    mod.hook(`iq-set/self/${pushNs}:enable`, (event) => {
      const { stanza, payload, origin, from, reply } = event;
      if (!origin) return undefined;
      const target = parseService(payload);
      if (target instanceof StanzaError) return answer(event, target);
      if (target.node === undefined) return answer(event, new StanzaError('bad-request', 'enable needs the node of the app server'));
      const options = parsePublishOptions(payload);
      if (options instanceof StanzaError) return answer(event, options);
      const username = from.local!;
      // §5: enabling the same JID and node again replaces the earlier request.
      const others = registrationsOf(username).filter((r) => !(r.jid === target.jid && r.node === target.node));
      if (others.length >= maxRegistrations) return answer(event, new StanzaError('resource-constraint', 'too many push registrations', 'cancel'));
      save(username, [...others, { jid: target.jid, node: target.node, resource: from.resource!, options }]);
      reply(iqResult(stanza));
      return true;
    });

    mod.hook(`iq-set/self/${pushNs}:disable`, (event) => {
      const { stanza, payload, from, reply } = event;
      const target = parseService(payload);
      if (target instanceof StanzaError) return answer(event, target);
      const username = from.local!;
      // §6: with a node only that registration ends, without one every registration of the JID.
      save(username, registrationsOf(username).filter((r) => !(r.jid === target.jid && (target.node === undefined || r.node === target.node))));
      reply(iqResult(stanza));
      return true;
    });

    const notify = ({ stanza, from, to }: StanzaEvent) => {
      const username = to.local!;
      const type = stanza.attrs.type ?? 'normal';
      if (type !== 'chat' && type !== 'normal') return undefined;
      if (from.local === username && from.domain === to.domain) return undefined; // the user's own messages
      if (!worthNotifying(stanza)) return undefined;
      const registrations = registrationsOf(username);
      for (const registration of registrations) {
        const session = mod.sessions.get(username, registration.resource);
        // Connected devices get the message itself; a session waiting for its client to resume
        // (XEP-0198) is not connected, so its phone is woken.
        if (session?.connected) continue;
        const key = deviceKey(username, registration.resource);
        const count = (unseen.get(key) ?? 0) + 1;
        unseen.set(key, count);
        publish(username, registration, { count, sender: from, body: stanza.getChildText('body') });
      }
      return undefined; // never stops the message: delivery and offline storage go on
    };
    mod.hook('message/bare', notify, notifyPriority);
    mod.hook('message/full', notify, notifyPriority);

    // A device that comes back (or goes away) starts counting again.
    const resetCount = ({ session }: { session: ClientSession }) => {
      if (session.username !== undefined && session.jid?.resource !== undefined) unseen.delete(deviceKey(session.username, session.jid.resource));
      return undefined;
    };
    mod.hook('resource-bind', resetCount);
    mod.hook('resource-unbind', resetCount);
    // Above any module that keeps the session for resumption (which stops this event).
    mod.hook('c2s-connection-lost', resetCount, 1000);

    mod.hook('user-deleted', ({ username }) => {
      store.delete(username, storeKey);
    });
  },
});

interface Summary {
  count: number;
  sender: Jid;
  body: string | null;
}

/** Errors that say "try again later": RFC 6120 §8.3.2 type wait, our own timeout, a failure inside the app server. */
const transientConditions = new Set<string>(['remote-server-timeout', 'resource-constraint', 'recipient-unavailable', 'unexpected-request', 'internal-server-error']);

function answer({ stanza, reply }: IqEvent, error: StanzaError): true {
  reply(errorReply(stanza, error));
  return true;
}

function parseService(payload: Element): { jid: string; node: string | undefined } | StanzaError {
  const text = payload.attrs.jid as string | undefined;
  if (text === undefined) return new StanzaError('bad-request', 'the jid of the app server is missing');
  const jid = parseJid(text);
  if (!jid) return new StanzaError('jid-malformed', 'the jid of the app server is not valid');
  const node = payload.attrs.node as string | undefined;
  if (node !== undefined && (node === '' || node.length > maxNodeLength)) return new StanzaError('bad-request', 'the node is empty or too long');
  return { jid: jid.toString(), node };
}

/** §5: an optional data form with FORM_TYPE publish-options, sent back with every publish. */
function parsePublishOptions(payload: Element): Registration['options'] | StanzaError {
  const form = payload.getChild('x', NS.dataForms);
  if (!form) return [];
  const fields = form.getChildren('field');
  const formType = fields.find((f) => f.attrs.var === 'FORM_TYPE')?.getChildText('value');
  if (formType !== publishOptionsFormType) return new StanzaError('bad-request', `the form needs FORM_TYPE ${publishOptionsFormType}`);
  const options: Registration['options'] = [];
  for (const field of fields) {
    const name = field.attrs.var as string | undefined;
    if (!name || name === 'FORM_TYPE') continue;
    const values = field.getChildren('value').map((v) => v.getText());
    if (options.length >= maxOptionFields || values.length > maxValuesPerField) return new StanzaError('not-acceptable', 'the publish options are too large');
    options.push({ var: name, values });
  }
  return options;
}

/** §7: a pubsub publish to the app server's node, sent from the user's account (§3.2: publishers are the server or the bare JID). */
function notification(mod: ModuleApi, username: string, registration: Registration, summary: Summary): Element {
  const iq = new Element('iq', { type: 'set', from: `${username}@${mod.host}`, to: registration.jid });
  const pubsub = iq.c('pubsub', { xmlns: pubsubNs });
  const item = pubsub.c('publish', { node: registration.node }).c('item');
  const form = item.c('notification', { xmlns: pushNs }).c('x', { xmlns: NS.dataForms, type: 'submit' });
  addField(form, 'FORM_TYPE', [summaryFormType], 'hidden');
  addField(form, 'message-count', [String(summary.count)]);
  // Only the bare JID: the sender's device is nobody else's business.
  addField(form, 'last-message-sender', [summary.sender.toBareString()]);
  if (mod.config.push.includeBody && summary.body !== null) addField(form, 'last-message-body', [summary.body]);
  if (registration.options.length > 0) {
    const options = pubsub.c('publish-options').c('x', { xmlns: NS.dataForms, type: 'submit' });
    addField(options, 'FORM_TYPE', [publishOptionsFormType], 'hidden');
    for (const option of registration.options) addField(options, option.var, option.values);
  }
  return iq;
}

function addField(form: Element, name: string, values: string[], type?: string): void {
  const field = form.c('field', type ? { var: name, type } : { var: name });
  for (const value of values) field.c('value').t(value);
}

function worthNotifying(stanza: Element): boolean {
  if (stanza.getChild('body')) return true;
  return elementChildren(stanza).some((child) => encryptedPayloads.some(([name, ns]) => child.name === name && child.getNS() === ns));
}
