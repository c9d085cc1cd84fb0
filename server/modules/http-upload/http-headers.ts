// The HTTP details of serving uploaded files, as pure functions: media types (RFC 9110 §8.3.1),
// Content-Disposition with a UTF-8 filename (RFC 6266, RFC 8187) and byte ranges (RFC 9110 §14).

/** RFC 9110 §5.6.2 tchar. */
const token = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
/** RFC 9110 §5.6.4: a quoted-string with its escapes (visible ASCII, space and tab). */
const quotedString = '"(?:[\\t !#-\\[\\]-~]|\\\\[\\t -~])*"';
const mediaTypePattern = new RegExp(`^(${token})/(${token})((?:[ \\t]*;[ \\t]*${token}=(?:${token}|${quotedString}))*)[ \\t]*$`);

export const defaultContentType = 'application/octet-stream';
/** Longer media types are refused: no real one comes near it. */
const maxMediaTypeLength = 255;

export interface MediaType {
  /** type/subtype, lower-cased: what comparisons use. */
  essence: string;
  /** The whole value, type and subtype lower-cased, parameters as given. */
  value: string;
}

/** A Content-Type value (RFC 9110 §8.3.1: type "/" subtype *( OWS ";" OWS parameter )), or undefined when it is not one. */
export function parseMediaType(text: string): MediaType | undefined {
  const trimmed = text.trim();
  if (trimmed.length === 0 || trimmed.length > maxMediaTypeLength) return undefined;
  const match = mediaTypePattern.exec(trimmed);
  if (!match) return undefined;
  const essence = `${match[1]!.toLowerCase()}/${match[2]!.toLowerCase()}`;
  const parameters = match[3]!
    .split(/;(?=(?:[^"]*"[^"]*")*[^"]*$)/)
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
  return { essence, value: [essence, ...parameters].join('; ') };
}

/**
 * Whether a browser opening the link should show the file (photos, voice messages, videos) rather
 * than save it. SVG is left out: it is an image that can carry script.
 */
export function showsInline(contentType: string): boolean {
  const essence = parseMediaType(contentType)?.essence ?? defaultContentType;
  if (essence === 'image/svg+xml') return false;
  return essence.startsWith('image/') || essence.startsWith('audio/') || essence.startsWith('video/');
}

/** RFC 8187 §3.2.1 attr-char: what may stay unencoded in a `filename*` value. */
function encodeExtValue(text: string): string {
  return Array.from(new TextEncoder().encode(text), (byte) => {
    const char = String.fromCharCode(byte);
    return /[A-Za-z0-9!#$&+.^_`|~-]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }).join('');
}

/**
 * RFC 6266 §4: the disposition with the name twice, as an ASCII fallback in `filename` for old
 * browsers and exactly in UTF-8 in `filename*` (RFC 8187), which current ones prefer (§4.3).
 */
export function contentDisposition(filename: string, inline: boolean): string {
  const fallback = filename.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  return `${inline ? 'inline' : 'attachment'}; filename="${fallback}"; filename*=UTF-8''${encodeExtValue(filename)}`;
}

export type ByteRange = { kind: 'whole' } | { kind: 'part'; start: number; end: number } | { kind: 'unsatisfiable' };

/**
 * The part of a `size`-byte file a Range header asks for (RFC 9110 §14.1.2). Only one range is
 * served: a header with several, another unit or a syntax error is ignored and the whole file
 * sent, as §14.2 allows. `end` is inclusive.
 */
export function parseRange(header: string | undefined, size: number): ByteRange {
  if (header === undefined) return { kind: 'whole' };
  const match = /^bytes[ \t]*=[ \t]*(\d*)[ \t]*-[ \t]*(\d*)[ \t]*$/i.exec(header);
  if (!match) return { kind: 'whole' };
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return { kind: 'whole' };
  if (first === '') {
    // A suffix: the last N bytes (§14.1.2: "-0" can never be satisfied).
    const length = Number(last);
    if (length === 0) return { kind: 'unsatisfiable' };
    return { kind: 'part', start: Math.max(0, size - length), end: size - 1 };
  }
  const start = Number(first);
  // "10-5" is not a valid range (§14.1.1): ignored, like any other syntax error.
  if (last !== '' && Number(last) < start) return { kind: 'whole' };
  if (start >= size) return { kind: 'unsatisfiable' };
  const end = last === '' ? size - 1 : Number(last);
  return { kind: 'part', start, end: Math.min(end, size - 1) };
}

/** A strong entity tag for an upload: its bytes never change, so the id names them. */
export function entityTag(id: string): string {
  return `"${id}"`;
}

/** RFC 9110 §13.1.2 If-None-Match: "*" or a list of tags; weak comparison. */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}
