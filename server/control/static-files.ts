// The built admin UI (Vite output in dist/renderer/), served on the admin port so a browser on
// this computer can open it. Only files inside that folder are ever read; paths that try to
// leave it are refused, and any other path gets index.html (the UI routes by itself).
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, extname, join, resolve, sep } from 'node:path';

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** dist/renderer of the project this file belongs to (found from dist/server/control or server/control). */
export function defaultUiDir(): string {
  let dir = import.meta.dirname;
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'dist', 'renderer');
    dir = dirname(dir);
  }
  return join(import.meta.dirname, '..', '..', 'renderer');
}

export async function serveStatic(uiDir: string, pathname: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('Allow', 'GET, HEAD');
    return sendText(response, 405, 'only GET and HEAD are allowed here');
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return sendText(response, 400, 'that path is not valid');
  }
  const segments = decoded.split('/').filter((s) => s !== '');
  // No way out of the folder: no "..", no backslashes or NUL bytes, no hidden files.
  if (segments.some((s) => s === '..' || s.startsWith('.') || s.includes('\\') || s.includes('\0'))) {
    return sendText(response, 404, 'not found');
  }
  const root = resolve(uiDir);
  let file = resolve(root, ...segments);
  if (file !== root && !file.startsWith(root + sep)) return sendText(response, 404, 'not found');

  if (!isFile(file)) {
    // A missing asset is a 404; any other path is a page of the UI.
    if (extname(decoded) !== '') return sendText(response, 404, 'not found');
    file = join(root, 'index.html');
    if (!isFile(file)) return sendText(response, 503, 'The admin UI is not built yet. Run `npm run build`, then reload this page.');
  }
  const body = await readFile(file);
  const type = contentTypes[extname(file).toLowerCase()] ?? 'application/octet-stream';
  // Vite puts a content hash in every asset name, so those never change; index.html always may.
  const immutable = segments[0] === 'assets' && file !== join(root, 'index.html');
  response.writeHead(200, {
    'Content-Type': type,
    'Content-Length': body.length,
    'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  response.end(request.method === 'HEAD' ? undefined : body);
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function sendText(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  response.end(text);
}
