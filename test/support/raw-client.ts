// A bare socket speaking XMPP by hand, for what a well-behaved library never sends:
// malformed XML, auth before STARTTLS, wrong hosts.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { readFileSync } from 'node:fs';

export class RawClient {
  private buffer = '';
  private waiters: Array<() => void> = [];
  closed = false;

  private constructor(public socket: Socket | TLSSocket) {
    this.attach(socket);
  }

  /** `localAddress`: connect from another loopback address (127.0.0.77), as if from another machine. */
  static plain(port: number, options: { localAddress?: string } = {}): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host: '127.0.0.1', port, localAddress: options.localAddress }, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  static directTls(port: number, options: { alpn?: string[]; servername?: string } = {}): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = tlsConnect(
        {
          host: '127.0.0.1',
          port,
          servername: options.servername ?? 'localhost',
          ca: readFileSync(process.env.HEARTH_TEST_CA!),
          ALPNProtocols: options.alpn,
        },
        () => resolve(new RawClient(socket)),
      );
      socket.once('error', reject);
    });
  }

  private attach(socket: Socket): void {
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      this.buffer += text;
      for (const wake of this.waiters.splice(0)) wake();
    });
    socket.on('close', () => {
      this.closed = true;
      for (const wake of this.waiters.splice(0)) wake();
    });
    socket.on('error', () => {});
  }

  /**
   * Upgrades this plain connection after the server said <proceed/>. `acceptAnyCertificate` is for
   * servers whose certificate is bad on purpose (the federation refusal tests).
   */
  startTls(options: { servername?: string; acceptAnyCertificate?: boolean; clientCertificate?: { certFile: string; keyFile: string } } = {}): Promise<void> {
    return new Promise((resolve, reject) => {
      const plain = this.socket;
      plain.removeAllListeners('data');
      const verification = options.acceptAnyCertificate ? { rejectUnauthorized: false } : { ca: readFileSync(process.env.HEARTH_TEST_CA!) };
      // A server connecting to another presents its own certificate (SASL EXTERNAL, XEP-0178).
      const identity = options.clientCertificate ? { cert: readFileSync(options.clientCertificate.certFile), key: readFileSync(options.clientCertificate.keyFile) } : {};
      const secure = tlsConnect({ socket: plain, servername: options.servername ?? 'localhost', ...verification, ...identity }, () => resolve());
      secure.once('error', reject);
      this.socket = secure;
      this.buffer = '';
      this.attach(secure);
    });
  }

  send(text: string): void {
    this.socket.write(text);
  }

  openStream(to = 'localhost'): void {
    this.send(`<?xml version='1.0'?><stream:stream to='${to}' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`);
  }

  /** Waits until everything received so far matches `pattern`; returns it and clears the buffer. */
  async waitFor(pattern: RegExp, ms = 5000): Promise<string> {
    const deadline = Date.now() + ms;
    for (;;) {
      const match = pattern.exec(this.buffer);
      if (match) {
        const text = this.buffer;
        this.buffer = '';
        return text;
      }
      if (this.closed) throw new Error(`connection closed before ${pattern}; got: ${this.buffer}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${pattern}; got: ${this.buffer}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async waitForClose(ms = 5000): Promise<string> {
    const deadline = Date.now() + ms;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('the server did not close the connection');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.buffer;
  }

  destroy(): void {
    this.socket.destroy();
  }
}
