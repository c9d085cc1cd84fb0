// A c2s transport over a TCP socket: plain with STARTTLS (port 5222) or TLS from the first byte
// (XEP-0368 direct TLS, port 5223).
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { ChannelBindingType, StreamTransport } from './transport.js';
import type { TlsCredentials } from './tls.js';

export class TcpTransport implements StreamTransport {
  private socket: Socket;
  private dataListener: ((chunk: Buffer) => void) | undefined;
  private readonly closeListeners: Array<() => void> = [];
  private closed = false;

  constructor(
    socket: Socket,
    private readonly credentials: TlsCredentials,
    private readonly idleTimeoutMs: number,
  ) {
    this.socket = socket;
    this.attach(socket);
  }

  get secure(): boolean {
    return this.socket instanceof TLSSocket;
  }

  get canStartTls(): boolean {
    return !this.secure;
  }

  channelBindingTypes(): ChannelBindingType[] {
    // RFC 9266 §3: tls-exporter is only safe on TLS 1.3 (TLS 1.2 needs extended master secret,
    // which Node cannot confirm), so -PLUS is offered on TLS 1.3 connections only.
    return this.socket instanceof TLSSocket && this.socket.getProtocol() === 'TLSv1.3' ? ['tls-exporter'] : [];
  }

  channelBinding(type: string): Buffer | undefined {
    if (type !== 'tls-exporter' || !this.channelBindingTypes().includes('tls-exporter')) return undefined;
    // RFC 8446 §7.5: an empty context is the same as none, which RFC 9266 asks for.
    return (this.socket as TLSSocket).exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0));
  }

  write(data: string): void {
    if (!this.closed && this.socket.writable) this.socket.write(data);
  }

  startTls(): Promise<void> {
    const plain = this.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    plain.removeAllListeners('error');
    plain.removeAllListeners('timeout');
    const secure = new TLSSocket(plain, {
      isServer: true,
      secureContext: this.credentials.secureContext,
      SNICallback: this.credentials.sniCallback,
    });
    this.socket = secure;
    this.attach(secure);
    return new Promise((resolve, reject) => {
      secure.once('secure', () => resolve());
      secure.once('error', reject);
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.end();
    // A peer that never reads must not keep the socket open forever.
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  onData(listener: (chunk: Buffer) => void): void {
    this.dataListener = listener;
  }

  onClose(listener: () => void): void {
    this.closeListeners.push(listener);
  }

  private attach(socket: Socket): void {
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    socket.setTimeout(this.idleTimeoutMs);
    socket.on('data', (chunk: Buffer) => this.dataListener?.(chunk));
    socket.on('timeout', () => socket.destroy());
    // Errors (resets, TLS alerts) end the connection; 'close' follows and cleans up.
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.closed = true;
      for (const listener of this.closeListeners) listener();
    });
  }
}
