import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { describe, it, expect } from 'vitest';
import {
  ScramServerExchange,
  deriveScramCredentials,
  parseScramAttributes,
  verifyPassword,
  type ScramCredentials,
  type ScramHash,
  type ScramServerOptions,
} from '../../../server/util/scram.js';

const SALT = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
const EXPORTER_DATA = Buffer.from('exporter keying material from the TLS session');

function exchange(overrides: Partial<ScramServerOptions> = {}, serverNonce = 'SERVERNONCE'): ScramServerExchange {
  const users = new Map<string, ScramCredentials>([['user', deriveScramCredentials('sha256', 'pencil', SALT, 4096)]]);
  return new ScramServerExchange(
    {
      hash: 'sha256',
      plus: false,
      serverOffersPlus: false,
      channelBinding: (type) => (type === 'tls-exporter' ? EXPORTER_DATA : undefined),
      lookup: (username) => users.get(username),
      unknownUserSecret: Buffer.from('server secret for unknown users'),
      defaultIterations: 4096,
      ...overrides,
    },
    () => serverNonce,
  );
}

/**
 * The client side of RFC 5802 §3, written independently of the server: computes
 * client-final-message from what the client sent and what the server answered.
 */
function clientFinal(
  hash: ScramHash,
  password: string,
  clientFirstMessage: string,
  serverFirst: string,
  channelBindingData: Buffer = Buffer.alloc(0),
): { message: string; serverSignature: string } {
  const fields = Object.fromEntries(serverFirst.split(',').map((f) => [f[0], f.slice(2)]));
  const gs2Header = clientFirstMessage.split(',').slice(0, 2).join(',') + ',';
  const clientFirstBare = clientFirstMessage.slice(gs2Header.length);
  const c = Buffer.concat([Buffer.from(gs2Header), channelBindingData]).toString('base64');
  const withoutProof = `c=${c},r=${fields.r}`;
  const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;

  const size = hash === 'sha1' ? 20 : 32;
  const salted = pbkdf2Sync(password, Buffer.from(fields.s!, 'base64'), Number(fields.i), size, hash);
  const clientKey = createHmac(hash, salted).update('Client Key').digest();
  const storedKey = createHash(hash).update(clientKey).digest();
  const clientSignature = createHmac(hash, storedKey).update(authMessage).digest();
  const proof = Buffer.from(clientKey.map((byte, i) => byte ^ clientSignature[i]!));
  const serverKey = createHmac(hash, salted).update('Server Key').digest();
  const serverSignature = createHmac(hash, serverKey).update(authMessage).digest('base64');
  return { message: `${withoutProof},p=${proof.toString('base64')}`, serverSignature: `v=${serverSignature}` };
}

/** Runs a whole exchange as a client with `password`, returning the server's last answer. */
function authenticate(server: ScramServerExchange, clientFirstMessage: string, password: string, cbData?: Buffer) {
  const first = server.start(clientFirstMessage);
  if (!first.ok) throw new Error(`start failed: ${first.condition}`);
  const final = clientFinal('sha256', password, clientFirstMessage, first.message, cbData);
  return { step: server.finish(final.message), expected: final.serverSignature };
}

