// XEP-0059 result set management: the request <set/> a client sends and the one answers carry.
import { parse, type Element } from 'ltx';
import { describe, expect, it } from 'vitest';
import { StanzaError } from '../../../server/util/errors.js';
import { parseRsm, rsmResult } from '../../../server/util/rsm.js';

function set(children: string): Element {
  return parse(`<set xmlns='http://jabber.org/protocol/rsm'>${children}</set>`) as Element;
}

describe('a request set', () => {
  it('reads max, after, before and index', () => {
    expect(parseRsm(set('<max>10</max><after>a1</after>'))).toEqual({ max: 10, after: 'a1', lastPage: false });
    expect(parseRsm(set('<before>b2</before>'))).toEqual({ before: 'b2', lastPage: false });
    expect(parseRsm(set('<max>5</max><index>20</index>'))).toEqual({ max: 5, index: 20, lastPage: false });
  });

  it('reads an empty <before/> as the last page (§2.5)', () => {
    expect(parseRsm(set('<max>5</max><before/>'))).toEqual({ max: 5, lastPage: true });
  });

  it('refuses what makes no sense with bad-request', () => {
    for (const children of ['<max>-1</max>', '<max>many</max>', '<after/>', '<index>x</index>', '<after>a</after><index>1</index>']) {
      const result = parseRsm(set(children));
      expect(result).toBeInstanceOf(StanzaError);
      expect((result as StanzaError).condition).toBe('bad-request');
    }
  });
});

describe('an answer set', () => {
  it('carries first with its index, last and the count', () => {
    expect(rsmResult({ first: 'a', last: 'b', firstIndex: 3, count: 10 }).toString()).toBe(
      '<set xmlns="http://jabber.org/protocol/rsm"><first index="3">a</first><last>b</last><count>10</count></set>',
    );
  });

  it('carries only the count for an empty page', () => {
    expect(rsmResult({ first: undefined, last: undefined, firstIndex: undefined, count: 7 }).toString()).toBe('<set xmlns="http://jabber.org/protocol/rsm"><count>7</count></set>');
  });
});
