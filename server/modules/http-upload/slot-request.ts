// Reading a slot request (XEP-0363 §4: <request filename size content-type/>): what may become
// part of a URL and a Content-Disposition, and a size the limits can be checked against.
import { Element } from 'ltx';
import { StanzaError } from '../../util/errors.js';
import { describeBytes } from '../../util/units.js';
import { parseMediaType } from './http-headers.js';

export const uploadNs = 'urn:xmpp:http:upload:0';

export interface SlotRequest {
  filename: string;
  size: number;
  /** Normalized; undefined when the client gave none (the PUT's Content-Type then decides). */
  contentType: string | undefined;
}

export type SlotRequestCheck = { ok: true; request: SlotRequest } | { ok: false; error: StanzaError; detail?: Element };

/** Most bytes a filename may have: what common file systems allow. */
export const maxFilenameBytes = 255;
/** Bidirectional overrides and isolates: "photo\u202Egpj.exe" would show as "photoexe.jpg". */
const bidiControls = /[\u202A-\u202E\u2066-\u2069]/u;

/** Why a filename cannot be used, or undefined when it can. */
export function filenameProblem(filename: string): string | undefined {
  if (filename.length === 0) return 'the request needs a filename';
  if (Buffer.byteLength(filename, 'utf8') > maxFilenameBytes) return `the filename is longer than ${maxFilenameBytes} bytes: shorten it`;
  if (filename.includes('/') || filename.includes('\\')) return 'the filename must not contain / or \\';
  if (/\p{Cc}/u.test(filename)) return 'the filename must not contain control characters';
  if (bidiControls.test(filename)) return 'the filename must not contain characters that change the direction of text';
  if (/\p{Cs}/u.test(filename)) return 'the filename is not valid Unicode';
  // A URL path segment of "." or ".." would be resolved away by the client.
  if (filename === '.' || filename === '..') return 'the filename must not be . or ..';
  return undefined;
}

/** XEP-0363 §4: the error for a file over the limit carries the limit itself. */
export function fileTooLarge(maxFileSize: number): { error: StanzaError; detail: Element } {
  const detail = new Element('file-too-large', { xmlns: uploadNs });
  detail.c('max-file-size').t(String(maxFileSize));
  return { error: new StanzaError('not-acceptable', `the file is too large: files of at most ${describeBytes(maxFileSize)} (${maxFileSize} bytes) can be uploaded`), detail };
}

export function readSlotRequest(request: Element, maxFileSize: number): SlotRequestCheck {
  const bad = (text: string): SlotRequestCheck => ({ ok: false, error: new StanzaError('bad-request', text) });
  const filename = String(request.attrs.filename ?? '');
  const problem = filenameProblem(filename);
  if (problem) return bad(problem);

  const sizeText = String(request.attrs.size ?? '');
  if (!/^\d{1,16}$/.test(sizeText)) return bad('the request needs the file size in bytes (size="12345")');
  const size = Number(sizeText);
  if (size === 0) return bad('the file is empty: there is nothing to upload');

  const typeText = request.attrs['content-type'] as string | undefined;
  let contentType: string | undefined;
  if (typeText !== undefined && typeText.trim() !== '') {
    const parsed = parseMediaType(typeText);
    if (!parsed) return bad('the content-type is not a valid media type (such as image/jpeg)');
    contentType = parsed.value;
  }

  if (size > maxFileSize) return { ok: false, ...fileTooLarge(maxFileSize) };
  return { ok: true, request: { filename, size, contentType } };
}
