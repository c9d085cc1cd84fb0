// The NAT-PMP client (RFC 6886) against a responder on 127.0.0.1: what it asks the router for,
// byte by byte, and how it says the router did not answer or refused.
import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { NatPmpClient } from '../../../../server/services/port-mapping/nat-pmp.js';
import { NatPmpResponder } from '../../../support/nat-pmp-responder.js';

let responder: NatPmpResponder | undefined;
let client: NatPmpClient | undefined;
afterEach(async () => {
  client?.close();
  await responder?.close();
  responder = client = undefined;
});

async function start() {
  responder = await NatPmpResponder.start({ externalAddress: '198.51.100.20' });
  client = new NatPmpClient({ host: '127.0.0.1', port: responder.port, initialTimeoutMs: 20, attempts: 3 });
  return { responder, client };
}

describe('the NAT-PMP client', () => {
  it("asks for the router's external address (RFC 6886 §3.2)", async () => {
    const { responder, client } = await start();
    const answer = await client.externalAddress();
    expect(answer).toEqual({ ok: true, value: { address: '198.51.100.20', epoch: expect.any(Number) } });
    expect(responder.requests.map((r) => r.op)).toEqual([0]);
  });

  it('asks for a TCP mapping with the internal port, the wished external port and the lifetime (§3.3)', async () => {
    const { responder, client } = await start();
    const answer = await client.map(5222, 5222, 7200);
    expect(answer).toMatchObject({ ok: true, value: { internalPort: 5222, externalPort: 5222, lifetimeSeconds: 7200 } });
    expect(responder.mappingRequests()).toEqual([{ op: 2, internalPort: 5222, externalPort: 5222, lifetimeSeconds: 7200, at: expect.any(Number) }]);
    expect(responder.mappings.get(5222)).toEqual({ externalPort: 5222, lifetimeSeconds: 7200 });
  });

  it('takes the external port and lifetime the router grants, which may differ from the wish', async () => {
    responder = await NatPmpResponder.start({ assignPort: (wish) => wish + 10_000, grantLifetime: () => 3600 });
    client = new NatPmpClient({ host: '127.0.0.1', port: responder.port, initialTimeoutMs: 20, attempts: 3 });
    expect(await client.map(5269, 5269, 7200)).toMatchObject({ ok: true, value: { externalPort: 15269, lifetimeSeconds: 3600 } });
  });

  it('deletes a mapping with lifetime 0 and external port 0 (§3.4)', async () => {
    const { responder, client } = await start();
    await client.map(5223, 5223, 7200);
    expect(await client.unmap(5223)).toEqual({ ok: true, value: undefined });
    expect(responder.mappingRequests().at(-1)).toMatchObject({ op: 2, internalPort: 5223, externalPort: 0, lifetimeSeconds: 0 });
    expect(responder.mappings.has(5223)).toBe(false);
  });

  it('says in words why the router refused (§3.5 result codes)', async () => {
    const { responder, client } = await start();
    responder.mappingResultCode = 2;
    expect(await client.map(5222, 5222, 7200)).toEqual({ ok: false, error: 'the router refuses port mappings (NAT-PMP may be switched off in its settings)' });
  });

  it('retransmits with doubling waits and then says the router did not answer (§3.1)', async () => {
    const { responder, client } = await start();
    responder.silent = true;
    const answer = await client.externalAddress();
    expect(answer).toMatchObject({ ok: false, noAnswer: true, error: expect.stringMatching(/did not answer NAT-PMP \(asked 3 times/) });
    expect(responder.requests).toHaveLength(3);
    const [first, second, third] = responder.requests.map((r) => r.at);
    expect(third! - second!).toBeGreaterThanOrEqual(second! - first! - 5);
  });

  it('says clearly that nothing answers when no router listens at that address', async () => {
    // A port that was just free: nothing listens there.
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const port = socket.address().port;
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    client = new NatPmpClient({ host: '127.0.0.1', port, initialTimeoutMs: 20, attempts: 3 });
    const answer = await client.externalAddress();
    expect(answer.ok).toBe(false);
    if (!answer.ok) expect(answer.error).toMatch(/does not answer NAT-PMP|did not answer NAT-PMP/);
  });

  it('ignores answers to another question (a different opcode)', async () => {
    const { responder, client } = await start();
    const [address, mapping] = await Promise.all([client.externalAddress(), client.map(5222, 5222, 120)]);
    expect(address.ok && mapping.ok).toBe(true);
    expect(responder.requests.map((r) => r.op)).toEqual([0, 2]);
  });
});
