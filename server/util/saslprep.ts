// SASLprep (RFC 4013) with a fast path. @mongodb-js/saslprep builds its Unicode tables when it is
// loaded (about 1.7 MiB of heap for as long as the server runs); printable ASCII, which nearly
// every username and many passwords are, comes out of SASLprep unchanged, so the library is only
// loaded (synchronously, once) for the first string that needs it.
import { createRequire } from 'node:module';
import type saslprepLibrary from '@mongodb-js/saslprep';

type Saslprep = typeof saslprepLibrary;

// RFC 4013 on U+0020..U+007E: no mapping applies (§2.1), NFKC changes nothing (§2.2), none is
// prohibited (§2.3, ASCII controls are outside this range) and none is right-to-left (§2.4).
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

let library: Saslprep | undefined;

/** SASLprep of `value`; throws, as the library does, on prohibited characters. */
export function saslprep(value: string, options?: Parameters<Saslprep>[1]): string {
  if (PRINTABLE_ASCII.test(value)) return value;
  library ??= createRequire(import.meta.url)('@mongodb-js/saslprep') as Saslprep;
  return library(value, options);
}
