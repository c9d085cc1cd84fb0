// XEP-0156: Discovering Alternative XMPP Connection Methods — https://xmpp.org/extensions/xep-0156.html
// Web clients cannot look up DNS SRV records, so they fetch /.well-known/host-meta (RFC 6415) from
// the domain to learn where BOSH and WebSocket are. Both the XRD (XML) and JRD (JSON) forms are
// served, readable from any origin (§3: "MUST" set Access-Control-Allow-Origin for browsers).
import type { ServerResponse } from 'node:http';
import { Element } from 'ltx';
import { defineModule } from '../core/module-host.js';
import { corsHeaders, sendText } from '../net/http-server.js';
import { serialize } from '../util/xml.js';

/** Paths of the transports on the HTTPS listener (net/bosh.ts, net/websocket.ts). */
export const boshPath = '/http-bind';
export const webSocketPath = '/xmpp-websocket';

const relations = {
  bosh: 'urn:xmpp:alt-connections:xbosh',
  webSocket: 'urn:xmpp:alt-connections:websocket',
} as const;

export interface ConnectionLink {
  rel: string;
  href: string;
}

/** The endpoints a client may use, from the public HTTPS address (https://host[:port]). */
export function connectionLinks(publicUrl: string): ConnectionLink[] {
  const webSocketUrl = new URL(webSocketPath, publicUrl);
  webSocketUrl.protocol = 'wss:';
  return [
    { rel: relations.bosh, href: new URL(boshPath, publicUrl).toString() },
    { rel: relations.webSocket, href: webSocketUrl.toString() },
  ];
}

export function hostMetaXml(links: ConnectionLink[]): string {
  const xrd = new Element('XRD', { xmlns: 'http://docs.oasis-open.org/ns/xri/xrd-1.0' });
  for (const link of links) xrd.c('Link', { rel: link.rel, href: link.href });
  return `<?xml version='1.0' encoding='utf-8'?>\n${serialize(xrd)}\n`;
}

export function hostMetaJson(links: ConnectionLink[]): string {
  return `${JSON.stringify({ links }, null, 2)}\n`;
}

function answer(response: ServerResponse, method: string | undefined, contentType: string, body: string): void {
  if (method === 'OPTIONS') {
    response.writeHead(204, corsHeaders);
    response.end();
    return;
  }
  if (method !== 'GET' && method !== 'HEAD') {
    return sendText(response, 405, 'only GET, HEAD and OPTIONS are allowed here', { Allow: 'GET, HEAD, OPTIONS', ...corsHeaders });
  }
  response.writeHead(200, {
    ...corsHeaders,
    'Content-Type': contentType,
    'Content-Length': String(Buffer.byteLength(body)),
    // The endpoints change only when the admin changes ports or the public address.
    'Cache-Control': 'public, max-age=3600',
  });
  response.end(method === 'HEAD' ? undefined : body);
}

export default defineModule({
  name: 'connection-discovery',
  setup(mod) {
    mod.http.route({
      path: '/.well-known/host-meta',
      handle: (request, response) => answer(response, request.method, 'application/xrd+xml; charset=utf-8', hostMetaXml(connectionLinks(mod.http.publicUrl()))),
    });
    mod.http.route({
      path: '/.well-known/host-meta.json',
      handle: (request, response) => answer(response, request.method, 'application/json; charset=utf-8', hostMetaJson(connectionLinks(mod.http.publicUrl()))),
    });
  },
});
