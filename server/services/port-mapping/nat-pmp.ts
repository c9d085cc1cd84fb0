// A NAT-PMP client (RFC 6886): asks the router for its public address (§3.2), for a TCP port
// mapping (§3.3) and to delete one (§3.4). One small UDP request per question, sent to the
// router's port 5351 and retransmitted as §3.1 says: first after 250 ms, each wait doubling,
// at most 9 tries. The socket is connected to the router, so the kernel drops answers from any
// other address (§3.1: "the client MUST check the source IP address"). Tests give the host and
// port of their own responder on loopback.
import { createSocket, type Socket } from 'node:dgram';

export const natPmpPort = 5351;

export interface NatPmpOptions {
  host: string;
  port?: number;
  /** The first wait for an answer (§3.1: 250 ms); tests shorten it. */
  initialTimeoutMs?: number;
  /** Tries in all (§3.1: 9, about 2 minutes); tests lower it. */
  attempts?: number;
}

export type NatPmpResult<T> = { ok: true; value: T } | { ok: false; error: string; noAnswer?: boolean };

export interface NatPmpMapping {
  internalPort: number;
  externalPort: number;
  lifetimeSeconds: number;
  /** Seconds since the router's port mapping table was started (§3.6): a drop means it rebooted. */
  epoch: number;
}

const opExternalAddress = 0;
const opMapTcp = 2;
/** Answers carry the request's opcode plus 128 (§3.2). */
const answerOffset = 128;

/** §3.5 result codes, in words for the admin. */
const resultCodes: Record<number, string> = {
  1: 'the router does not support this version of NAT-PMP',
  2: 'the router refuses port mappings (NAT-PMP may be switched off in its settings)',
  3: 'the router has no working internet connection yet',
  4: 'the router has no free ports left',
  5: 'the router does not support this NAT-PMP request',
};

export class NatPmpClient {
  private readonly port: number;
  private readonly initialTimeoutMs: number;
  private readonly attempts: number;
  /** One question at a time: answers carry no request id, only the opcode (§3.1). */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly sockets = new Set<Socket>();
  private closed = false;

  constructor(private readonly options: NatPmpOptions) {
    this.port = options.port ?? natPmpPort;
    this.initialTimeoutMs = options.initialTimeoutMs ?? 250;
    this.attempts = options.attempts ?? 9;
  }

  get host(): string {
    return this.options.host;
  }

  /** §3.2: the router's external IPv4 address. */
  async externalAddress(): Promise<NatPmpResult<{ address: string; epoch: number }>> {
    const answer = await this.ask(Buffer.from([0, opExternalAddress]), opExternalAddress, 12);
    if (!answer.ok) return answer;
    const bytes = answer.value;
    return { ok: true, value: { address: `${bytes[8]}.${bytes[9]}.${bytes[10]}.${bytes[11]}`, epoch: bytes.readUInt32BE(4) } };
  }

  /**
   * §3.3: a TCP mapping from `externalPort` (a wish: the router may give another) to this
   * computer's `internalPort`. Asking again before it expires renews it.
   */
  async map(internalPort: number, externalPort: number, lifetimeSeconds: number): Promise<NatPmpResult<NatPmpMapping>> {
    const answer = await this.ask(mapRequest(internalPort, externalPort, lifetimeSeconds), opMapTcp, 16);
    if (!answer.ok) return answer;
    const bytes = answer.value;
    return {
      ok: true,
      value: { epoch: bytes.readUInt32BE(4), internalPort: bytes.readUInt16BE(8), externalPort: bytes.readUInt16BE(10), lifetimeSeconds: bytes.readUInt32BE(12) },
    };
  }

  /** §3.4: a lifetime of 0 deletes the mapping; the requested external port MUST then be 0. */
  async unmap(internalPort: number): Promise<NatPmpResult<void>> {
    const answer = await this.ask(mapRequest(internalPort, 0, 0), opMapTcp, 16);
    return answer.ok ? { ok: true, value: undefined } : answer;
  }

  /** Stops every question still waiting. */
  close(): void {
    this.closed = true;
    for (const socket of this.sockets) socket.close();
    this.sockets.clear();
  }

  private ask(request: Buffer, op: number, minLength: number): Promise<NatPmpResult<Buffer>> {
    const run = () => this.exchange(request, op, minLength);
    const next = this.queue.then(run, run);
    this.queue = next;
    return next;
  }

  private exchange(request: Buffer, op: number, minLength: number): Promise<NatPmpResult<Buffer>> {
    if (this.closed) return Promise.resolve({ ok: false, error: 'port mapping was stopped' });
    return new Promise((resolve) => {
      // NAT-PMP speaks IPv4 only (RFC 6886 §1).
      const socket = createSocket('udp4');
      this.sockets.add(socket);
      let timer: NodeJS.Timeout | undefined;
      let done = false;
      const finish = (result: NatPmpResult<Buffer>) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.sockets.delete(socket);
        try {
          socket.close();
        } catch {
          // already closed by close()
        }
        resolve(result);
      };
      let tries = 0;
      let wait = this.initialTimeoutMs;
      const send = () => {
        if (tries >= this.attempts) {
          finish({ ok: false, noAnswer: true, error: `the router did not answer NAT-PMP (asked ${tries} times over ${formatSeconds(totalWait(this.initialTimeoutMs, tries))})` });
          return;
        }
        tries += 1;
        socket.send(request);
        timer = setTimeout(send, wait);
        wait *= 2;
      };
      socket.on('message', (message) => {
        // Too short, another version or another opcode: not the answer to this question (§3.1).
        if (message.length < 4 || message[0] !== 0 || message[1] !== op + answerOffset) return;
        const code = message.readUInt16BE(2);
        if (code !== 0) {
          finish({ ok: false, error: resultCodes[code] ?? `the router answered NAT-PMP with error ${code}` });
          return;
        }
        if (message.length < minLength) return;
        finish({ ok: true, value: message });
      });
      socket.on('error', (error: NodeJS.ErrnoException) => {
        // ICMP "port unreachable" shows as ECONNREFUSED on a connected socket: nothing speaks NAT-PMP there.
        if (error.code === 'ECONNREFUSED') finish({ ok: false, noAnswer: true, error: 'the router does not answer NAT-PMP (nothing listens on its NAT-PMP port)' });
        else finish({ ok: false, noAnswer: true, error: `the router could not be asked over NAT-PMP (${error.code ?? error.message})` });
      });
      socket.on('close', () => finish({ ok: false, error: 'port mapping was stopped' }));
      socket.connect(this.port, this.options.host, () => send());
    });
  }
}

function mapRequest(internalPort: number, externalPort: number, lifetimeSeconds: number): Buffer {
  // §3.3: version 0, opcode, 2 reserved bytes (zero), internal port, external port, lifetime.
  const request = Buffer.alloc(12);
  request[1] = opMapTcp;
  request.writeUInt16BE(internalPort, 4);
  request.writeUInt16BE(externalPort, 6);
  request.writeUInt32BE(lifetimeSeconds, 8);
  return request;
}

function totalWait(first: number, tries: number): number {
  return first * (2 ** tries - 1);
}

function formatSeconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}
