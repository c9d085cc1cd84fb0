// XEP-0054: vcard-temp — https://xmpp.org/extensions/xep-0054.html
// XEP-0153: vCard-Based Avatars — https://xmpp.org/extensions/xep-0153.html
// XEP-0398: User Avatar to vCard-Based Avatars Conversion — https://xmpp.org/extensions/xep-0398.html
// XEP-0292: vCard4 Over XMPP — https://xmpp.org/extensions/xep-0292.html
//
// Each account has one vcard-temp, kept here. Anyone may read it: a vCard is the public profile
// (XEP-0292 §9: "world-readable"), and group chat members fetch avatars through it (XEP-0398 §1);
// clients present it as public. Only the account itself may change it.
//
// It is kept in step with PEP, through the pep/* events only: a PHOTO set here is published as a
// XEP-0084 avatar (urn:xmpp:avatar:data and :metadata) and an avatar published there becomes the
// PHOTO; the profile properties go to and come from the vCard4 node (util/vcard-conversion.ts).
// The avatar's hash is stamped into the user's available presence (XEP-0398 §5).
import { Element, parse } from 'ltx';
import { createHash } from 'node:crypto';
import type { PepResult } from '../core/events.js';
import { defineModule, type ModuleApi } from '../core/module-host.js';
import { StanzaError } from '../util/errors.js';
import { imageInfo } from '../util/image-info.js';
import { errorReply, iqResult } from '../util/stanza.js';
import { mergeVcard4IntoVcardTemp, vcard4Ns, vcardTempNs, vcardTempToVcard4 } from '../util/vcard-conversion.js';
import { serialize } from '../util/xml.js';
import { accountDiscoKey } from './disco.js';

const updateNs = 'vcard-temp:x:update';
const avatarDataNode = 'urn:xmpp:avatar:data';
const avatarMetadataNode = 'urn:xmpp:avatar:metadata';
const vcard4Node = 'urn:xmpp:vcard4';
const conversionFeature = 'urn:xmpp:pep-vcard-conversion:0';

/** Room for a photo of a few hundred kilobytes, base64-encoded. */
export const maxVcardBytes = 512 * 1024;

/** The stored vCard and the SHA-1 (hex) of its PHOTO, kept so that presence needs no parsing. */
interface StoredVcard {
  xml: string;
  photoHash: string | null;
}

interface Photo {
  bytes: Buffer;
  type: string;
  hash: string;
}

/** Avatars and the vCard4 are public, like the vcard-temp they mirror (XEP-0398 §9). */
const publicNode = { 'pubsub#access_model': 'open' };

