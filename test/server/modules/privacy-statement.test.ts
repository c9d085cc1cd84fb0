// The public privacy statement at /privacy over real HTTPS: made from the same facts as the admin's
// Privacy page and from the running settings, every value escaped, nothing loaded from anywhere.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderPrivacyStatement } from '../../../server/modules/privacy-statement.js';
import { retentionFacts } from '../../../server/services/privacy/retention-facts.js';
import { startTestServer, type TestServer } from '../../support/server.js';

let t: TestServer;
const statementUrl = () => `https://localhost:${t.server.listeners.find((l) => l.name === 'https')!.port}/privacy`;

beforeAll(async () => {
  t = await startTestServer({ archive: { retentionDays: 21 }, log: { level: 'info' } });
});
afterAll(() => t.stop());

describe('the privacy statement', () => {
  it('is served at /privacy on HTTPS as HTML', async () => {
    const response = await fetch(statementUrl());
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await response.text()).toContain('<h1>What localhost keeps about you</h1>');
  });

  it('lists every fact of the Privacy page, from the running settings', async () => {
    const html = await (await fetch(statementUrl())).text();
    const facts = retentionFacts(t.config);
    for (const fact of facts.kept) expect(html).toContain(`<article id="${fact.id}">`);
    for (const item of facts.notKept) expect(html).toContain(`<li id="${item.id}">`);
    expect(html).toMatch(/<article id="archive">\s*<h3>Message history<\/h3>\s*<p class="kept">21 days · Stored on the server<\/p>/);
    expect(html).toMatch(/<article id="failed-sign-ins">[\s\S]*?24 hours · In memory only, never stored/);
  });

  it('follows a change of upload.retentionDays at the next request', async () => {
    const changed = await t.server.control.request('storage.setOptions', { retentionDays: 9 });
    expect(changed.ok).toBe(true);
    expect(await (await fetch(statementUrl())).text()).toMatch(/<article id="uploads">\s*<h3>Shared files<\/h3>\s*<p class="kept">9 days/);
  });

  it('loads nothing, runs nothing and cannot be framed', async () => {
    const response = await fetch(statementUrl());
    const csp = response.headers.get('content-security-policy')!;
    expect(csp).toMatch(/^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/]+=*'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'$/);
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await response.text();
    expect(html).not.toMatch(/<script|<img|<link|<iframe|\ssrc=|https?:\/\//i);
  });

  it('answers HEAD without a body and refuses POST with 405', async () => {
    const head = await fetch(statementUrl(), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const post = await fetch(statementUrl(), { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('escapes what it shows', () => {
    const facts = retentionFacts(t.config);
    const html = renderPrivacyStatement({ ...facts, domain: '<b>x</b>', kept: [{ ...facts.kept[0]!, details: 'a "quoted" <i>detail</i> & more' }] });
    expect(html).toContain('What &lt;b&gt;x&lt;/b&gt; keeps about you');
    expect(html).toContain('a &quot;quoted&quot; &lt;i&gt;detail&lt;/i&gt; &amp; more');
    expect(html).not.toContain('<i>detail');
  });

  it('says so while debug logging is on', () => {
    const html = renderPrivacyStatement(retentionFacts({ ...t.config, log: { level: 'debug' } }));
    expect(html).toContain('Debug logging is on right now');
    expect(html).not.toContain('<li id="content-in-logs">');
  });
});
