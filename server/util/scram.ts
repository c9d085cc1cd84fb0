// SCRAM, server side: RFC 5802 (SCRAM-SHA-1), RFC 7677 (SCRAM-SHA-256), with channel binding
// for the -PLUS variants (RFC 5802 §6; tls-exporter per RFC 9266). The server stores only
// StoredKey and ServerKey, never the password (RFC 5802 §3).
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { saslprep } from './saslprep.js';

export type ScramHash = 'sha1' | 'sha256';

export interface ScramCredentials {
  salt: Buffer;
  iterations: number;
  storedKey: Buffer;
  serverKey: Buffer;
}

const HASH_BYTES: Record<ScramHash, number> = { sha1: 20, sha256: 32 };

/** Hi() of RFC 5802 §2.2, which is PBKDF2 with HMAC-H and one block of output. */
export function saltedPassword(hash: ScramHash, password: string, salt: Buffer, iterations: number): Buffer {
  return pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, HASH_BYTES[hash], hash);
}

/** RFC 5802 §3: what the server keeps. `password` must already be SASLprepped by the caller. */
export function deriveScramCredentials(
  hash: ScramHash,
  password: string,
  salt: Buffer,
  iterations: number,
): ScramCredentials {
  const salted = saltedPassword(hash, password, salt, iterations);
  const clientKey = hmac(hash, salted, 'Client Key');
  return {
    salt,
    iterations,
    storedKey: digest(hash, clientKey),
    serverKey: hmac(hash, salted, 'Server Key'),
  };
}

/** Checks a plaintext password (SASL PLAIN) against stored SCRAM credentials. */
export function verifyPassword(hash: ScramHash, password: string, creds: ScramCredentials): boolean {
  const salted = saltedPassword(hash, password, creds.salt, creds.iterations);
  return constantTimeEqual(digest(hash, hmac(hash, salted, 'Client Key')), creds.storedKey);
}

/**
 * Splits "a=x,b=y" into attributes (RFC 5802 §7 attr-val): single-letter keys, non-empty values,
 * no duplicates, no NUL. Order is kept, as the grammar fixes the order of the known attributes.
 */
export function parseScramAttributes(message: string): Map<string, string> | undefined {
  const attributes = new Map<string, string>();
  for (const part of message.split(',')) {
    if (!/^[A-Za-z]=[^\0]+$/.test(part)) return undefined;
    const key = part[0]!;
    if (attributes.has(key)) return undefined;
    attributes.set(key, part.slice(2));
  }
  return attributes;
}

type FailureCondition =
  | 'malformed-request'
  | 'not-authorized'
  | 'invalid-authzid'
  | 'encryption-required'
  | 'mechanism-too-weak'
  | 'temporary-auth-failure';

export type ScramStep = { ok: true; message: string } | { ok: false; condition: FailureCondition; text?: string };

export interface ScramServerOptions {
  hash: ScramHash;
  /** The mechanism chosen was SCRAM-*-PLUS. */
  plus: boolean;
  /** The server advertised a -PLUS mechanism, for the downgrade check on the 'y' flag. */
  serverOffersPlus: boolean;
  /** Channel binding data for a type ('tls-exporter', 'tls-server-end-point'), or undefined if unsupported. */
  channelBinding: (type: string) => Buffer | undefined;
  /** Credentials for a SASLprepped username, or undefined if there is no such user. */
  lookup: (username: string) => ScramCredentials | undefined;
  /** Server secret from which stable fake credentials are made for unknown users. */
  unknownUserSecret: Buffer;
  /** Iteration count announced for unknown users, to look like a real account. */
  defaultIterations: number;
}

/** Length of the fake salt for unknown users; matches what the account store generates. */
const FAKE_SALT_BYTES = 16;
/** RFC 5802 §7 printable: %x21-2B / %x2D-7E (any visible ASCII but ','). */
const PRINTABLE = /^[\x21-\x2b\x2d-\x7e]+$/;
/** RFC 5802 §7 cb-name, as registered per RFC 5056. */
const CB_NAME = /^[A-Za-z0-9.-]+$/;

const fail = (condition: FailureCondition, text?: string): ScramStep =>
  text === undefined ? { ok: false, condition } : { ok: false, condition, text };

interface FirstState {
  gs2Header: string;
  cbData: Buffer;
  clientFirstBare: string;
  serverFirst: string;
  nonce: string;
  creds: ScramCredentials;
  knownUser: boolean;
}

