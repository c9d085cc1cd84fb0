// Passwords Hearth makes for people: shown once, then typed on a phone. Lowercase letters and
// digits without look-alikes (0/o, 1/l/i), in dash-separated groups of five: 20 random characters
// from 31 give about 99 bits, well beyond guessing, and are easy to read aloud or copy.
import { randomInt } from 'node:crypto';

const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789';
const groups = 4;
const groupLength = 5;

export function generatePassword(): string {
  const parts: string[] = [];
  for (let g = 0; g < groups; g++) {
    let part = '';
    // randomInt is uniform (rejection sampling inside), so every character is equally likely.
    for (let i = 0; i < groupLength; i++) part += alphabet[randomInt(alphabet.length)];
    parts.push(part);
  }
  return parts.join('-');
}
