// The client half of SCRAM-SHA-256 (RFC 7677) as a saslmechanisms plug-in for @xmpp/client,
// which ships only SCRAM-SHA-1. Written from the RFC, independently of the server's code.
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

interface Credentials {
  username: string;
  password: string;
}

export class ScramSha256Mechanism {
  static readonly mechanismName = 'SCRAM-SHA-256';
  readonly name = 'SCRAM-SHA-256';
  readonly clientFirst = true;
  private step = 0;
  private clientNonce = randomBytes(18).toString('base64');
  private clientFirstBare = '';
  private serverFirst = '';
  private expectedServerSignature = '';

  /** With channel-binding data this is SCRAM-SHA-256-PLUS using tls-exporter (RFC 9266). */
  constructor(private readonly channelBinding?: Buffer) {}

  private get gs2Header(): string {
    return this.channelBinding ? 'p=tls-exporter,,' : 'n,,';
  }

  response(credentials: Credentials): string {
    if (this.step === 0) {
      this.step = 1;
      const user = credentials.username.replace(/=/g, '=3D').replace(/,/g, '=2C');
      this.clientFirstBare = `n=${user},r=${this.clientNonce}`;
      return `${this.gs2Header}${this.clientFirstBare}`;
    }
    const fields = Object.fromEntries(this.serverFirst.split(',').map((kv) => [kv[0], kv.slice(2)]));
    const salted = pbkdf2Sync(credentials.password, Buffer.from(fields.s!, 'base64'), Number(fields.i), 32, 'sha256');
    const clientKey = createHmac('sha256', salted).update('Client Key').digest();
    const storedKey = createHash('sha256').update(clientKey).digest();
    const binding = Buffer.concat([Buffer.from(this.gs2Header), this.channelBinding ?? Buffer.alloc(0)]).toString('base64');
    const finalWithoutProof = `c=${binding},r=${fields.r}`;
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${finalWithoutProof}`;
    const signature = createHmac('sha256', storedKey).update(authMessage).digest();
    const proof = Buffer.from(clientKey.map((byte, i) => byte ^ signature[i]!));
    const serverKey = createHmac('sha256', salted).update('Server Key').digest();
    this.expectedServerSignature = createHmac('sha256', serverKey).update(authMessage).digest('base64');
    return `${finalWithoutProof},p=${proof.toString('base64')}`;
  }

  challenge(text: string): void {
    this.serverFirst = text;
  }

  /** The v= the server must send in <success/>, for tests that check mutual authentication. */
  get serverSignature(): string {
    return this.expectedServerSignature;
  }
}