/** One authentication exchange: start() with client-first, finish() with client-final. */
export class ScramServerExchange {
  private state: 'initial' | 'challenged' | 'succeeded' | 'failed' = 'initial';
  private first: FirstState | undefined;
  private authcid: string | undefined;

  constructor(
    private readonly options: ScramServerOptions,
    private readonly nonceFactory: () => string = () => randomBytes(18).toString('base64'),
  ) {}

  get username(): string | undefined {
    return this.authcid;
  }

  get succeeded(): boolean {
    return this.state === 'succeeded';
  }

  /** Takes client-first-message, returns server-first-message (RFC 5802 §5.1). */
  start(clientFirstMessage: string): ScramStep {
    if (this.state !== 'initial') return this.failWith('malformed-request');
    const step = this.handleFirst(clientFirstMessage);
    if (!step.ok) this.state = 'failed';
    return step;
  }

  /** Takes client-final-message, returns server-final-message (RFC 5802 §5.1). */
  finish(clientFinalMessage: string): ScramStep {
    if (this.state !== 'challenged' || this.first === undefined) return this.failWith('malformed-request');
    const step = this.handleFinal(this.first, clientFinalMessage);
    this.state = step.ok ? 'succeeded' : 'failed';
    return step;
  }

  private failWith(condition: FailureCondition): ScramStep {
    this.state = 'failed';
    return fail(condition);
  }

  private handleFirst(message: string): ScramStep {
    // gs2-header = gs2-cbind-flag "," [authzid] "," (RFC 5802 §7)
    const flagEnd = message.indexOf(',');
    const headerEnd = flagEnd === -1 ? -1 : message.indexOf(',', flagEnd + 1);
    if (headerEnd === -1) return fail('malformed-request');
    const flag = message.slice(0, flagEnd);
    const authzid = message.slice(flagEnd + 1, headerEnd);
    const gs2Header = message.slice(0, headerEnd + 1);
    const clientFirstBare = message.slice(headerEnd + 1);

    const cbData = this.checkChannelBindingFlag(flag);
    if (!Buffer.isBuffer(cbData)) return cbData;

    if (authzid !== '') {
      if (!authzid.startsWith('a=') || unescapeSaslname(authzid.slice(2)) === undefined) {
        return fail('malformed-request');
      }
      // Authorizing as someone else is not offered: an account acts only as itself.
      return fail('invalid-authzid');
    }

    const attributes = parseScramAttributes(clientFirstBare);
    if (attributes === undefined) return fail('malformed-request');
    const keys = [...attributes.keys()];
    // RFC 5802 §5.1: 'm' is reserved for mandatory extensions; none are known, so it must fail.
    if (attributes.has('m')) return fail('malformed-request', 'unsupported mandatory extension');
    // Username then nonce, in that order; further optional extensions are ignored.
    if (keys[0] !== 'n' || keys[1] !== 'r') return fail('malformed-request');

    const escaped = unescapeSaslname(attributes.get('n')!);
    if (escaped === undefined) return fail('malformed-request');
    const username = prepareUsername(escaped);
    // RFC 5802 §7 "invalid-username-encoding": a username that fails SASLprep names no account.
    if (username === undefined) return fail('not-authorized');

    const clientNonce = attributes.get('r')!;
    if (!PRINTABLE.test(clientNonce)) return fail('malformed-request');

    this.authcid = username;
    const stored = this.options.lookup(username);
    const creds = stored ?? this.fakeCredentials(username);
    const nonce = clientNonce + this.nonceFactory();
    const serverFirst = `r=${nonce},s=${creds.salt.toString('base64')},i=${creds.iterations}`;

    this.first = { gs2Header, cbData, clientFirstBare, serverFirst, nonce, creds, knownUser: stored !== undefined };
    this.state = 'challenged';
    return { ok: true, message: serverFirst };
  }

  /** RFC 5802 §6: the channel binding flag, checked against the mechanism and what was offered. */
  private checkChannelBindingFlag(flag: string): Buffer | ScramStep {
    const { plus, serverOffersPlus } = this.options;
    if (flag === 'n' || flag === 'y') {
      // A -PLUS mechanism means the client promised channel binding.
      if (plus) return fail('not-authorized');
      // 'y': the client could bind but believes the server cannot. If the server did offer
      // -PLUS, someone stripped it from the mechanism list; RFC 5802 §6 says this MUST fail.
      if (flag === 'y' && serverOffersPlus) return fail('not-authorized');
      return Buffer.alloc(0);
    }
    if (!flag.startsWith('p=') || !CB_NAME.test(flag.slice(2))) return fail('malformed-request');
    if (!plus) return fail('not-authorized', 'channel binding requires a -PLUS mechanism');
    const data = this.options.channelBinding(flag.slice(2));
    if (data === undefined) return fail('not-authorized', 'unsupported channel binding type');
    return data;
  }

