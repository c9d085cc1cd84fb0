// The HTTP side of XEP-0363 (§5): PUT brings a slot's file, once; GET and HEAD serve it to anyone
// with the link, which is the secret. Everything is under /upload/<slot id>/<filename> on the
// HTTPS listener; only an id of the exact shape is ever looked up, and nothing else in the path
// reaches the disk, so there is no listing and no way out of the uploads directory.
import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { UploadRecord, UploadRepository } from '../../core/storage/uploads.js';
import { corsHeaders, sendText } from '../../net/http-server.js';
import type { Logger } from '../../util/log.js';
import { IncompleteUpload, isSlotId, type UploadFileStore } from './file-store.js';
import { contentDisposition, defaultContentType, entityTag, matchesIfNoneMatch, parseMediaType, parseRange, showsInline } from './http-headers.js';
import { dayMs } from './quota.js';
import { describeBytes } from '../../util/units.js';

export const uploadPathPrefix = '/upload/';

export interface UploadHttpContext {
  uploads: UploadRepository;
  files: UploadFileStore;
  now(): number;
  /** How long a slot may wait for its PUT to start. */
  slotLifetimeMs: number;
  retentionDays(): number;
  /** Slots with a PUT running now (at most one each). */
  busy: Set<string>;
  log: Logger;
}

const allowedMethods = 'GET, HEAD, PUT, OPTIONS';

/** The slot id of /upload/<id>/<filename>, or undefined for any other shape. */
export function slotIdOfPath(pathname: string): string | undefined {
  if (!pathname.startsWith(uploadPathPrefix)) return undefined;
  const segments = pathname.slice(uploadPathPrefix.length).split('/');
  if (segments.length !== 2) return undefined;
  const [id, name] = segments as [string, string];
  // The filename segment is for people and browsers; the id alone names the file.
  if (!isSlotId(id) || name.length === 0) return undefined;
  return id;
}

