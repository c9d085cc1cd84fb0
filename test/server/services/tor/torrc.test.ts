import { describe, expect, it } from 'vitest';
import { buildTorrc, connectableAddress, hiddenServicePorts, quote, torPaths } from '../../../../server/services/tor/torrc.js';

describe('the torrc', () => {
  const paths = torPaths('/var/lib/hearth');

  it('keeps everything of tor in the data directory, the onion key in its own directory', () => {
    expect(paths).toMatchObject({
      root: '/var/lib/hearth/tor',
      dataDirectory: '/var/lib/hearth/tor/data',
      hiddenServiceDir: '/var/lib/hearth/tor/hidden-service',
      hostnameFile: '/var/lib/hearth/tor/hidden-service/hostname',
      controlPortFile: '/var/lib/hearth/tor/control-port',
      cookieFile: '/var/lib/hearth/tor/data/control_auth_cookie',
    });
  });

  it('maps the onion ports to the listeners, with SOCKS and control ports on loopback and cookie authentication', () => {
    const torrc = buildTorrc({
      paths,
      ports: [
        { virtualPort: 5222, host: '127.0.0.1', port: 5222 },
        { virtualPort: 443, host: '::1', port: 5281 },
      ],
      owningPid: 4242,
    });
    expect(torrc.split('\n').filter((line) => !line.startsWith('#'))).toEqual([
      'DataDirectory "/var/lib/hearth/tor/data"',
      'SocksPort 127.0.0.1:auto',
      'ControlPort 127.0.0.1:auto',
      'ControlPortWriteToFile "/var/lib/hearth/tor/control-port"',
      'CookieAuthentication 1',
      'CookieAuthFile "/var/lib/hearth/tor/data/control_auth_cookie"',
      'Log notice stdout',
      'HiddenServiceDir "/var/lib/hearth/tor/hidden-service"',
      'HiddenServicePort 5222 127.0.0.1:5222',
      'HiddenServicePort 443 [::1]:5281',
      '__OwningControllerProcess 4242',
      '',
    ]);
  });

  it('quotes paths with spaces, quotes and backslashes', () => {
    expect(quote('C:\\Users\\Mum "Home"\\Hearth')).toBe('"C:\\\\Users\\\\Mum \\"Home\\"\\\\Hearth"');
  });

  it('leads the onion ports to the running listeners, else to the configured ports', () => {
    const listeners = [
      { name: 'c2s', address: '::', port: 40001 },
      { name: 'c2sTls', address: '0.0.0.0', port: 40002 },
      { name: 'https', address: '192.168.1.20', port: 40003 },
      { name: 'admin', address: '127.0.0.1', port: 5380 },
    ];
    expect(hiddenServicePorts(listeners, { c2s: 0, c2sTls: 0, s2s: 5269, https: 0 }, '*')).toEqual([
      { virtualPort: 5222, host: '127.0.0.1', port: 40001 },
      { virtualPort: 5223, host: '127.0.0.1', port: 40002 },
      { virtualPort: 5269, host: '127.0.0.1', port: 5269 },
      { virtualPort: 443, host: '192.168.1.20', port: 40003 },
    ]);
    // Port 0 with no listener yet: nothing to lead to.
    expect(hiddenServicePorts([], { c2s: 0, c2sTls: 0, s2s: 0, https: 0 }, '*')).toEqual([]);
  });

  it('reaches listeners on every interface over loopback', () => {
    expect(connectableAddress('*')).toBe('127.0.0.1');
    expect(connectableAddress('::')).toBe('127.0.0.1');
    expect(connectableAddress('10.0.0.5')).toBe('10.0.0.5');
    expect(connectableAddress('kitchen-pc.local')).toBe('127.0.0.1');
  });
});