  private handleFinal(first: FirstState, message: string): ScramStep {
    const { hash } = this.options;
    const attributes = parseScramAttributes(message);
    if (attributes === undefined) return fail('malformed-request');
    const keys = [...attributes.keys()];
    // client-final-message = "c=" "," "r=" ["," extensions] "," "p=" (RFC 5802 §7)
    if (keys.length < 3 || keys[0] !== 'c' || keys[1] !== 'r' || keys[keys.length - 1] !== 'p') {
      return fail('malformed-request');
    }
    if (attributes.has('m')) return fail('malformed-request', 'unsupported mandatory extension');
    const channelBinding = decodeBase64(attributes.get('c')!);
    const proof = decodeBase64(attributes.get('p')!);
    if (channelBinding === undefined || proof === undefined) return fail('malformed-request');

    const withoutProof = message.slice(0, message.length - `,p=${attributes.get('p')!}`.length);
    const authMessage = `${first.clientFirstBare},${first.serverFirst},${withoutProof}`;

    // Every check runs whatever the earlier ones found, so timing tells nothing about which failed.
    const expectedBinding = Buffer.concat([Buffer.from(first.gs2Header, 'utf8'), first.cbData]);
    const bindingOk = constantTimeEqual(channelBinding, expectedBinding);
    const nonceOk = constantTimeEqual(Buffer.from(attributes.get('r')!, 'utf8'), Buffer.from(first.nonce, 'utf8'));

    // RFC 5802 §3: ClientKey = ClientProof XOR ClientSignature; it must hash to StoredKey.
    const clientSignature = hmac(hash, first.creds.storedKey, authMessage);
    const clientKey = xor(proof, clientSignature);
    const proofOk =
      proof.length === HASH_BYTES[hash] && constantTimeEqual(digest(hash, clientKey), first.creds.storedKey);

    if (!(bindingOk && nonceOk && proofOk && first.knownUser)) return fail('not-authorized');
    const serverSignature = hmac(hash, first.creds.serverKey, authMessage);
    return { ok: true, message: `v=${serverSignature.toString('base64')}` };
  }

  /**
   * Stable credentials for a username that does not exist, so that the server-first-message
   * looks the same on every attempt and the exchange fails only at the proof, like a wrong
   * password. RFC 5802 §7 lets the server hide "unknown-user" for the same reason; a random
   * salt would give the game away on the second attempt.
   */
  private fakeCredentials(username: string): ScramCredentials {
    const { hash, unknownUserSecret, defaultIterations } = this.options;
    const derive = (label: string, length: number) =>
      createHmac('sha256', unknownUserSecret).update(`${label}\0${username}`, 'utf8').digest().subarray(0, length);
    return {
      salt: derive('salt', FAKE_SALT_BYTES),
      iterations: defaultIterations,
      storedKey: derive('stored-key', HASH_BYTES[hash]),
      serverKey: derive('server-key', HASH_BYTES[hash]),
    };
  }
}

/** RFC 5802 §5.1: in saslname, '=' appears only as "=2C" (',') or "=3D" ('='). */
function unescapeSaslname(value: string): string | undefined {
  if (/=(?!2C|3D)/.test(value)) return undefined;
  return value.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

function prepareUsername(name: string): string | undefined {
  try {
    const prepared = saslprep(name);
    return prepared === '' ? undefined : prepared;
  } catch {
    return undefined; // prohibited characters or a bidi violation (RFC 4013 §2.3, §2.4)
  }
}

/** Strict base64: canonical padding and no stray characters, so one value has one spelling. */
function decodeBase64(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}

function hmac(hash: ScramHash, key: Buffer, data: string): Buffer {
  return createHmac(hash, key).update(data, 'utf8').digest();
}

function digest(hash: ScramHash, data: Buffer): Buffer {
  return createHash(hash).update(data).digest();
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(b.length);
  for (let i = 0; i < b.length; i++) out[i] = (a[i] ?? 0) ^ b[i]!;
  return out;
}

/** timingSafeEqual throws on different lengths; a length mismatch is simply "not equal". */
function constantTimeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