describe('ScramServerExchange with the RFC test vectors', () => {
  it('completes the RFC 5802 §5 SCRAM-SHA-1 example', () => {
    const salt = Buffer.from('QSXCR+Q6sek8bf92', 'base64');
    const server = new ScramServerExchange(
      {
        hash: 'sha1',
        plus: false,
        serverOffersPlus: false,
        channelBinding: () => undefined,
        lookup: (name) => (name === 'user' ? deriveScramCredentials('sha1', 'pencil', salt, 4096) : undefined),
        unknownUserSecret: Buffer.from('secret'),
        defaultIterations: 4096,
      },
      () => '3rfcNHYJY1ZVvWVs7j',
    );

    expect(server.start('n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL')).toEqual({
      ok: true,
      message: 'r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096',
    });
    expect(
      server.finish('c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts='),
    ).toEqual({ ok: true, message: 'v=rmF9pqV8S7suAoZWja4dJRkFsKQ=' });
    expect(server.succeeded).toBe(true);
  });

  it('completes the RFC 7677 §3 SCRAM-SHA-256 example', () => {
    const server = exchange({}, '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0');

    expect(server.start('n,,n=user,r=rOprNGfwEbeRWgbNEkqO')).toEqual({
      ok: true,
      message: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
    });
    expect(
      server.finish(
        'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
      ),
    ).toEqual({ ok: true, message: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=' });
    expect(server.succeeded).toBe(true);
  });
});

describe('ScramServerExchange', () => {
  it('answers with the server signature the client expects', () => {
    const { step, expected } = authenticate(exchange(), 'n,,n=user,r=abc', 'pencil');
    expect(step).toEqual({ ok: true, message: expected });
  });

  it('reports the username after the first message', () => {
    const server = exchange();
    expect(server.username).toBeUndefined();
    server.start('n,,n=user,r=abc');
    expect(server.username).toBe('user');
  });

  it('refuses a wrong password with not-authorized', () => {
    const server = exchange();
    const { step } = authenticate(server, 'n,,n=user,r=abc', 'crayon');
    expect(step).toEqual({ ok: false, condition: 'not-authorized' });
    expect(server.succeeded).toBe(false);
  });

  it('lets an unknown user reach the server-first-message with the default iteration count', () => {
    const step = exchange().start('n,,n=nobody,r=abc');
    expect(step.ok).toBe(true);
    expect(step.ok && step.message).toMatch(/^r=abcSERVERNONCE,s=[A-Za-z0-9+/]{22}==,i=4096$/);
  });

  it('gives an unknown user the same salt on every attempt', () => {
    expect(exchange().start('n,,n=nobody,r=abc')).toEqual(exchange().start('n,,n=nobody,r=abc'));
  });

  it('fails an unknown user at the end with not-authorized', () => {
    const { step } = authenticate(exchange(), 'n,,n=nobody,r=abc', 'pencil');
    expect(step).toEqual({ ok: false, condition: 'not-authorized' });
  });

  it('unescapes =2C and =3D in the username before the lookup', () => {
    const seen: string[] = [];
    exchange({ lookup: (name) => (seen.push(name), undefined) }).start('n,,n=a=2Cb=3Dc,r=abc');
    expect(seen).toEqual(['a,b=c']);
  });

  it('applies SASLprep to the username before the lookup', () => {
    const seen: string[] = [];
    exchange({ lookup: (name) => (seen.push(name), undefined) }).start('n,,n=us\u00ader,r=abc');
    expect(seen).toEqual(['user']);
  });

  it('refuses a username that SASLprep prohibits with not-authorized', () => {
    expect(exchange().start('n,,n=us\u0007er,r=abc')).toMatchObject({ ok: false, condition: 'not-authorized' });
  });

  it('refuses a final message whose nonce differs from the combined nonce', () => {
    const server = exchange();
    const first = server.start('n,,n=user,r=abc');
    const tampered = first.ok ? first.message.replace('SERVERNONCE', 'OTHERNONCE') : '';
    const final = clientFinal('sha256', 'pencil', 'n,,n=user,r=abc', tampered);
    expect(server.finish(final.message)).toEqual({ ok: false, condition: 'not-authorized' });
  });

  it('refuses an authorization identity with invalid-authzid', () => {
    expect(exchange().start('n,a=admin,n=user,r=abc')).toMatchObject({ ok: false, condition: 'invalid-authzid' });
  });

  it('refuses a mandatory extension with malformed-request', () => {
    expect(exchange().start('n,,m=ext,n=user,r=abc')).toMatchObject({ ok: false, condition: 'malformed-request' });
  });

  it('ignores an optional extension after the nonce', () => {
    expect(exchange().start('n,,n=user,r=abc,x=extra').ok).toBe(true);
  });

  it('refuses to finish before it has started', () => {
    expect(exchange().finish('c=biws,r=abc,p=AAAA')).toMatchObject({ ok: false, condition: 'malformed-request' });
  });

  it('refuses a second client-first-message', () => {
    const server = exchange();
    server.start('n,,n=user,r=abc');
    expect(server.start('n,,n=user,r=abc')).toMatchObject({ ok: false });
  });

  it('stays failed after a wrong proof, even if the right one follows', () => {
    const server = exchange();
    const first = server.start('n,,n=user,r=abc');
    const right = clientFinal('sha256', 'pencil', 'n,,n=user,r=abc', first.ok ? first.message : '');
    const wrong = clientFinal('sha256', 'crayon', 'n,,n=user,r=abc', first.ok ? first.message : '');
    server.finish(wrong.message);
    expect(server.finish(right.message)).toMatchObject({ ok: false });
    expect(server.succeeded).toBe(false);
  });
});

describe('ScramServerExchange with malformed messages', () => {
  it.each([
    ['no GS2 header', 'n=user,r=abc'],
    ['an unknown channel binding flag', 'x,,n=user,r=abc'],
    ['a malformed authzid', 'n,b=admin,n=user,r=abc'],
    ['the nonce before the username', 'n,,r=abc,n=user'],
    ['a missing nonce', 'n,,n=user'],
    ['a duplicate attribute', 'n,,n=user,n=other,r=abc'],
    ['a bad escape in the username', 'n,,n=us=2Xer,r=abc'],
    ['an empty username', 'n,,n=,r=abc'],
    ['a non-printable nonce', 'n,,n=user,r=ab\u00e9c'],
    ['an empty message', ''],
  ])('refuses a client-first-message with %s', (_, message) => {
    expect(exchange().start(message)).toMatchObject({ ok: false, condition: 'malformed-request' });
  });

  it.each([
    ['a missing proof', (f: string) => f.slice(0, f.indexOf(',p='))],
    ['the proof before the nonce', (f: string) => f.replace(/^(c=[^,]+),(r=[^,]+),(p=[^,]+)$/, '$1,$3,$2')],
    ['non-canonical base64 in the proof', (f: string) => f.replace(/=$/, '')],
    ['a mandatory extension', (f: string) => f.replace(',p=', ',m=ext,p=')],
  ])('refuses a client-final-message with %s', (_, mangle) => {
    const server = exchange();
    const first = server.start('n,,n=user,r=abc');
    const final = clientFinal('sha256', 'pencil', 'n,,n=user,r=abc', first.ok ? first.message : '');
    expect(server.finish(mangle(final.message))).toMatchObject({ ok: false, condition: 'malformed-request' });
  });
});

describe('ScramServerExchange channel binding', () => {
  it("refuses the 'y' flag when the server offers a -PLUS mechanism", () => {
    expect(exchange({ serverOffersPlus: true }).start('y,,n=user,r=abc')).toMatchObject({
      ok: false,
      condition: 'not-authorized',
    });
  });

  it("accepts the 'y' flag when the server offers no -PLUS mechanism", () => {
    const { step, expected } = authenticate(exchange(), 'y,,n=user,r=abc', 'pencil');
    expect(step).toEqual({ ok: true, message: expected });
  });

  it('succeeds with -PLUS when c= carries the tls-exporter data', () => {
    const server = exchange({ plus: true, serverOffersPlus: true });
    const { step, expected } = authenticate(server, 'p=tls-exporter,,n=user,r=abc', 'pencil', EXPORTER_DATA);
    expect(step).toEqual({ ok: true, message: expected });
  });

  it('fails with -PLUS when c= carries different channel binding data', () => {
    const server = exchange({ plus: true, serverOffersPlus: true });
    const other = Buffer.from('keying material from another TLS session');
    const { step } = authenticate(server, 'p=tls-exporter,,n=user,r=abc', 'pencil', other);
    expect(step).toEqual({ ok: false, condition: 'not-authorized' });
  });

  it('fails with -PLUS when c= omits the channel binding data', () => {
    const server = exchange({ plus: true, serverOffersPlus: true });
    const { step } = authenticate(server, 'p=tls-exporter,,n=user,r=abc', 'pencil');
    expect(step).toEqual({ ok: false, condition: 'not-authorized' });
  });

  it('refuses a channel binding type the connection cannot provide', () => {
    const server = exchange({ plus: true, serverOffersPlus: true });
    expect(server.start('p=tls-unique,,n=user,r=abc')).toMatchObject({ ok: false, condition: 'not-authorized' });
  });

  it('refuses the n flag on a -PLUS mechanism', () => {
    const server = exchange({ plus: true, serverOffersPlus: true });
    expect(server.start('n,,n=user,r=abc')).toMatchObject({ ok: false, condition: 'not-authorized' });
  });

  it('refuses channel binding on a mechanism without -PLUS', () => {
    const server = exchange({ serverOffersPlus: true });
    expect(server.start('p=tls-exporter,,n=user,r=abc')).toMatchObject({ ok: false, condition: 'not-authorized' });
  });
});

describe('parseScramAttributes', () => {
  it('parses attributes in order', () => {
    expect([...parseScramAttributes('n=user,r=abc,s=QQ==')!]).toEqual([
      ['n', 'user'],
      ['r', 'abc'],
      ['s', 'QQ=='],
    ]);
  });

  it('refuses a duplicate key', () => {
    expect(parseScramAttributes('r=a,r=b')).toBeUndefined();
  });

  it('refuses a key longer than one letter', () => {
    expect(parseScramAttributes('nn=user')).toBeUndefined();
  });

  it('refuses an empty value', () => {
    expect(parseScramAttributes('n=')).toBeUndefined();
  });

  it('refuses an empty attribute', () => {
    expect(parseScramAttributes('n=user,,r=abc')).toBeUndefined();
  });
});

describe('verifyPassword', () => {
  const creds = deriveScramCredentials('sha256', 'pencil', SALT, 4096);

  it('accepts the password the credentials were made from', () => {
    expect(verifyPassword('sha256', 'pencil', creds)).toBe(true);
  });

  it('refuses any other password', () => {
    expect(verifyPassword('sha256', 'Pencil', creds)).toBe(false);
  });
});
