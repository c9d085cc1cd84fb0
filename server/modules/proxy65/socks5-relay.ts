// The SOCKS5 side of a XEP-0065 proxy: two parties connect with the same destination address
// (a SHA-1 hash naming the bytestream, §5.3.2), and once the initiator activates the stream over
// XMPP the relay joins the two sockets. It speaks only the subset XEP-0065 uses (RFC 1928 with
// "no authentication", CONNECT, DOMAINNAME address), refuses everything else with the RFC's
// reply codes, and bounds every stream by bytes and idle time.
import type { Socket } from 'node:net';

export interface RelayLimits {
  /** Most bytes one bytestream may carry (both directions together); then both ends are closed. */
  maxBytes: number;
  /** A stream (pending or active) with no traffic this long is closed. */
  idleTimeoutMs: number;
  /** Handshakes in flight and connections waiting for activation, at most. */
  maxPending: number;
}

// RFC 1928 §6 reply codes.
const REPLY = { succeeded: 0x00, notAllowed: 0x02, commandNotSupported: 0x07, addressTypeNotSupported: 0x08 } as const;
const SOCKS_VERSION = 0x05;
const NO_AUTHENTICATION = 0x00;
const NO_ACCEPTABLE_METHODS = 0xff;
const CONNECT = 0x01;
const DOMAIN_NAME = 0x03;
/** A hex SHA-1: 40 characters (§5.3.2). */
const HASH = /^[0-9a-f]{40}$/;

interface Party {
  socket: Socket;
  /** Bytes that arrived after the request and before activation. */
  early: Buffer[];
}

interface Bytestream {
  /** The target connects first (§6.3.1), the initiator second (§6.3.2). */
  target: Party;
  initiator?: Party;
  active: boolean;
}

export type ActivationResult = 'activated' | 'not-found' | 'incomplete';

export class Socks5Relay {
  private readonly streams = new Map<string, Bytestream>();
  private readonly sockets = new Set<Socket>();
  /** Connections in the handshake or waiting for activation. */
  private readonly waiting = new Set<Socket>();

  constructor(private readonly limits: RelayLimits) {}

