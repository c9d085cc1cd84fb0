// The public privacy statement at /privacy on the HTTPS listener (issue 11): what this server keeps
// about the people who use it, where and for how long, for anyone to read before joining. It is
// built at each request from the same facts as the admin's Privacy page
// (services/privacy/retention-facts.ts), so it follows the running settings — the Storage page
// changes upload.* at once. Pure HTML: every value escaped, no script, nothing loaded from
// anywhere, one inline style allowed by its hash.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PrivacyFacts } from '../control/contract.js';
import { defineModule } from '../core/module-host.js';
import { sendText } from '../net/http-server.js';
import { retentionFacts } from '../services/privacy/retention-facts.js';
import { escapeAttribute } from '../util/xml.js';

export const privacyPath = '/privacy';

const style = `
:root { color-scheme: light dark; --bg: #fbf8f4; --fg: #1f1b16; --muted: #5c554d; --card: #ffffff; --line: #e3dbd0; --warn: #8a5a00; }
@media (prefers-color-scheme: dark) { :root { --bg: #1c1916; --fg: #f2ece4; --muted: #c2b8ab; --card: #26221e; --line: #3d3731; --warn: #ffc66b; } }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 17px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 44rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
h1 { font-size: 1.6rem; line-height: 1.25; margin: 0.5rem 0 0.75rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 0.5rem; }
h3 { font-size: 1.05rem; margin: 0 0 0.25rem; }
.lead, .small { color: var(--muted); }
.small { font-size: 0.9rem; }
article { background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: 0.9rem 1.1rem; margin: 0.75rem 0; }
.kept { font-weight: 600; margin: 0 0 0.25rem; }
.warning { border-left: 4px solid var(--warn); padding: 0.5rem 0.75rem; margin: 1rem 0; }
p { margin: 0.25rem 0; }
li { margin: 0.3rem 0; }
`;

/** Nothing may load, run, post or frame: the page is text and one hashed style. */
export const privacyStatementCsp = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(style).digest('base64')}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

export const privacyStatementHeaders: Readonly<Record<string, string>> = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy': privacyStatementCsp,
  'Referrer-Policy': 'no-referrer',
  // Built from the running settings: a stored copy could say what is no longer true.
  'Cache-Control': 'no-cache',
  'X-Frame-Options': 'DENY',
};

/** Where, after how long ("Not kept" says it all for 'nowhere'). */
const placeText: Record<Exclude<PrivacyFacts['kept'][number]['where'], 'nowhere'>, string> = {
  disk: 'Stored on the server',
  memory: 'In memory only, never stored',
  output: 'In the server’s log output',
};

const h = (value: string): string => escapeAttribute(value);

export function renderPrivacyStatement(facts: PrivacyFacts): string {
  const kept = facts.kept
    .map(
      (fact) => `<article id="${h(fact.id)}">
<h3>${h(fact.title)}</h3>
<p class="kept">${h(fact.kept)}${fact.where === 'nowhere' ? '' : ` · ${h(placeText[fact.where])}`}</p>
<p>${h(fact.details)}</p>
</article>`,
    )
    .join('\n');
  const notKept = facts.notKept.map((item) => `<li id="${h(item.id)}">${h(item.text)}</li>`).join('\n');
  const warning = facts.debugLogging
    ? `<p class="warning" role="note"><strong>Debug logging is on right now:</strong> for a while, the server’s log can hold message content and other people’s addresses.</p>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Privacy · ${h(facts.domain)}</title>
<style>${style}</style>
</head>
<body>
<main>
<h1>What ${h(facts.domain)} keeps about you</h1>
<p class="lead">${h(facts.domain)} is a private chat server run with Hearth for a family. This page is made from its settings as they are now, and says what it keeps, where and for how long.</p>
${warning}
<h2>What is kept</h2>
${kept}
<h2>What is never kept</h2>
<ul>
${notKept}
</ul>
<p class="small">Messages you send to people on other servers are also kept by those servers, under their own rules.</p>
</main>
</body>
</html>
`;
}

function answer(config: Parameters<typeof retentionFacts>[0], request: IncomingMessage, response: ServerResponse): void {
  if (request.method !== 'GET' && request.method !== 'HEAD') return sendText(response, 405, 'only GET and HEAD are allowed here', { Allow: 'GET, HEAD' });
  const html = renderPrivacyStatement(retentionFacts(config));
  response.writeHead(200, { ...privacyStatementHeaders, 'Content-Length': String(Buffer.byteLength(html)) });
  response.end(request.method === 'HEAD' ? undefined : html);
}

export default defineModule({
  name: 'privacy-statement',
  setup(mod) {
    mod.http.route({ path: privacyPath, handle: (request, response) => answer(mod.config, request, response) });
  },
});