export function handleUploadRequest(context: UploadHttpContext, request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> | void {
  const method = request.method ?? 'GET';
  // Preflight for web clients' PUT (XEP-0363 §5: the service must allow cross-origin requests).
  if (method === 'OPTIONS') {
    response.writeHead(204, corsHeaders);
    response.end();
    return;
  }
  const id = slotIdOfPath(url.pathname);
  if (!id) return refuse(response, 404, 'not found');
  if (method === 'PUT') return receiveUpload(context, id, request, response);
  if (method === 'GET' || method === 'HEAD') return serveUpload(context, id, request, response, method === 'HEAD');
  return refuse(response, 405, `only ${allowedMethods} are allowed here`, { Allow: allowedMethods });
}

function refuse(response: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  sendText(response, status, text, { ...corsHeaders, ...headers });
}

/**
 * Refuses a PUT without reading its body: the connection closes after the answer, so a client
 * that keeps sending does not make the server read (and throw away) a whole file.
 */
function refusePut(response: ServerResponse, status: number, text: string): void {
  refuse(response, status, text, { Connection: 'close' });
}

async function receiveUpload(context: UploadHttpContext, id: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const { uploads, files, busy, log } = context;
  const slot = uploads.get(id);
  if (!slot) return refusePut(response, 404, 'there is no upload slot at this address: ask for a new one');
  if (slot.uploadedAt !== undefined) return refusePut(response, 409, 'this slot was used already: each slot takes one upload');
  if (busy.has(id)) return refusePut(response, 409, 'a file is being uploaded to this slot right now');
  if (context.now() > slot.requestedAt + context.slotLifetimeMs) return refusePut(response, 410, 'this upload slot has expired: ask for a new one');

  const length = request.headers['content-length'];
  if (length === undefined) return refusePut(response, 411, `send the Content-Length header: this slot is for ${slot.size} bytes`);
  if (!/^\d{1,16}$/.test(length)) return refusePut(response, 400, 'the Content-Length header is not a number of bytes');
  const declared = Number(length);
  if (declared > slot.size) return refusePut(response, 413, `this slot is for a file of ${slot.size} bytes, not ${declared}`);
  if (declared < slot.size) return refusePut(response, 400, `this slot is for a file of ${slot.size} bytes, not ${declared}`);

  let contentType = slot.contentType ?? defaultContentType;
  const sent = request.headers['content-type'];
  if (sent !== undefined) {
    const parsed = parseMediaType(sent);
    if (!parsed) return refusePut(response, 400, 'the Content-Type header is not a valid media type');
    if (slot.contentType !== undefined && parseMediaType(slot.contentType)?.essence !== parsed.essence) {
      return refusePut(response, 415, `this slot is for a file of type ${slot.contentType}, not ${parsed.essence}`);
    }
    // The slot request named no type: the upload's own says what the file is.
    if (slot.contentType === undefined) contentType = parsed.value;
  }

  busy.add(id);
  try {
    // Everything checked: now the client may send the bytes (RFC 9110 §10.1.1).
    if (/^100-continue$/i.test(request.headers.expect ?? '')) response.writeContinue();
    await files.receive(id, request, slot.size);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOSPC' || (error as NodeJS.ErrnoException).code === 'EDQUOT') {
      log.warn('an upload failed: the disk is full');
      return refusePut(response, 507, 'the server has no room for this file now');
    }
    if (!(error instanceof IncompleteUpload)) throw error;
    // The slot stays unused: the app may try again while it is valid.
    log.debug(`an upload did not complete (${error.reason}, ${error.received} of ${slot.size} bytes); nothing was kept`);
    if (error.reason === 'aborted') response.destroy();
    else refusePut(response, error.reason === 'too-long' ? 413 : 400, `this slot is for exactly ${slot.size} bytes`);
    return;
  } finally {
    busy.delete(id);
  }
  if (!uploads.markUploaded(id, context.now(), contentType)) {
    // Deleted meanwhile (its account was deleted, or every upload was purged).
    files.delete(id);
    return refuse(response, 410, 'this upload slot was withdrawn while the file was being uploaded');
  }
  log.info(`a file of ${describeBytes(slot.size)} was uploaded`);
  response.writeHead(201, { ...corsHeaders, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': '8' });
  response.end('created\n');
}

function cacheSeconds(record: UploadRecord, retentionDays: number, now: number): number {
  // Until the file is deleted, and no longer: a cached copy must not outlive the retention.
  const expiresAt = (record.uploadedAt ?? now) + retentionDays * dayMs;
  return Math.max(0, Math.floor((expiresAt - now) / 1000));
}

async function serveUpload(context: UploadHttpContext, id: string, request: IncomingMessage, response: ServerResponse, headOnly: boolean): Promise<void> {
  const record = context.uploads.get(id);
  if (!record || record.uploadedAt === undefined) return refuse(response, 404, 'not found');
  const size = context.files.sizeOf(id);
  if (size !== record.size) {
    context.log.warn('an uploaded file is missing from the uploads directory (or has the wrong size)');
    return refuse(response, 404, 'not found');
  }

  const contentType = record.contentType ?? defaultContentType;
  const inline = showsInline(contentType);
  const etag = entityTag(id);
  const headers: Record<string, string> = {
    ...corsHeaders,
    'Content-Type': contentType,
    'Content-Disposition': contentDisposition(record.filename, inline),
    'Accept-Ranges': 'bytes',
    'Cache-Control': `public, max-age=${cacheSeconds(record, context.retentionDays(), context.now())}, immutable`,
    ETag: etag,
    'Last-Modified': new Date(record.uploadedAt).toUTCString(),
  };
  // An HTML or SVG file opened from its link must not run script on this origin (where BOSH,
  // WebSocket and the invite pages live): it is sandboxed, as if on an origin of its own.
  if (!inline) headers['Content-Security-Policy'] = 'sandbox';

  if (matchesIfNoneMatch(request.headers['if-none-match'], etag)) {
    response.writeHead(304, headers);
    response.end();
    return;
  }

  // If-Range needs no check: the bytes behind an id never change, so every validator matches.
  const range = parseRange(request.headers.range, size);
  if (range.kind === 'unsatisfiable') {
    return refuse(response, 416, 'that range is outside the file', { 'Content-Range': `bytes */${size}`, 'Accept-Ranges': 'bytes' });
  }
  const [start, end] = range.kind === 'part' ? [range.start, range.end] : [0, size - 1];
  const status = range.kind === 'part' ? 206 : 200;
  if (range.kind === 'part') headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
  headers['Content-Length'] = String(end - start + 1);
  response.writeHead(status, headers);
  if (headOnly) {
    response.end();
    return;
  }
  try {
    await pipeline(createReadStream(context.files.readPath(id), { start, end }), response);
  } catch {
    // The downloader went away, or the file was deleted while it was being read.
    response.destroy();
  }
}
