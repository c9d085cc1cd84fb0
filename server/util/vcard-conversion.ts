// vcard-temp (XEP-0054) <-> vCard4 in XML (RFC 6351, as XEP-0292 §7 maps it), for the properties
// clients show on a profile: FN, N, NICKNAME, BDAY, TEL, EMAIL, JABBERID (IMPP), URL, and
// DESC/NOTE (vCard4 NOTE). Everything else stays where it was written: a vCard4 arriving replaces
// only these properties of the vcard-temp and keeps the rest (PHOTO, ADR, ORG, ...).
import { Element, clone } from 'ltx';

export const vcardTempNs = 'vcard-temp';
export const vcard4Ns = 'urn:ietf:params:xml:ns:vcard-4.0';

/** The vcard-temp properties this conversion owns. */
const converted = new Set(['FN', 'N', 'NICKNAME', 'BDAY', 'TEL', 'EMAIL', 'JABBERID', 'URL', 'DESC', 'NOTE']);

/** vcard-temp N parts and their xCard names (RFC 6351 §3.3.1.2 order; XEP-0292 §7.1.3 for MIDDLE). */
const nameParts: Array<[string, string]> = [
  ['FAMILY', 'surname'],
  ['GIVEN', 'given'],
  ['MIDDLE', 'additional'],
  ['PREFIX', 'prefix'],
  ['SUFFIX', 'suffix'],
];

/** Telephone types both formats know (XEP-0292 §7.3.5: BBS, ISDN, MODEM, MSG and PCS are gone). */
const telTypes = ['HOME', 'WORK', 'VOICE', 'FAX', 'CELL', 'VIDEO', 'PAGER', 'TEXT', 'TEXTPHONE'];
const emailTypes = ['HOME', 'WORK'];

/** The vCard4 form of a vcard-temp's profile properties. */
export function vcardTempToVcard4(temp: Element): Element {
  const card = new Element('vcard', { xmlns: vcard4Ns });
  for (const property of temp.getChildElements()) {
    const text = property.getText().trim();
    switch (property.getName()) {
      case 'FN':
        if (text) card.c('fn').c('text').t(text);
        break;
      case 'NICKNAME':
        if (text) card.c('nickname').c('text').t(text);
        break;
      case 'N': {
        const parts = nameParts.map(([from, to]) => [to, property.getChildText(from)?.trim() ?? ''] as const);
        if (parts.every(([, value]) => value === '')) break;
        const n = card.c('n');
        for (const [name, value] of parts) {
          const part = n.c(name);
          if (value) part.t(value);
        }
        break;
      }
      case 'BDAY':
        if (text) card.c('bday').c('date').t(text);
        break;
      case 'TEL': {
        const number = property.getChildText('NUMBER')?.trim();
        if (!number) break;
        const tel = card.c('tel');
        addParameters(tel, property, telTypes);
        // A tel: URI has no spaces (RFC 3966 §3); the visual separators it allows stay.
        tel.c('uri').t(`tel:${number.replace(/\s+/g, '')}`);
        break;
      }
      case 'EMAIL': {
        const address = property.getChildText('USERID')?.trim();
        if (!address) break;
        const email = card.c('email');
        addParameters(email, property, emailTypes);
        email.c('text').t(address);
        break;
      }
      case 'JABBERID':
        if (text) card.c('impp').c('uri').t(`xmpp:${text}`);
        break;
      case 'URL':
        if (text) card.c('url').c('uri').t(text);
        break;
      case 'DESC':
      case 'NOTE':
        if (text) card.c('note').c('text').t(text);
        break;
    }
  }
  return card;
}

/**
 * The vcard-temp after a vCard4 was published: the converted properties come from `card`, all
 * others are kept from `temp` (which may not exist yet).
 */
export function mergeVcard4IntoVcardTemp(card: Element, temp: Element | undefined): Element {
  const result = new Element('vCard', { xmlns: vcardTempNs });
  for (const property of card.getChildElements()) {
    switch (property.getName()) {
      case 'fn':
        addText(result, 'FN', valueOf(property));
        break;
      case 'nickname':
        addText(result, 'NICKNAME', valueOf(property));
        break;
      case 'n': {
        const parts = nameParts.map(([to, from]) => [to, property.getChildren(from).map((p) => p.getText().trim()).filter(Boolean).join(' ')] as const);
        if (parts.every(([, value]) => value === '')) break;
        const n = result.c('N');
        for (const [name, value] of parts) if (value) n.c(name).t(value);
        break;
      }
      case 'bday':
        addText(result, 'BDAY', valueOf(property));
        break;
      case 'tel': {
        const value = valueOf(property);
        if (!value) break;
        const tel = result.c('TEL');
        addTypes(tel, property, telTypes);
        tel.c('NUMBER').t(value.replace(/^tel:/i, ''));
        break;
      }
      case 'email': {
        const value = valueOf(property);
        if (!value) break;
        const email = result.c('EMAIL');
        email.c('INTERNET');
        addTypes(email, property, emailTypes);
        email.c('USERID').t(value);
        break;
      }
      case 'impp': {
        const value = valueOf(property);
        // Only XMPP addresses have a vcard-temp home; the query part (";" or "?") is not the address.
        if (value?.toLowerCase().startsWith('xmpp:')) addText(result, 'JABBERID', value.slice(5).split(/[?;]/)[0]);
        break;
      }
      case 'url':
        addText(result, 'URL', valueOf(property));
        break;
      case 'note':
        addText(result, 'DESC', valueOf(property));
        break;
    }
  }
  for (const property of temp?.getChildElements() ?? []) {
    if (!converted.has(property.getName())) result.cnode(clone(property));
  }
  return result;
}

/** vcard-temp type flags and PREF as xCard <parameters> (XEP-0292 migration stylesheet). */
function addParameters(target: Element, property: Element, known: string[]): void {
  const types = known.filter((type) => property.getChild(type)).map((type) => type.toLowerCase());
  const preferred = property.getChild('PREF') !== undefined;
  if (types.length === 0 && !preferred) return;
  const parameters = target.c('parameters');
  if (types.length > 0) {
    const type = parameters.c('type');
    for (const value of types) type.c('text').t(value);
  }
  if (preferred) parameters.c('pref').c('integer').t('1');
}

/** xCard <parameters> back to vcard-temp flags; pref 1 (the most preferred, RFC 6350 §5.3) is PREF. */
function addTypes(target: Element, property: Element, known: string[]): void {
  const parameters = property.getChild('parameters');
  const types = new Set((parameters?.getChild('type')?.getChildren('text') ?? []).map((t) => t.getText().trim().toUpperCase()));
  for (const type of known) if (types.has(type)) target.c(type);
  const pref = parameters?.getChild('pref');
  if (pref && (pref.getChildText('integer') ?? pref.getText()).trim() === '1') target.c('PREF');
}

/** The value of an xCard property, whatever its value type (text, uri, date, ...). */
function valueOf(property: Element): string | undefined {
  for (const child of property.getChildElements()) {
    if (child.getName() === 'parameters') continue;
    const value = child.getText().trim();
    if (value) return value;
  }
  return undefined;
}

function addText(target: Element, name: string, value: string | undefined): void {
  if (value) target.c(name).t(value);
}
