// The s2s.* settings (README "Configuration"): safe defaults, domains prepared as JIDs compare
// them, and a message naming the key for every bad value.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../server/config/load.js';

describe('federation settings', () => {
  it('default to on, no exceptions, no static routes, and bounded waits', () => {
    const result = parseConfig({ domain: 'home.example' }, { dataDir: '/tmp/x' });
    expect(result.ok && result.config.s2s).toEqual({ enabled: true, insecureDomains: [], routes: {}, connectTimeoutSeconds: 60, idleTimeoutSeconds: 600 });
    expect(result.ok && result.config.ports.s2sTls).toBeUndefined();
  });

  it('prepare allow-listed and routed domains', () => {
    const result = parseConfig({ s2s: { insecureDomains: ['Old-Pi.Example.'], routes: { 'Friend.Example': 'Pi.Local:5269', 'cousin.example': '[FD00::20]:5270' } } });
    expect(result.ok && result.config.s2s.insecureDomains).toEqual(['old-pi.example']);
    expect(result.ok && result.config.s2s.routes).toEqual({ 'friend.example': 'Pi.Local:5269', 'cousin.example': '[FD00::20]:5270' });
  });

  it('name the key of a bad route, domain or timeout', () => {
    const result = parseConfig({
      s2s: { routes: { 'friend.example': 'friend.example', 'not a domain': '192.168.1.20:5269' }, insecureDomains: ['bad domain!'], connectTimeoutSeconds: 0, caFile: '' },
    });
    expect(result.ok).toBe(false);
    const errors = (result.ok ? [] : result.errors).join('\n');
    expect(errors).toContain('s2s.routes.friend.example: must be host:port');
    expect(errors).toContain('s2s.routes.not a domain: must be a domain name');
    expect(errors).toContain('s2s.insecureDomains.0: must be a domain name');
    expect(errors).toContain('s2s.connectTimeoutSeconds');
    expect(errors).toContain('s2s.caFile');
  });

  it('refuse unknown keys, so a typo does not go unnoticed', () => {
    const result = parseConfig({ s2s: { insecureDomain: ['x.example'] } });
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.errors.join('\n')).toContain('insecureDomain');
  });
});
