// A client for tor's control port (control-spec.txt, "TC: A Tor control protocol"): one TCP
// connection on loopback, authenticated with the cookie tor writes into its data directory
// (SAFECOOKIE when tor offers it, so the cookie itself never crosses the connection), commands
// answered in order, and asynchronous events (650 replies) passed to listeners.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { parseKeywords } from './bootstrap.js';

/** One line of a reply; `data` holds the lines of a data reply ("250+key=" ... "."). */
export interface ReplyLine {
  status: number;
  text: string;
  data?: string;
}

export interface ControlReply {
  /** The status code of the reply's last line: 250 is success, 650 an event, 5xx a refusal. */
  status: number;
  lines: ReplyLine[];
}

export class TorControlError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

interface Pending {
  command: string;
  resolve(reply: ControlReply): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/** Splits the byte stream into replies (control-spec §2.3). */
export class ReplyParser {
  private buffer = '';
  private lines: ReplyLine[] = [];
  private data: string[] | undefined;

  constructor(private readonly onReply: (reply: ControlReply) => void) {}

  push(chunk: string): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n')) !== -1) {
      const line = this.buffer.slice(0, end).replace(/\r$/, '');
      this.buffer = this.buffer.slice(end + 1);
      this.line(line);
    }
  }

  private line(line: string): void {
    if (this.data) {
      if (line === '.') {
        this.lines[this.lines.length - 1]!.data = this.data.join('\n');
        this.data = undefined;
      } else {
        this.data.push(line.startsWith('.') ? line.slice(1) : line);
      }
      return;
    }
    const match = /^(\d{3})([ +-])(.*)$/.exec(line);
    if (!match) return; // not a reply line: ignore rather than lose the connection
    const status = Number(match[1]);
    this.lines.push({ status, text: match[3]! });
    if (match[2] === '+') this.data = [];
    else if (match[2] === ' ') {
      const lines = this.lines;
      this.lines = [];
      this.onReply({ status, lines });
    }
  }
}

const serverToController = 'Tor safe cookie authentication server-to-controller hash';
const controllerToServer = 'Tor safe cookie authentication controller-to-server hash';

