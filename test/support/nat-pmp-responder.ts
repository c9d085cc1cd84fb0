// A NAT-PMP responder (RFC 6886) for tests: UDP on 127.0.0.1 at an ephemeral port, answering
// the external address request (§3.2) and TCP/UDP mapping requests (§3.3, §3.4) the way a home
// router does, and recording every request so tests can check what the client asked for. No
// multicast, nothing on real interfaces: the client is given this address directly.
import { createSocket, type Socket } from 'node:dgram';

export interface NatPmpRequest {
  op: number;
  /** Mapping requests (op 1 UDP, 2 TCP) only. */
  internalPort?: number;
  externalPort?: number;
  lifetimeSeconds?: number;
  at: number;
}

export interface NatPmpResponderOptions {
  externalAddress?: string;
  /** The external port the router gives for a wish (default: the wish, or the internal port for 0). */
  assignPort?: (requested: number, internal: number) => number;
  /** The lifetime granted for a requested one (default: as asked). */
  grantLifetime?: (requested: number) => number;
  /** The time the epoch counts with (§3.6); tests with a hand-moved clock give theirs. */
  now?: () => number;
}

export class NatPmpResponder {
  readonly requests: NatPmpRequest[] = [];
  /** Current mappings by internal port (TCP). */
  readonly mappings = new Map<number, { externalPort: number; lifetimeSeconds: number }>();
  externalAddress: string;
  /** Drop every request without an answer, like a router with NAT-PMP off. */
  silent = false;
  /** Answer mapping requests with this result code (§3.5) instead of success. */
  mappingResultCode = 0;
  /** The mapping table's start (§3.6): `restart()` plays a router that rebooted. */
  private epochBase: { seconds: number; at: number };
  private constructor(
    private readonly socket: Socket,
    private readonly options: NatPmpResponderOptions,
  ) {
    this.externalAddress = options.externalAddress ?? '203.0.113.7';
    this.epochBase = { seconds: 1000, at: this.now() };
  }

  /** Seconds since the router's mapping table started. */
  get epoch(): number {
    return this.epochBase.seconds + Math.floor((this.now() - this.epochBase.at) / 1000);
  }

  /** The router reboots: its mappings are gone and its epoch starts again from 0 (§3.7). */
  restart(): void {
    this.mappings.clear();
    this.epochBase = { seconds: 0, at: this.now() };
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  static async start(options: NatPmpResponderOptions = {}): Promise<NatPmpResponder> {
    const socket = createSocket('udp4');
    const responder = new NatPmpResponder(socket, options);
    socket.on('message', (message, remote) => responder.answer(message, remote.address, remote.port));
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return responder;
  }

  get port(): number {
    return this.socket.address().port;
  }

  /** portMapping.gateway for this responder. */
  get gateway(): string {
    return `127.0.0.1:${this.port}`;
  }

  mappingRequests(): NatPmpRequest[] {
    return this.requests.filter((r) => r.op === 1 || r.op === 2);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  private answer(message: Buffer, address: string, port: number): void {
    if (message.length < 2) return;
    const op = message[1]!;
    const request: NatPmpRequest = { op, at: this.now() };
    if ((op === 1 || op === 2) && message.length >= 12) {
      request.internalPort = message.readUInt16BE(4);
      request.externalPort = message.readUInt16BE(6);
      request.lifetimeSeconds = message.readUInt32BE(8);
    }
    this.requests.push(request);
    if (this.silent) return;
    if (message[0] !== 0) {
      // §3.5: unsupported version, answered with the request's opcode + 128.
      this.send(this.header(op, 1, 16), address, port);
      return;
    }
    if (op === 0) {
      const reply = this.header(0, 0, 12);
      this.externalAddress.split('.').forEach((part, i) => reply.writeUInt8(Number(part), 8 + i));
      this.send(reply, address, port);
      return;
    }
    if ((op === 1 || op === 2) && request.internalPort !== undefined) {
      const reply = this.header(op, this.mappingResultCode, 16);
      reply.writeUInt16BE(request.internalPort, 8);
      if (this.mappingResultCode === 0) {
        if (request.lifetimeSeconds === 0) {
          // §3.4: a deletion is answered with external port 0 and lifetime 0.
          if (op === 2) this.mappings.delete(request.internalPort);
        } else {
          const externalPort = this.options.assignPort?.(request.externalPort!, request.internalPort) ?? (request.externalPort || request.internalPort);
          const lifetimeSeconds = this.options.grantLifetime?.(request.lifetimeSeconds!) ?? request.lifetimeSeconds!;
          if (op === 2) this.mappings.set(request.internalPort, { externalPort, lifetimeSeconds });
          reply.writeUInt16BE(externalPort, 10);
          reply.writeUInt32BE(lifetimeSeconds, 12);
        }
      }
      this.send(reply, address, port);
      return;
    }
    this.send(this.header(op, 5, 8), address, port);
  }

  private header(op: number, resultCode: number, length: number): Buffer {
    const reply = Buffer.alloc(length);
    reply.writeUInt8(0, 0);
    reply.writeUInt8(128 + op, 1);
    reply.writeUInt16BE(resultCode, 2);
    reply.writeUInt32BE(this.epoch, 4);
    return reply;
  }

  private send(reply: Buffer, address: string, port: number): void {
    this.socket.send(reply, port, address);
  }
}
