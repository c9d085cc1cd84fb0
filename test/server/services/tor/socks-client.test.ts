// Dialing through a SOCKS5 port, against a local listener standing in for tor's.
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connectViaSocks } from '../../../../server/services/tor/socks-client.js';

const onion = 'eqw62flwrfqw4fxjhsrfwsjfzikdhxgubh4vqslj2nwlsjxb6uwinvad.onion';
let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A SOCKS5 stand-in: records the CONNECT request and answers it with `reply`, then echoes. */
async function fakeSocks(reply: number, seen: Array<{ host: string; port: number }>): Promise<number> {
  server = createServer((socket: Socket) => {
    let buffer = Buffer.alloc(0);
    let stage = 0;
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (stage === 0 && buffer.length >= 3) {
        expect([...buffer.subarray(0, 3)]).toEqual([5, 1, 0]);
        buffer = buffer.subarray(3);
        socket.write(Buffer.from([5, 0]));
        stage = 1;
      }
      if (stage === 1 && buffer.length >= 5 && buffer.length >= 5 + buffer[4]! + 2) {
        expect([...buffer.subarray(0, 4)]).toEqual([5, 1, 0, 3]);
        const length = buffer[4]!;
        seen.push({ host: buffer.subarray(5, 5 + length).toString(), port: buffer.readUInt16BE(5 + length) });
        buffer = Buffer.alloc(0);
        stage = 2;
        // Success with a bound IPv4 address, and the first bytes of the far end in the same packet.
        socket.write(Buffer.concat([Buffer.from([5, reply, 0, 1, 127, 0, 0, 1, 0x14, 0x95]), Buffer.from(reply === 0 ? '<stream' : '')]));
        if (reply !== 0) socket.end();
        return;
      }
      if (stage === 2) socket.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
  return (server!.address() as { port: number }).port;
}

describe('dialing through SOCKS5', () => {
  it('asks the proxy for the host by name and hands over the connection', async () => {
    const seen: Array<{ host: string; port: number }> = [];
    const port = await fakeSocks(0, seen);
    const socket = await connectViaSocks({ socks: { host: '127.0.0.1', port }, host: onion, port: 5269 });
    expect(seen).toEqual([{ host: onion, port: 5269 }]);
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.resume();
    socket.write('hello');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(Buffer.concat(received).toString()).toBe('<streamhello');
    socket.destroy();
  });

  it("names tor's reason when an onion service cannot be reached", async () => {
    const port = await fakeSocks(0xf0, []);
    await expect(connectViaSocks({ socks: { host: '127.0.0.1', port }, host: onion, port: 5269 })).rejects.toMatchObject({
      message: `Tor could not connect to ${onion}: onion service descriptor can not be found`,
      reply: 0xf0,
    });
  });

  it('says when the SOCKS port is not there', async () => {
    const port = await fakeSocks(0, []);
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    await expect(connectViaSocks({ socks: { host: '127.0.0.1', port }, host: onion, port: 5269 })).rejects.toThrow("cannot reach Tor's SOCKS port: ECONNREFUSED");
  });
});
