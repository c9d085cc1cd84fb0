import { describe, expect, it } from 'vitest';
import { parseHostPort } from '../../../server/util/host-port.js';

describe('host:port', () => {
  it('reads host names, IPv4 and bracketed IPv6 addresses', () => {
    expect(parseHostPort('Pi.Local:5269')).toEqual({ host: 'pi.local', port: 5269 });
    expect(parseHostPort('192.168.1.20:5270')).toEqual({ host: '192.168.1.20', port: 5270 });
    expect(parseHostPort('[FD00::20]:5269')).toEqual({ host: 'fd00::20', port: 5269 });
    expect(parseHostPort('xyz.onion:5269')).toEqual({ host: 'xyz.onion', port: 5269 });
  });

  it('refuses what is not one', () => {
    for (const bad of ['pi.local', ':5269', 'pi.local:0', 'pi.local:65536', 'fd00::20:5269', '[pi.local]:5269', 'under_score.example:5269', 'a b:1']) {
      expect(parseHostPort(bad), bad).toBeUndefined();
    }
  });
});
