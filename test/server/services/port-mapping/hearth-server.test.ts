// The real Hearth server with port mapping on and portMapping.gateway pointed at responders on
// 127.0.0.1: the listeners' real ports are mapped, the status and the self-test come through the
// control API (also over the admin port's HTTP API, as the browser UI uses it), the switch is
// saved into the config file and applied at once, and stopping deletes the mappings.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ControlResult, PortMappingStatus } from '../../../../server/control/contract.js';
import { readAdminToken } from '../../../../server/control/admin-token.js';
import { createHttpAdminApi } from '../../../../renderer/src/http-admin-api.js';
import type { ServerOptions } from '../../../../server/main.js';
import { NatPmpResponder } from '../../../support/nat-pmp-responder.js';
import { startTestServer, type TestServer } from '../../../support/server.js';
import { UpnpIgdResponder } from '../../../support/upnp-igd-responder.js';

let t: TestServer | undefined;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await t?.stop();
  t = undefined;
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function value<T>(result: ControlResult<T>): T {
  if (!result.ok) throw new Error(`expected success, got: ${result.error}`);
  return result.value;
}

// No router is ever searched for on the network: the tests give the responder's address.
const options: ServerOptions = {
  portMapping: { discover: async () => ({ candidates: [], problems: ['no discovery in tests'] }), timeouts: { natPmpInitialMs: 20, natPmpAttempts: 3, upnpMs: 2000 } },
};

const mappedStatus = async () => {
  await vi.waitFor(() => expect(t!.server.portMapping.status().state).toBe('mapped'), { timeout: 5000 });
  return value(await t!.server.control.request('portMapping.status', {}));
};

describe('port mapping in the running server', { timeout: 20_000 }, () => {
  it("maps the real listeners' ports over NAT-PMP and reports them through the control API", async () => {
    const responder = await NatPmpResponder.start({ externalAddress: '81.2.69.160' });
    cleanups.push(() => responder.close());
    t = await startTestServer({ portMapping: { enabled: true, gateway: responder.gateway } }, undefined, options);

    const status = await mappedStatus();
    const expected = (['c2s', 'c2sTls', 's2s', 'https'] as const).map((name) => ({ name, port: t!.server.listeners.find((l) => l.name === name)!.port }));
    expect(status).toMatchObject({ enabled: true, protocol: 'auto', state: 'mapped', publicAddress: '81.2.69.160', publicAddressKind: 'public', router: { protocol: 'nat-pmp' } });
    expect(status.ports.map((p) => [p.name, p.internalPort, p.externalPort, p.lifetimeSeconds])).toEqual(expected.map(({ name, port }) => [name, port, port, 7200]));
    expect(responder.mappingRequests().map((r) => r.internalPort).sort()).toEqual(expected.map((e) => e.port).sort());

    const report = value(await t.server.control.request('portMapping.selfTest', {}));
    expect(report.routerAnswered).toBe(true);
    expect(report.ports.map((p) => [p.name, p.listening, p.mapped, p.verdict])).toEqual(expected.map(({ name }) => [name, true, true, 'open']));

    await t.stop();
    t = undefined;
    expect(responder.mappings.size).toBe(0);
  });

  it('switches mapping off and on at once from the control API, and saves the switch', async () => {
    const responder = await UpnpIgdResponder.start({ externalAddress: '81.2.69.161' });
    cleanups.push(() => responder.close());
    t = await startTestServer({ portMapping: { enabled: true, protocol: 'upnp', gateway: responder.gateway, ports: ['c2s', 'https'] } }, undefined, options);
    await mappedStatus();
    expect(responder.mappings.size).toBe(2);
    const events: PortMappingStatus[] = [];
    const unsubscribe = t.server.control.subscribe('portMapping', (status) => events.push(status));

    const off = value(await t.server.control.request('portMapping.setOptions', { enabled: false }));
    expect(off).toMatchObject({ enabled: false, state: 'off' });
    expect(responder.mappings.size).toBe(0);
    expect(responder.actionsNamed('DeletePortMapping')).toHaveLength(2);
    const saved = () => JSON.parse(readFileSync(join(t!.dataDir, 'hearth.json'), 'utf8')) as { domain?: string; portMapping?: Record<string, unknown> };
    expect(saved()).toMatchObject({ domain: 'localhost', portMapping: { enabled: false } });
    expect(events.at(-1)).toMatchObject({ enabled: false, state: 'off' });

    const on = value(await t.server.control.request('portMapping.setOptions', { enabled: true, ports: ['c2s'] }));
    expect(on).toMatchObject({ enabled: true, state: 'mapped', chosenPorts: ['c2s'] });
    expect([...responder.mappings.keys()]).toEqual([t.port('c2s')]);
    expect(saved().portMapping).toEqual({ enabled: true, ports: ['c2s'] });
    unsubscribe();
  });

  it('answers the status over the admin HTTP API, and refuses a bad request in words', async () => {
    const responder = await NatPmpResponder.start();
    cleanups.push(() => responder.close());
    t = await startTestServer({ portMapping: { enabled: true, gateway: responder.gateway, ports: ['c2s'] } }, undefined, options);
    await mappedStatus();
    const api = createHttpAdminApi({ baseUrl: `http://127.0.0.1:${t.port('admin')}`, getToken: () => readAdminToken(t!.dataDir) });
    try {
      const status = value(await api.request('portMapping.status', {}));
      expect(status.ports.find((p) => p.name === 'c2s')).toMatchObject({ state: 'mapped', externalPort: t.port('c2s') });
      expect(await api.request('portMapping.setOptions', { ports: ['c2s', 'c2s'] })).toEqual({ ok: false, error: 'name each port only once' });
    } finally {
      api.close();
    }
  });

  it('shows a clear error and a dashboard warning when the router cannot be reached', async () => {
    const responder = await NatPmpResponder.start();
    responder.silent = true;
    cleanups.push(() => responder.close());
    t = await startTestServer({ portMapping: { enabled: true, gateway: responder.gateway } }, undefined, options);
    await vi.waitFor(() => expect(t!.server.portMapping.status().state).toBe('failed'), { timeout: 5000 });
    const status = value(await t.server.control.request('portMapping.status', {}));
    expect(status.lastError).toMatch(/^the router did not answer NAT-PMP/);
    const warnings = value(await t.server.control.request('status', {})).warnings;
    expect(warnings.find((w) => w.id === 'port-mapping')?.message).toMatch(/^Port mapping: the router did not answer NAT-PMP/);
  });

  it('leaves the router alone by default', async () => {
    const responder = await NatPmpResponder.start();
    cleanups.push(() => responder.close());
    t = await startTestServer({}, undefined, options);
    expect(t.config.portMapping).toEqual({ enabled: false, protocol: 'auto', ports: ['c2s', 'c2sTls', 's2s', 'https'], lifetimeSeconds: 7200 });
    expect(value(await t.server.control.request('portMapping.status', {}))).toMatchObject({ enabled: false, state: 'off' });
    expect(responder.requests).toEqual([]);
  });
});