export class TorControl {
  private readonly pending: Pending[] = [];
  private readonly eventListeners = new Set<(reply: ControlReply) => void>();
  private readonly closeListeners = new Set<() => void>();
  private ended = false;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    const parser = new ReplyParser((reply) => this.onReply(reply));
    socket.on('data', (chunk: string) => parser.push(chunk));
    socket.on('error', () => {}); // 'close' follows and says it all
    socket.on('close', () => this.onEnd());
  }

  /** Connects to tor's control port (loopback only). */
  static connect(port: number, host = '127.0.0.1', timeoutMs = 5000): Promise<TorControl> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new TorControlError(`tor's control port ${port} did not answer`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new TorControl(socket));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(new TorControlError(`cannot reach tor's control port ${port}: ${(error as NodeJS.ErrnoException).code ?? error.message}`));
      });
    });
  }

  get closed(): boolean {
    return this.ended;
  }

  /** Sends one command line; resolves with a 2xx reply, rejects on any other. */
  command(line: string, timeoutMs = 10_000): Promise<ControlReply> {
    if (/[\r\n]/.test(line)) return Promise.reject(new TorControlError('a control command is one line'));
    if (this.ended) return Promise.reject(new TorControlError('the connection to tor is closed'));
    const name = line.split(' ')[0]!;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        // The answers would be out of step from now on: drop the connection.
        this.close();
        reject(new TorControlError(`tor did not answer ${name} in time`));
      }, timeoutMs);
      this.pending.push({ command: name, resolve, reject, timer });
      this.socket.write(`${line}\r\n`);
    });
  }

  /**
   * Cookie authentication (control-spec §3.5, §3.24): SAFECOOKIE when tor offers it, which also
   * proves that the other end is the tor that wrote the cookie; plain COOKIE otherwise.
   */
  async authenticate(cookie: Buffer): Promise<void> {
    const info = await this.command('PROTOCOLINFO 1');
    const auth = info.lines.find((l) => l.text.startsWith('AUTH '));
    const methods = (auth ? parseKeywords(auth.text).METHODS ?? '' : '').split(',');
    if (methods.includes('SAFECOOKIE')) {
      const clientNonce = randomBytes(32);
      const challenge = await this.command(`AUTHCHALLENGE SAFECOOKIE ${clientNonce.toString('hex')}`);
      const fields = parseKeywords(challenge.lines.at(-1)!.text);
      const serverHash = Buffer.from(fields.SERVERHASH ?? '', 'hex');
      const serverNonce = Buffer.from(fields.SERVERNONCE ?? '', 'hex');
      const message = Buffer.concat([cookie, clientNonce, serverNonce]);
      const expected = createHmac('sha256', serverToController).update(message).digest();
      if (serverHash.length !== expected.length || !timingSafeEqual(serverHash, expected)) {
        throw new TorControlError('the control port did not prove it knows the cookie: it is not our tor');
      }
      await this.command(`AUTHENTICATE ${createHmac('sha256', controllerToServer).update(message).digest('hex')}`);
    } else if (methods.includes('COOKIE')) {
      await this.command(`AUTHENTICATE ${cookie.toString('hex')}`);
    } else {
      throw new TorControlError(`tor offers no cookie authentication (methods: ${methods.join(', ') || 'none'})`);
    }
  }

  /** GETINFO (control-spec §3.9): the values by key. */
  async getInfo(...keys: string[]): Promise<Record<string, string>> {
    const reply = await this.command(`GETINFO ${keys.join(' ')}`);
    const values: Record<string, string> = {};
    for (const line of reply.lines) {
      const equals = line.text.indexOf('=');
      if (equals === -1) continue;
      values[line.text.slice(0, equals)] = line.data ?? line.text.slice(equals + 1);
    }
    return values;
  }

  /** SETEVENTS (§3.4): the events this connection receives from now on. */
  async setEvents(events: string[]): Promise<void> {
    await this.command(`SETEVENTS ${events.join(' ')}`.trim());
  }

  /** SIGNAL (§3.7), e.g. SHUTDOWN: tor answers, then acts. */
  async signal(name: 'SHUTDOWN' | 'HALT' | 'RELOAD' | 'NEWNYM' | 'HEARTBEAT'): Promise<void> {
    await this.command(`SIGNAL ${name}`);
  }

  /**
   * TAKEOWNERSHIP (§3.23): tor exits when this connection closes, so a Hearth that dies never
   * leaves its tor behind. __OwningControllerProcess is then reset, as the spec advises.
   */
  async takeOwnership(): Promise<void> {
    await this.command('TAKEOWNERSHIP');
    await this.command('RESETCONF __OwningControllerProcess');
  }

  onEvent(listener: (reply: ControlReply) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  onClose(listener: () => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  close(): void {
    this.socket.destroy();
  }

  private onReply(reply: ControlReply): void {
    if (reply.status === 650) {
      for (const listener of [...this.eventListeners]) listener(reply);
      return;
    }
    const pending = this.pending.shift();
    if (!pending) return;
    clearTimeout(pending.timer);
    if (reply.status >= 200 && reply.status < 300) pending.resolve(reply);
    else pending.reject(new TorControlError(`tor refused ${pending.command}: ${reply.status} ${reply.lines.at(-1)?.text ?? ''}`.trim(), reply.status));
  }

  private onEnd(): void {
    if (this.ended) return;
    this.ended = true;
    for (const pending of this.pending.splice(0)) {
      clearTimeout(pending.timer);
      pending.reject(new TorControlError('the connection to tor closed'));
    }
    for (const listener of [...this.closeListeners]) listener();
  }
}
