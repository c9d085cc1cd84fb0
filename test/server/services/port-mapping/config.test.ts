// The portMapping section of the config file: off by default, and bad values named by key.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../../server/config/load.js';
import { parseGatewayAddress } from '../../../../server/services/port-mapping/gateway-address.js';

const errors = (portMapping: unknown) => {
  const result = parseConfig({ domain: 'localhost', dataDir: '/tmp/hearth-config-test', portMapping });
  return result.ok ? [] : result.errors;
};

describe('the portMapping settings', () => {
  it('are off by default, with every listener chosen and two-hour mappings', () => {
    const result = parseConfig({ domain: 'localhost', dataDir: '/tmp/hearth-config-test' });
    expect(result.ok && result.config.portMapping).toEqual({ enabled: false, protocol: 'auto', ports: ['c2s', 'c2sTls', 's2s', 'https'], lifetimeSeconds: 7200 });
  });

  it('take a router IP address or a UPnP description address as the gateway', () => {
    expect(errors({ gateway: '192.168.1.1' })).toEqual([]);
    expect(errors({ gateway: '127.0.0.1:40000' })).toEqual([]);
    expect(errors({ gateway: 'http://192.168.1.1:5000/rootDesc.xml', protocol: 'upnp' })).toEqual([]);
    expect(errors({ gateway: 'router.local' })[0]).toMatch(/^portMapping\.gateway: must be the router's IPv4 address \(such as 192\.168\.1\.1\)/);
  });

  it('refuse a gateway that does not fit the protocol', () => {
    expect(errors({ gateway: '192.168.1.1', protocol: 'upnp' })[0]).toMatch(/^portMapping\.gateway: must be the http:\/\/ address of the router's UPnP description when portMapping\.protocol is upnp/);
    expect(errors({ gateway: 'http://192.168.1.1/desc.xml', protocol: 'nat-pmp' })[0]).toMatch(/^portMapping\.gateway: must be an IPv4 address when portMapping\.protocol is nat-pmp/);
  });

  it('refuse unknown listeners, repeated ones and lifetimes out of bounds', () => {
    expect(errors({ ports: ['c2s', 'admin'] })[0]).toMatch(/^portMapping\.ports\.1:/);
    expect(errors({ ports: ['c2s', 'c2s'] })[0]).toMatch(/^portMapping\.ports: must name each port only once/);
    expect(errors({ lifetimeSeconds: 10 })[0]).toMatch(/^portMapping\.lifetimeSeconds:/);
  });

  it('parse gateway addresses into protocol and place', () => {
    expect(parseGatewayAddress('10.0.0.1')).toEqual({ protocol: 'nat-pmp', host: '10.0.0.1', port: undefined });
    expect(parseGatewayAddress('10.0.0.1:5351')).toEqual({ protocol: 'nat-pmp', host: '10.0.0.1', port: 5351 });
    expect(parseGatewayAddress('fd00::1')).toBeUndefined(); // NAT-PMP is IPv4 only
    expect(parseGatewayAddress('http://10.0.0.1:49000/igddesc.xml')).toMatchObject({ protocol: 'upnp' });
    expect(parseGatewayAddress('https://10.0.0.1/desc.xml')).toBeUndefined();
    expect(parseGatewayAddress('10.0.0.1:0')).toBeUndefined();
  });
});
