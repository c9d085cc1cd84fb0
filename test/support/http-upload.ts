// What the file upload tests need (XEP-0363): a slot asked for over XMPP, and HTTPS requests to
// the server made the way an app makes them, trusting only the test CA (not by switching off
// certificate checks). Hearth's URLs name "localhost"; the requests go to 127.0.0.1, where the
// test server listens, with "localhost" as the TLS server name and Host.
import type { Client, Element } from '@xmpp/client';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import type { ClientRequest, IncomingHttpHeaders } from 'node:http';
import { xml } from './server.js';

export const uploadNs = 'urn:xmpp:http:upload:0';

const testCa = () => {
  const file = process.env.HEARTH_TEST_CA;
  if (!file) throw new Error('HEARTH_TEST_CA is not set (test/support/global-setup.ts sets it)');
  return readFileSync(file);
};

export interface Slot {
  put: string;
  get: string;
  /** The slot id: the first path segment after /upload/. */
  id: string;
}

export function slotRequest(service: string, attrs: { filename: string; size: number | string; 'content-type'?: string }): Element {
  return xml('iq', { type: 'get', to: service }, xml('request', { xmlns: uploadNs, filename: attrs.filename, size: String(attrs.size), 'content-type': attrs['content-type'] }));
}

/** Asks `service` for a slot; rejects with @xmpp/client's StanzaError when refused. */
export async function requestSlot(client: Client, service: string, attrs: { filename: string; size: number; 'content-type'?: string }): Promise<Slot> {
  const result = await client.iqCaller.request(slotRequest(service, attrs));
  const slot = result.getChild('slot', uploadNs)!;
  const put = slot.getChild('put')!.attrs.url as string;
  const get = slot.getChild('get')!.attrs.url as string;
  return { put, get, id: new URL(put).pathname.split('/')[2]! };
}

export interface HttpsAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface HttpsOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer;
  /** Sent as written (no URL normalization): for paths like /upload/../hearth.sqlite. */
  rawPath?: string;
  /** Sends "Expect: 100-continue" and the body only after the server's 100 Continue, as curl does. */
  expectContinue?: boolean;
}

/** Starts a request to a URL on the test server; the caller writes the body and ends it. */
export function openHttps(url: string, options: Omit<HttpsOptions, 'body'> = {}): ClientRequest {
  const target = new URL(url);
  return request({
    host: '127.0.0.1',
    port: Number(target.port || 443),
    servername: target.hostname,
    ca: testCa(),
    method: options.method ?? 'GET',
    path: options.rawPath ?? `${target.pathname}${target.search}`,
    headers: { Host: target.host, ...options.headers },
    // A fresh connection each time: the tests also cut connections on purpose.
    agent: false,
  });
}

/**
 * One request and its whole answer. An answer the server sends before it has read the body
 * (a refused PUT) counts, even when the server then closes the connection under the upload.
 */
export function https(url: string, options: HttpsOptions = {}): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const headers = {
      ...(options.body ? { 'Content-Length': String(options.body.length) } : {}),
      ...(options.expectContinue ? { Expect: '100-continue' } : {}),
      ...options.headers,
    };
    const outgoing = openHttps(url, { ...options, headers });
    let answered = false;
    let bodySent = false;
    outgoing.on('response', (response) => {
      answered = true;
      // Refused without a 100 Continue: the body is never sent, and the connection is done.
      if (options.expectContinue && !bodySent) response.on('end', () => outgoing.destroy());
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
      response.on('error', reject);
    });
    outgoing.on('error', (error) => {
      if (!answered) reject(error);
    });
    if (options.expectContinue) {
      outgoing.flushHeaders();
      outgoing.on('continue', () => {
        bodySent = true;
        outgoing.end(options.body);
      });
    } else {
      outgoing.end(options.body);
    }
  });
}

/** PUTs `body` to a slot's URL, as apps do: Content-Length, and Content-Type when known. */
export function putFile(slot: Slot, body: Buffer, contentType?: string): Promise<HttpsAnswer> {
  return https(slot.put, { method: 'PUT', body, headers: contentType ? { 'Content-Type': contentType } : {} });
}
