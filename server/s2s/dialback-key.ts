// XEP-0185: Dialback Key Generation and Validation — https://xmpp.org/extensions/xep-0185.html
// The key an originating server sends in <db:result/> is derived, not stored: when the receiving
// server asks (through <db:verify/>) whether a key is ours, the same inputs give the same key.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export class DialbackKeys {
  /** §2: SHA256(Secret), hex, as the HMAC key; the secret itself never leaves storage. */
  private readonly hmacKey: string;

  constructor(secret: Buffer) {
    this.hmacKey = createHash('sha256').update(secret).digest('hex');
  }

  /** §2: HMAC-SHA256(SHA256(Secret), Receiving Server ' ' Originating Server ' ' Stream ID), hex. */
  generate(receiving: string, originating: string, streamId: string): string {
    return createHmac('sha256', this.hmacKey).update(`${receiving} ${originating} ${streamId}`).digest('hex');
  }

  /** Whether `key` is the one we made for this stream; compared in constant time. */
  verify(receiving: string, originating: string, streamId: string, key: string): boolean {
    const expected = Buffer.from(this.generate(receiving, originating, streamId));
    const given = Buffer.from(key.trim());
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
