// SCRAM, client side (RFC 5802 SCRAM-SHA-1, RFC 7677 SCRAM-SHA-256), without channel binding
// ("n,,"). The salted password is cached per (password, salt, iterations) as RFC 5802 §5.1
// allows a client to, so thousands of logins do not spend the load generator's CPU on PBKDF2.
import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';

export type ScramMechanism = 'SCRAM-SHA-1' | 'SCRAM-SHA-256';

const hashOf: Record<ScramMechanism, { name: 'sha1' | 'sha256'; bytes: number }> = {
  'SCRAM-SHA-1': { name: 'sha1', bytes: 20 },
  'SCRAM-SHA-256': { name: 'sha256', bytes: 32 },
};

const saltedPasswords = new Map<string, Promise<Buffer>>();

/** Hi() of RFC 5802 §2.2 (PBKDF2), on libuv's thread pool so the event loop keeps serving sockets. */
function saltedPassword(mechanism: ScramMechanism, password: string, salt: Buffer, iterations: number): Promise<Buffer> {
  const key = `${mechanism}\0${password}\0${salt.toString('base64')}\0${iterations}`;
  let cached = saltedPasswords.get(key);
  if (!cached) {
    const { name, bytes } = hashOf[mechanism];
    cached = new Promise((resolve, reject) => pbkdf2(password, salt, iterations, bytes, name, (error, derived) => (error ? reject(error) : resolve(derived))));
    saltedPasswords.set(key, cached);
  }
  return cached;
}

/** RFC 5802 §5.1: "=" and "," in a username are escaped as =3D and =2C. */
function saslName(username: string): string {
  return username.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

function attributes(message: string): Map<string, string> {
  const result = new Map<string, string>();
  for (const part of message.split(',')) if (part[1] === '=') result.set(part[0]!, part.slice(2));
  return result;
}

/** One exchange: initial() for <auth/>, respond() to the challenge, verify() the success data. */
export class ScramClient {
  private readonly nonce: string;
  private readonly clientFirstBare: string;
  private expectedServerSignature: Buffer | undefined;

  constructor(
    readonly mechanism: ScramMechanism,
    username: string,
    private readonly password: string,
    nonce = randomBytes(18).toString('base64'),
  ) {
    this.nonce = nonce;
    this.clientFirstBare = `n=${saslName(username)},r=${nonce}`;
  }

  /** client-first-message (gs2 header "n,," : no channel binding, no authzid). */
  initial(): string {
    return `n,,${this.clientFirstBare}`;
  }

  /** client-final-message for the server-first-message; throws on a malformed or hostile one. */
  async respond(serverFirst: string): Promise<string> {
    const server = attributes(serverFirst);
    const nonce = server.get('r');
    const salt = server.get('s');
    const iterations = Number(server.get('i'));
    if (!nonce || !nonce.startsWith(this.nonce) || nonce.length === this.nonce.length) throw new Error('SCRAM: the server nonce does not extend ours');
    if (!salt || !Number.isInteger(iterations) || iterations < 1) throw new Error('SCRAM: bad salt or iteration count');
    const { name } = hashOf[this.mechanism];
    const salted = await saltedPassword(this.mechanism, this.password, Buffer.from(salt, 'base64'), iterations);
    const withoutProof = `c=biws,r=${nonce}`;
    const authMessage = `${this.clientFirstBare},${serverFirst},${withoutProof}`;
    const clientKey = createHmac(name, salted).update('Client Key').digest();
    const storedKey = createHash(name).update(clientKey).digest();
    const clientSignature = createHmac(name, storedKey).update(authMessage).digest();
    const proof = Buffer.alloc(clientKey.length);
    for (let i = 0; i < proof.length; i++) proof[i] = clientKey[i]! ^ clientSignature[i]!;
    const serverKey = createHmac(name, salted).update('Server Key').digest();
    this.expectedServerSignature = createHmac(name, serverKey).update(authMessage).digest();
    return `${withoutProof},p=${proof.toString('base64')}`;
  }

  /** Checks the server-final-message (v=...): the server proved it knows the credentials too. */
  verify(serverFinal: string): boolean {
    const signature = attributes(serverFinal).get('v');
    if (!signature || !this.expectedServerSignature) return false;
    const received = Buffer.from(signature, 'base64');
    return received.length === this.expectedServerSignature.length && timingSafeEqual(received, this.expectedServerSignature);
  }
}
