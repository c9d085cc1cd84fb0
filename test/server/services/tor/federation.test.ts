import { describe, expect, it } from 'vitest';
import { federationRoute, isOnionDomain } from '../../../../server/services/tor/federation.js';

const socks = { host: '127.0.0.1', port: 9050 };
const onion = 'eqw62flwrfqw4fxjhsrfwsjfzikdhxgubh4vqslj2nwlsjxb6uwinvad.onion';

describe('the tor.federation policy', () => {
  it('reaches onion servers through Tor and others directly with "onions"', () => {
    expect(federationRoute(onion, 'onions', socks)).toEqual({ via: 'tor', socks });
    expect(federationRoute('example.org', 'onions', socks)).toEqual({ via: 'direct' });
  });

  it('sends every server through Tor with "all"', () => {
    expect(federationRoute('example.org', 'all', socks)).toEqual({ via: 'tor', socks });
    expect(federationRoute(onion, 'all', socks)).toEqual({ via: 'tor', socks });
  });

  it('never uses Tor with "clearnet", so onion servers cannot be reached', () => {
    expect(federationRoute('example.org', 'clearnet', socks)).toEqual({ via: 'direct' });
    expect(federationRoute(onion, 'clearnet', socks)).toMatchObject({ via: 'none' });
  });

  it('reaches no onion server while Tor is not running', () => {
    expect(federationRoute(onion, 'onions', undefined)).toEqual({ via: 'none', reason: 'Tor is not running, so this server cannot be reached through it' });
    expect(federationRoute('example.org', 'all', undefined)).toMatchObject({ via: 'none' });
    expect(federationRoute('example.org', 'onions', undefined)).toEqual({ via: 'direct' });
  });

  it('knows an onion domain, also with a trailing dot', () => {
    expect(isOnionDomain(onion)).toBe(true);
    expect(isOnionDomain(`${onion.toUpperCase()}.`)).toBe(true);
    expect(isOnionDomain('onion.example.org')).toBe(false);
  });
});
