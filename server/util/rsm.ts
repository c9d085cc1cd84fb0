// XEP-0059: Result Set Management — https://xmpp.org/extensions/xep-0059.html
// The <set/> a client sends to page through a result set, and the one the answer carries.
import { Element } from 'ltx';
import { StanzaError } from './errors.js';

export const rsmNs = 'http://jabber.org/protocol/rsm';

export interface RsmRequest {
  /** Page size (<max/>). */
  max?: number;
  /** The page after this item (<after/>). */
  after?: string;
  /** The page before this item (<before/> with an id). */
  before?: string;
  /** An empty <before/>: the last page (§2.5). */
  lastPage: boolean;
  /** Skip this many items (<index/>, §2.4); never with after or before. */
  index?: number;
}

/** A request <set/>, or the bad-request it deserves. */
export function parseRsm(set: Element): RsmRequest | StanzaError {
  const request: RsmRequest = { lastPage: false };
  const max = set.getChild('max');
  if (max) {
    const size = parseNonNegativeInteger(max.getText());
    if (size === undefined) return new StanzaError('bad-request', 'max must be a non-negative integer');
    request.max = size;
  }
  const after = set.getChild('after');
  if (after) {
    const id = after.getText().trim();
    if (id === '') return new StanzaError('bad-request', 'after needs an id');
    request.after = id;
  }
  const before = set.getChild('before');
  if (before) {
    const id = before.getText().trim();
    if (id === '') request.lastPage = true;
    else request.before = id;
  }
  const index = set.getChild('index');
  if (index) {
    const offset = parseNonNegativeInteger(index.getText());
    if (offset === undefined) return new StanzaError('bad-request', 'index must be a non-negative integer');
    if (after || before) return new StanzaError('bad-request', 'index cannot be combined with before or after');
    request.index = offset;
  }
  return request;
}

/** The answer's <set/> (§2.1): first (with its index) and last when the page has items, and the count. */
export function rsmResult(page: { first: string | undefined; last: string | undefined; firstIndex: number | undefined; count: number }): Element {
  const set = new Element('set', { xmlns: rsmNs });
  if (page.first !== undefined && page.last !== undefined) {
    set.c('first', { index: String(page.firstIndex ?? 0) }).t(page.first);
    set.c('last').t(page.last);
  }
  set.c('count').t(String(page.count));
  return set;
}

function parseNonNegativeInteger(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^\d{1,9}$/.test(trimmed)) return undefined;
  return Number(trimmed);
}