  /** Takes a freshly accepted connection through the SOCKS5 handshake. */
  accept(socket: Socket): void {
    if (this.waiting.size >= this.limits.maxPending) {
      socket.destroy();
      return;
    }
    this.waiting.add(socket);
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.setTimeout(this.limits.idleTimeoutMs, () => socket.destroy());
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.waiting.delete(socket);
      this.sockets.delete(socket);
      this.forget(socket);
    });

    let buffered = Buffer.alloc(0);
    let stage: 'greeting' | 'request' | 'waiting' = 'greeting';
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (stage === 'greeting') {
        const greeting = parseGreeting(buffered);
        if (greeting === 'incomplete') return;
        if (greeting === 'invalid' || !greeting.methods.includes(NO_AUTHENTICATION)) {
          socket.end(Buffer.from([SOCKS_VERSION, NO_ACCEPTABLE_METHODS]));
          return;
        }
        socket.write(Buffer.from([SOCKS_VERSION, NO_AUTHENTICATION]));
        buffered = buffered.subarray(greeting.length);
        stage = 'request';
      }
      if (stage === 'request') {
        const request = parseRequest(buffered);
        if (request === 'incomplete') return;
        if (typeof request === 'number') {
          socket.end(reply(request, ''));
          return;
        }
        const party: Party = { socket, early: [] };
        if (!this.register(request.address, party)) {
          socket.end(reply(REPLY.notAllowed, request.address));
          return;
        }
        socket.write(reply(REPLY.succeeded, request.address));
        const rest = buffered.subarray(request.length);
        if (rest.length > 0) party.early.push(rest);
        stage = 'waiting';
        socket.off('data', onData);
        // Until activation, anything the party sends is held, never relayed (§6.3.3).
        socket.on('data', (data: Buffer) => {
          party.early.push(data);
          if (party.early.reduce((n, b) => n + b.length, 0) > 65_536) socket.destroy();
        });
      }
    };
    socket.on('data', onData);
  }

  /** Joins the two ends of the bytestream named `hash` (§6.3.3, the initiator's activation). */
  activate(hash: string): ActivationResult {
    const stream = this.streams.get(hash);
    if (!stream) return 'not-found';
    if (!stream.initiator || stream.active) return 'incomplete';
    stream.active = true;
    this.waiting.delete(stream.target.socket);
    this.waiting.delete(stream.initiator.socket);
    this.join(stream.target, stream.initiator);
    return 'activated';
  }

  /** Bytestreams waiting for activation or relaying now. */
  get streamCount(): number {
    return this.streams.size;
  }

  close(): void {
    for (const socket of this.sockets) socket.destroy();
    this.streams.clear();
  }

  private register(hash: string, party: Party): boolean {
    const existing = this.streams.get(hash);
    if (!existing) {
      this.streams.set(hash, { target: party, active: false });
      return true;
    }
    if (existing.initiator) return false;
    existing.initiator = party;
    return true;
  }

  private join(a: Party, b: Party): void {
    let carried = 0;
    const cap = this.limits.maxBytes;
    const relay = (from: Party, to: Party) => {
      const forward = (data: Buffer) => {
        carried += data.length;
        if (carried > cap) {
          a.socket.destroy();
          b.socket.destroy();
          return;
        }
        if (!to.socket.write(data)) {
          from.socket.pause();
          to.socket.once('drain', () => from.socket.resume());
        }
      };
      from.socket.removeAllListeners('data');
      for (const data of from.early) forward(data);
      from.early = [];
      from.socket.on('data', forward);
      // A half-close is passed on, so the receiver sees the end of the file.
      from.socket.on('end', () => to.socket.end());
    };
    relay(a, b);
    relay(b, a);
    // One side gone: the stream is over for the other too.
    a.socket.on('close', () => b.socket.destroy());
    b.socket.on('close', () => a.socket.destroy());
  }

  private forget(socket: Socket): void {
    for (const [hash, stream] of this.streams) {
      if (stream.target.socket === socket || stream.initiator?.socket === socket) {
        if (!stream.active) {
          // The other end of an unactivated stream cannot be used any more either.
          stream.target.socket.destroy();
          stream.initiator?.socket.destroy();
        }
        this.streams.delete(hash);
      }
    }
  }
}

/** RFC 1928 §3: VER, NMETHODS, METHODS. */
function parseGreeting(data: Buffer): { methods: number[]; length: number } | 'incomplete' | 'invalid' {
  if (data.length < 2) return 'incomplete';
  if (data[0] !== SOCKS_VERSION || data[1] === 0) return 'invalid';
  const length = 2 + data[1]!;
  if (data.length < length) return 'incomplete';
  return { methods: [...data.subarray(2, length)], length };
}

/** RFC 1928 §4: VER, CMD, RSV, ATYP, DST.ADDR, DST.PORT — or the reply code refusing it. */
function parseRequest(data: Buffer): { address: string; length: number } | number | 'incomplete' {
  if (data.length < 5) return 'incomplete';
  if (data[0] !== SOCKS_VERSION) return REPLY.commandNotSupported;
  if (data[1] !== CONNECT) return REPLY.commandNotSupported;
  if (data[3] !== DOMAIN_NAME) return REPLY.addressTypeNotSupported;
  const addressLength = data[4]!;
  const length = 5 + addressLength + 2;
  if (data.length < length) return 'incomplete';
  const address = data.subarray(5, 5 + addressLength).toString('latin1').toLowerCase();
  if (!HASH.test(address)) return REPLY.addressTypeNotSupported;
  return { address, length };
}

function reply(code: number, address: string): Buffer {
  const name = Buffer.from(address, 'latin1');
  return Buffer.concat([Buffer.from([SOCKS_VERSION, code, 0x00, DOMAIN_NAME, name.length]), name, Buffer.from([0x00, 0x00])]);
}
