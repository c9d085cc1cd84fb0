// Happy Eyeballs (RFC 8305) on loopback: the families interleaved, and the next address tried as
// soon as one fails.
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectHappyEyeballs, interleaveFamilies } from '../../../server/s2s/happy-eyeballs.js';
import { freeTcpPort } from '../../support/prosody.js';

describe('the address order (RFC 8305 §4)', () => {
  it('alternates IPv6 and IPv4, IPv6 first', () => {
    const ordered = interleaveFamilies([
      { address: '192.0.2.1', family: 4 },
      { address: '192.0.2.2', family: 4 },
      { address: '192.0.2.3', family: 4 },
      { address: '2001:db8::1', family: 6 },
    ]);
    expect(ordered.map((a) => a.address)).toEqual(['2001:db8::1', '192.0.2.1', '192.0.2.2', '192.0.2.3']);
  });
});

describe('connecting', () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    server = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('moves on at once from an address that refuses, long before the attempt delay', async () => {
    const started = Date.now();
    // Nothing listens on 127.0.0.2 at that port (the listener is bound to 127.0.0.1 only).
    const socket = await connectHappyEyeballs(
      [
        { address: '127.0.0.2', family: 4 },
        { address: '127.0.0.1', family: 4 },
      ],
      port,
      { attemptDelayMs: 5000, attemptTimeoutMs: 5000 },
    );
    expect(socket.remoteAddress).toBe('127.0.0.1');
    expect(Date.now() - started).toBeLessThan(2000);
    socket.destroy();
  });

  it('fails with the last error when no address answers', async () => {
    const closed = await freeTcpPort();
    await expect(connectHappyEyeballs([{ address: '127.0.0.1', family: 4 }], closed, { attemptTimeoutMs: 2000 })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('gives up when aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(connectHappyEyeballs([{ address: '127.0.0.1', family: 4 }], port, { attemptTimeoutMs: 2000, signal: controller.signal })).rejects.toThrow(/abandoned/);
  });
});
