// Learning what clients want from their XEP-0115 caps, with the disco#info queries faked.
import { Element } from 'ltx';
import { describe, expect, it } from 'vitest';
import { CapsCache, capsOf, type Caps } from '../../../../server/modules/pep/caps-cache.js';
import { capsVerification } from '../../../../server/util/caps.js';

const identities = [{ category: 'client', type: 'phone' }];
const features = ['http://jabber.org/protocol/disco#info', 'urn:example:node+notify'];
const ver = capsVerification({ identities, features, extensions: [] });

function discoInfo(featureList: string[]): Element {
  const query = new Element('query', { xmlns: 'http://jabber.org/protocol/disco#info' });
  for (const identity of identities) query.c('identity', identity);
  for (const feature of featureList) query.c('feature', { var: feature });
  return query;
}

function cacheAnswering(answer: (jid: string) => Element | Error) {
  const asked: string[] = [];
  const cache = new CapsCache(async (jid, node) => {
    asked.push(`${jid} ${node}`);
    const result = answer(jid);
    if (result instanceof Error) throw result;
    return result;
  });
  return { cache, asked };
}

const caps: Caps = { node: 'https://example.org/app', ver, hash: 'sha-1' };

describe('the caps cache', () => {
  it('reads the caps a presence announces', () => {
    const presence = new Element('presence').c('c', { xmlns: 'http://jabber.org/protocol/caps', node: caps.node, ver, hash: 'sha-1' }).up();
    expect(capsOf(presence)).toEqual(caps);
    expect(capsOf(new Element('presence'))).toBeUndefined();
  });

  it('asks once for a verification string and remembers it for every client that sends it', async () => {
    const { cache, asked } = cacheAnswering(() => discoInfo(features));
    await Promise.all([cache.resolve('a@x/1', caps), cache.resolve('b@x/2', caps)]);
    expect(asked).toEqual([`a@x/1 ${caps.node}#${ver}`]);
    expect(cache.features('c@x/3', caps)?.has('urn:example:node+notify')).toBe(true);
  });

  it('believes an answer that does not match its hash only for the client that gave it', async () => {
    const { cache, asked } = cacheAnswering((jid) => discoInfo(jid === 'liar@x/1' ? ['urn:example:other+notify'] : features));
    await cache.resolve('liar@x/1', caps);
    expect(cache.features('liar@x/1', caps)?.has('urn:example:other+notify')).toBe(true);
    expect(cache.features('honest@x/2', caps)).toBeUndefined();
    await cache.resolve('honest@x/2', caps);
    expect(asked).toHaveLength(2);
    expect(cache.features('honest@x/2', caps)?.has('urn:example:node+notify')).toBe(true);
  });

  it('takes a client that does not answer as wanting nothing', async () => {
    const { cache } = cacheAnswering(() => new Error('service-unavailable'));
    await cache.resolve('quiet@x/1', caps);
    expect(cache.features('quiet@x/1', caps)?.size).toBe(0);
    cache.forget('quiet@x/1');
    expect(cache.features('quiet@x/1', caps)).toBeUndefined();
  });
});