export default defineModule({
  name: 'vcard',
  setup(mod) {
    mod.addFeature(vcardTempNs);
    mod.addFeature(conversionFeature, accountDiscoKey);
    mod.addFeature(vcard4Ns, accountDiscoKey);
    const store = mod.store('vcards', 'keyval');
    const stored = (username: string) => store.get<StoredVcard>(username, 'vcard');

    function save(username: string, vcard: Element, photo: Photo | undefined): void {
      store.set(username, 'vcard', { xml: serialize(vcard), photoHash: photo?.hash ?? null } satisfies StoredVcard);
    }

    // XEP-0054 §3.1 and §3.3: the account's own vCard, or anyone else's.
    mod.hook(`iq-get/bare/${vcardTempNs}:vCard`, ({ stanza, from, to, reply }) => {
      const username = to.local!;
      const own = from.local === username && from.domain === to.domain;
      const vcard = mod.storage.accounts.exists(username) ? readVcard(mod, stored(username)) : undefined;
      if (vcard) reply(iqResult(stanza, vcard));
      // §3.1: an empty vCard for the owner; §3.3: service-unavailable for a missing vCard and a
      // missing account alike, so that accounts cannot be discovered this way.
      else if (own) reply(iqResult(stanza, new Element('vCard', { xmlns: vcardTempNs })));
      else reply(errorReply(stanza, new StanzaError('service-unavailable')));
      return true;
    });

    mod.hook(`iq-set/bare/${vcardTempNs}:vCard`, ({ stanza, payload, from, to, reply }) => {
      const username = to.local!;
      if (from.local !== username || from.domain !== to.domain) {
        reply(errorReply(stanza, new StanzaError('forbidden', 'only the account itself may change its vCard')));
        return true;
      }
      const vcard = standalone(payload);
      const error = checkSize(vcard);
      const photo = photoOf(vcard);
      if (error || photo instanceof StanzaError) {
        reply(errorReply(stanza, error ?? (photo as StanzaError)));
        return true;
      }
      const previous = stored(username);
      save(username, vcard, photo);
      // XEP-0398 §4.2: the new photo becomes the PEP avatar; the profile becomes the vCard4.
      if ((previous?.photoHash ?? null) !== (photo?.hash ?? null)) publishAvatar(mod, username, photo);
      publishVcard4(mod, username, vcard);
      reply(iqResult(stanza));
      return true;
    });

    // XEP-0398 §4.1: an avatar published through PEP becomes the vCard's PHOTO.
    mod.hook('pep/item-published', ({ username, node, item, publisher }) => {
      if (publisher !== 'user') return undefined;
      if (node === avatarMetadataNode) {
        const metadata = payloadOf(item);
        if (!metadata?.is('metadata', avatarMetadataNode)) return undefined;
        const photo = avatarFromPep(mod, username, metadata);
        if (photo === undefined) return undefined;
        const vcard = withPhoto(readVcard(mod, stored(username)), photo);
        if (checkSize(vcard)) {
          mod.log.info('an avatar too big for the vCard was not copied into it');
          return undefined;
        }
        save(username, vcard, photo ?? undefined);
      } else if (node === vcard4Node) {
        const card = payloadOf(item);
        if (!card?.is('vcard', vcard4Ns)) return undefined;
        const current = stored(username);
        const vcard = mergeVcard4IntoVcardTemp(card, readVcard(mod, current));
        if (checkSize(vcard)) return undefined;
        store.set(username, 'vcard', { xml: serialize(vcard), photoHash: current?.photoHash ?? null } satisfies StoredVcard);
      }
      return undefined;
    });

    // XEP-0398 §5 (and XEP-0153 §4.1): available presence carries the avatar's hash, broadcast
    // and directed alike (group chat joins). Runs before the presence module and never stops the event.
    mod.hook('presence/broadcast', ({ session, stanza }) => {
      if (stanza.attrs.type === undefined && session.username) stampPresence(stanza, stored(session.username));
      return undefined;
    }, 100);
    for (const target of ['bare', 'full'] as const) {
      mod.hook(`pre-presence/${target}`, ({ stanza, origin }) => {
        if (stanza.attrs.type === undefined && origin?.username) stampPresence(stanza, stored(origin.username));
        return undefined;
      }, 100);
    }

    mod.hook('user-deleted', ({ username }) => store.delete(username, 'vcard'));
  },
});

function readVcard(mod: ModuleApi, record: StoredVcard | undefined): Element | undefined {
  if (!record) return undefined;
  try {
    return parse(record.xml) as Element;
  } catch {
    mod.log.warn('an unreadable stored vCard was ignored');
    return undefined;
  }
}

/** The vCard as its own document (the stanza's parent links and namespace context left behind). */
function standalone(payload: Element): Element {
  return parse(serialize(payload)) as Element;
}

function checkSize(vcard: Element): StanzaError | undefined {
  if (Buffer.byteLength(serialize(vcard)) <= maxVcardBytes) return undefined;
  return new StanzaError('not-acceptable', `a vCard may be at most ${maxVcardBytes / 1024} KiB`);
}

/** The inline PHOTO (TYPE and BINVAL, XEP-0153 §3.1); a PHOTO by URL (EXTVAL) has no bytes here. */
function photoOf(vcard: Element): Photo | StanzaError | undefined {
  const binval = vcard.getChild('PHOTO')?.getChildText('BINVAL');
  if (binval === null || binval === undefined) return undefined;
  const base64 = binval.replace(/\s+/g, '');
  if (base64 === '') return undefined;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || base64.length % 4 !== 0) {
    return new StanzaError('bad-request', 'the PHOTO BINVAL is not base64');
  }
  const bytes = Buffer.from(base64, 'base64');
  const declared = vcard.getChild('PHOTO')?.getChildText('TYPE')?.trim();
  return { bytes, type: declared || imageInfo(bytes).type || 'image/png', hash: sha1(bytes) };
}

function sha1(bytes: Buffer): string {
  return createHash('sha1').update(bytes).digest('hex');
}

/** The vCard with `photo` as its PHOTO, or without one when `photo` is null (avatar disabled). */
function withPhoto(vcard: Element | undefined, photo: Photo | null): Element {
  const result = new Element('vCard', { xmlns: vcardTempNs });
  for (const child of vcard?.children ?? []) {
    if (typeof child !== 'string' && child.getName() === 'PHOTO') continue;
    result.cnode(child);
  }
  if (photo) {
    const element = result.c('PHOTO');
    element.c('TYPE').t(photo.type);
    element.c('BINVAL').t(photo.bytes.toString('base64'));
  }
  return result;
}

