// History on entering a room (XEP-0045 §7.2.14): reading the request and choosing the messages.
import { parse, type Element } from 'ltx';
import { describe, expect, it } from 'vitest';
import { parseHistoryRequest, RecentMessages, selectHistory } from '../../../../server/modules/muc/history.js';

const now = Date.UTC(2030, 0, 1, 12, 0, 0);

function x(history: string): Element {
  return parse(`<x xmlns='http://jabber.org/protocol/muc'>${history}</x>`) as Element;
}

/** Ten messages one minute apart, the last one now, each 100 characters long. */
const entries = Array.from({ length: 10 }, (_, i) => ({ n: i, timestamp: now - (9 - i) * 60_000, size: 100 }));

describe('reading the request', () => {
  it('reads maxstanzas, maxchars, seconds and since', () => {
    expect(parseHistoryRequest(x(`<history maxstanzas='5' maxchars='300'/>`), now)).toEqual({ maxStanzas: 5, maxChars: 300 });
    expect(parseHistoryRequest(x(`<history seconds='180'/>`), now).since).toBe(now - 180_000);
    expect(parseHistoryRequest(x(`<history since='2030-01-01T11:00:00Z'/>`), now).since).toBe(now - 3_600_000);
  });

  it('takes the later of seconds and since', () => {
    expect(parseHistoryRequest(x(`<history seconds='60' since='1970-01-01T00:00:00Z'/>`), now).since).toBe(now - 60_000);
  });

  it('ignores what it cannot read, and a join without <history/> asks for nothing in particular', () => {
    expect(parseHistoryRequest(x(`<history maxstanzas='-1' since='yesterday'/>`), now)).toEqual({});
    expect(parseHistoryRequest(x(''), now)).toEqual({});
    expect(parseHistoryRequest(undefined, now)).toEqual({});
  });
});

describe('choosing the messages', () => {
  it('gives the newest ones in order, no more than the service allows', () => {
    expect(selectHistory(entries, {}, 3).map((e) => e.n)).toEqual([7, 8, 9]);
    expect(selectHistory(entries, { maxStanzas: 50 }, 4).map((e) => e.n)).toEqual([6, 7, 8, 9]);
  });

  it('meets every limit at once: the smallest amount wins', () => {
    expect(selectHistory(entries, { maxStanzas: 5, maxChars: 250 }, 20).map((e) => e.n)).toEqual([8, 9]);
    expect(selectHistory(entries, { maxStanzas: 5, since: now - 90_000 }, 20).map((e) => e.n)).toEqual([8, 9]);
  });

  it('sends whole stanzas only, and nothing for maxchars or maxstanzas 0', () => {
    expect(selectHistory(entries, { maxChars: 199 }, 20).map((e) => e.n)).toEqual([9]);
    expect(selectHistory(entries, { maxChars: 0 }, 20)).toEqual([]);
    expect(selectHistory(entries, { maxStanzas: 0 }, 20)).toEqual([]);
  });
});

describe('recent messages of a room without an archive', () => {
  it('keeps only the newest up to its capacity', () => {
    const recent = new RecentMessages<number>(3);
    for (let i = 0; i < 5; i++) recent.add(i);
    expect(recent.all()).toEqual([2, 3, 4]);
    expect(recent.find((n) => n === 3)).toBe(3);
    const none = new RecentMessages<number>(0);
    none.add(1);
    expect(none.all()).toEqual([]);
  });
});
