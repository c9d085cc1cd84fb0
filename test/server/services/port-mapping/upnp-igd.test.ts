// The UPnP IGD client against a responder on 127.0.0.1 given by its description's address (no
// SSDP): the SOAP actions it sends, their arguments, and the router's refusals in words.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { UpnpIgdClient } from '../../../../server/services/port-mapping/upnp-igd.js';
import { readDescription } from '../../../../server/services/port-mapping/upnp-description.js';
import { UpnpIgdResponder, type UpnpResponderOptions } from '../../../support/upnp-igd-responder.js';

let responder: UpnpIgdResponder | undefined;
afterEach(async () => {
  await responder?.close();
  responder = undefined;
});

async function connect(options: UpnpResponderOptions = {}) {
  responder = await UpnpIgdResponder.start(options);
  const connected = await UpnpIgdClient.connect(new URL(responder.gateway), 2000);
  if (!connected.ok) throw new Error(connected.error);
  return { responder, client: connected.value.client, externalAddress: connected.value.externalAddress };
}

describe('the UPnP IGD client', () => {
  it("reads the description, finds the WAN connection service and asks for the router's public address", async () => {
    const { responder, client, externalAddress } = await connect({ externalAddress: '198.51.100.30' });
    expect(externalAddress).toBe('198.51.100.30');
    expect(client.serviceType).toBe('urn:schemas-upnp-org:service:WANIPConnection:1');
    expect(responder.actionsNamed('GetExternalIPAddress')[0]?.soapAction).toBe('"urn:schemas-upnp-org:service:WANIPConnection:1#GetExternalIPAddress"');
  });

  it('maps a TCP port to this computer with AddPortMapping, with the ports, lease and its own address', async () => {
    const { responder, client } = await connect();
    expect(await client.map(5222, 5222, 7200, 'Hearth c2s')).toEqual({ ok: true, value: { externalPort: 5222, lifetimeSeconds: 7200 } });
    expect(responder.actionsNamed('AddPortMapping')[0]?.args).toEqual({
      NewRemoteHost: '',
      NewExternalPort: '5222',
      NewProtocol: 'TCP',
      NewInternalPort: '5222',
      NewInternalClient: '127.0.0.1',
      NewEnabled: '1',
      NewPortMappingDescription: 'Hearth c2s',
      NewLeaseDuration: '7200',
    });
  });

  it('deletes the mapping with DeletePortMapping for the external port and TCP', async () => {
    const { responder, client } = await connect();
    await client.map(5269, 5269, 7200, 'Hearth s2s');
    expect(await client.unmap(5269)).toEqual({ ok: true, value: undefined });
    expect(responder.actionsNamed('DeletePortMapping')[0]?.args).toEqual({ NewRemoteHost: '', NewExternalPort: '5269', NewProtocol: 'TCP' });
    expect(responder.mappings.size).toBe(0);
  });

  it('counts a mapping the router no longer has (error 714) as deleted', async () => {
    const { client } = await connect();
    expect(await client.unmap(5223)).toEqual({ ok: true, value: undefined });
  });

  it('asks for a permanent mapping when an IGD v1 router only keeps those (error 725)', async () => {
    const { responder, client } = await connect();
    responder.onlyPermanentLeases = true;
    expect(await client.map(5223, 5223, 7200, 'Hearth c2sTls')).toEqual({ ok: true, value: { externalPort: 5223, lifetimeSeconds: 0 } });
    expect(responder.actionsNamed('AddPortMapping').map((a) => a.args.NewLeaseDuration)).toEqual(['7200', '0']);
  });

  it('says another device holds the port when the router answers error 718', async () => {
    const { responder, client } = await connect();
    responder.takenPorts.add(5281);
    expect(await client.map(5281, 5281, 7200, 'Hearth https')).toMatchObject({ ok: false, error: 'another device on the network already uses that external port on the router (UPnP error 718)' });
  });

  it('works with a DSL router that offers WANPPPConnection and with IGD v2', async () => {
    for (const serviceType of ['urn:schemas-upnp-org:service:WANPPPConnection:1', 'urn:schemas-upnp-org:service:WANIPConnection:2']) {
      const { client } = await connect({ serviceType });
      expect(client.serviceType).toBe(serviceType);
      expect((await client.map(5222, 5222, 7200, 'Hearth c2s')).ok).toBe(true);
      await responder!.close();
      responder = undefined;
    }
  });

  it('does not follow a control address on another host than the description', async () => {
    responder = await UpnpIgdResponder.start({ foreignControlUrl: true });
    const connected = await UpnpIgdClient.connect(new URL(responder.gateway), 2000);
    expect(connected).toMatchObject({ ok: false, error: expect.stringMatching(/offers no port mapping service/) });
    expect(responder.actions).toEqual([]);
  });

  it('says clearly that the router cannot be reached when nothing listens at the address', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const connected = await UpnpIgdClient.connect(new URL(`http://127.0.0.1:${port}/rootDesc.xml`), 2000);
    expect(connected).toEqual({ ok: false, noAnswer: true, error: 'the router refused the connection (nothing answers UPnP at that address)' });
  });

  it('gives up on a router that accepts the connection but never answers', async () => {
    const server = createServer(() => {
      // never answers
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const connected = await UpnpIgdClient.connect(new URL(`http://127.0.0.1:${port}/rootDesc.xml`), 200);
      expect(connected).toMatchObject({ ok: false, noAnswer: true, error: expect.stringMatching(/did not answer within/) });
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('reading a device description', () => {
  const location = new URL('http://192.168.1.1:5000/rootDesc.xml');

  it('refuses one with a DOCTYPE', () => {
    const xml = '<?xml version="1.0"?><!DOCTYPE root [<!ENTITY x "y">]><root xmlns="urn:schemas-upnp-org:device-1-0"/>';
    expect(readDescription(xml, location)).toMatchObject({ ok: false, error: expect.stringMatching(/DOCTYPE/) });
  });

  it('says so when the address leads to something other than a UPnP description', () => {
    expect(readDescription('<html><body>router login</body></html>', location)).toEqual({ ok: false, error: 'the address does not lead to a UPnP device description' });
  });

  it('resolves relative control addresses against the description address', () => {
    const xml = `<root xmlns="urn:schemas-upnp-org:device-1-0"><device><serviceList><service>
      <serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType><controlURL>ctl/IPConn</controlURL>
    </service></serviceList></device></root>`;
    const read = readDescription(xml, location);
    expect(read.ok && read.services[0]?.controlUrl.href).toBe('http://192.168.1.1:5000/ctl/IPConn');
  });
});