/**
 * XEP-0398 §4.1: the avatar a metadata item announces, from the data node (the <info/> without a
 * url; its bytes must hash to its id); null for an empty <metadata/> (avatar disabled, XEP-0084
 * §4.5); undefined when there is nothing usable to copy.
 */
function avatarFromPep(mod: ModuleApi, username: string, metadata: Element): Photo | null | undefined {
  const infos = metadata.getChildren('info');
  if (infos.length === 0) return null;
  const info = infos.find((i) => !i.attrs.url && i.attrs.id);
  if (!info) return undefined;
  const id = String(info.attrs.id).toLowerCase();
  const result = mod.fire('pep/items', { username, node: avatarDataNode, ids: [id] }) as PepResult<Element[]> | undefined;
  const data = result?.ok ? payloadOf(result.value.find((item) => String(item.attrs.id).toLowerCase() === id)) : undefined;
  if (!data?.is('data', avatarDataNode)) return undefined;
  const bytes = Buffer.from(data.getText().replace(/\s+/g, ''), 'base64');
  if (sha1(bytes) !== id) {
    mod.log.info('an avatar whose data does not match its hash was not copied into the vCard');
    return undefined;
  }
  return { bytes, type: String(info.attrs.type ?? '') || imageInfo(bytes).type || 'image/png', hash: id };
}

/** XEP-0398 §4.2 with XEP-0084 §4.1-4.2: data first, then the metadata that points to it. */
function publishAvatar(mod: ModuleApi, username: string, photo: Photo | undefined): void {
  if (!photo) {
    // XEP-0084 §4.5: an empty metadata item disables the avatar.
    publish(mod, username, avatarMetadataNode, undefined, new Element('metadata', { xmlns: avatarMetadataNode }));
    return;
  }
  const data = new Element('data', { xmlns: avatarDataNode }).t(photo.bytes.toString('base64'));
  if (!publish(mod, username, avatarDataNode, photo.hash, data)) return;
  const { width, height } = imageInfo(photo.bytes);
  const attrs: Record<string, string> = { bytes: String(photo.bytes.length), id: photo.hash, type: photo.type };
  if (width && height) Object.assign(attrs, { width: String(width), height: String(height) });
  const metadata = new Element('metadata', { xmlns: avatarMetadataNode });
  metadata.c('info', attrs);
  publish(mod, username, avatarMetadataNode, photo.hash, metadata);
}

/** The profile as the vCard4 node's single item (XEP-0292 §3.1), unless it is already that. */
function publishVcard4(mod: ModuleApi, username: string, vcard: Element): void {
  const card = vcardTempToVcard4(vcard);
  const current = mod.fire('pep/items', { username, node: vcard4Node, max: 1 }) as PepResult<Element[]> | undefined;
  const existing = current?.ok ? payloadOf(current.value[0]) : undefined;
  if (existing ? serialize(existing) === serialize(card) : card.children.length === 0) return;
  publish(mod, username, vcard4Node, 'current', card);
}

/**
 * Publishes as the server. The nodes are created open; a node the user already configured
 * otherwise keeps the user's choice (its publish-options precondition fails, XEP-0060 §7.1.5,
 * and the item goes in without options). False when it could not be published.
 */
function publish(mod: ModuleApi, username: string, node: string, id: string | undefined, payload: Element): boolean {
  const request = { username, node, id, item: payload };
  let result = mod.fire('pep/publish', { ...request, options: publicNode }) as PepResult<{ id: string }> | undefined;
  if (result && !result.ok && result.error.condition === 'conflict') result = mod.fire('pep/publish', request) as PepResult<{ id: string }> | undefined;
  if (result && !result.ok) mod.log.info(`could not publish to ${node}: ${result.error.condition}`);
  return result?.ok === true;
}

/** The payload of a PEP item (<item><payload/></item>), or the element itself if it is one. */
function payloadOf(item: Element | undefined): Element | undefined {
  if (!item) return undefined;
  return item.name === 'item' ? item.getChildElements()[0] : item;
}

/**
 * XEP-0398 §5: the hash goes into every available presence, into an empty <x/> too; a client's
 * empty <photo/> (no avatar) is left alone, and a different hash is replaced by the one a
 * contact will find in the vCard. Nothing is added before the account has a vCard.
 */
function stampPresence(stanza: Element, record: StoredVcard | undefined): void {
  if (!record) return;
  const hash = record.photoHash;
  let x = stanza.getChild('x', updateNs);
  const photo = x?.getChild('photo');
  if (photo) {
    const claimed = photo.getText().trim().toLowerCase();
    if (claimed === '' || hash === null || claimed === hash) return;
    x!.remove(photo);
  }
  x ??= stanza.c('x', { xmlns: updateNs });
  const element = x.c('photo');
  if (hash) element.t(hash);
}
