// The invitation's landing page (XEP-0401 §5.2, XEP-0379 §3.3): who invites, a button that opens
// the xmpp: link in an installed app, its QR code, what to install on Android, iPhone and a
// computer in plain words, how to reach this server at home (LAN address, port, certificate
// fingerprint), and a form that creates the account right here for apps that cannot use the link.
// Pure rendering: HTML with every value escaped, no script, one inline style allowed by its hash.
import { createHash } from 'node:crypto';
import { escapeAttribute } from '../../util/xml.js';

export type Platform = 'android' | 'ios' | 'desktop';

export interface ConnectionDetails {
  domain: string;
  /** IPv4 addresses of this computer on the home network. */
  lanAddresses: string[];
  /** The .local name multicast DNS answers for, when it is published. */
  lanHostName: string | undefined;
  c2sPort: number;
  /** SHA-256 of the certificate this page was served with, as colon-separated hex. */
  fingerprint: string | undefined;
}

export interface LandingPage {
  /** "alice@kitchen-pc invites you", or the server's own invitation. */
  inviterJid: string | undefined;
  kind: 'account' | 'contact';
  /** A user name the invitation keeps for the invitee. */
  username: string | undefined;
  expiresAt: number;
  uri: string;
  qrSvg: string;
  connection: ConnectionDetails;
  platform: Platform;
  /** The web form: its anti-forgery value, what was typed and what was wrong with it. */
  form: { key: string; username?: string; error?: string };
}

const style = `
:root { color-scheme: light dark; --bg: #fbf8f4; --fg: #1f1b16; --muted: #5c554d; --card: #ffffff; --line: #e3dbd0; --accent: #b3471b; --accent-fg: #ffffff; --error: #a32020; }
@media (prefers-color-scheme: dark) { :root { --bg: #1c1916; --fg: #f2ece4; --muted: #c2b8ab; --card: #26221e; --line: #3d3731; --accent: #f08a5d; --accent-fg: #1c1916; --error: #ff8a80; } }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 17px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 40rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
h1 { font-size: 1.6rem; line-height: 1.25; margin: 0.5rem 0 0.75rem; }
h2 { font-size: 1.15rem; margin: 0 0 0.5rem; }
section, details { background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: 1rem 1.1rem; margin: 1rem 0; }
details > summary { cursor: pointer; font-weight: 600; }
details[open] > summary { margin-bottom: 0.5rem; }
.lead { color: var(--muted); }
.button { display: inline-block; background: var(--accent); color: var(--accent-fg); text-decoration: none; font-weight: 600; padding: 0.75rem 1.25rem; border-radius: 10px; border: 0; font-size: 1rem; cursor: pointer; }
.button:focus-visible, a:focus-visible, input:focus-visible, summary:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.qr-box { display: flex; gap: 1rem; align-items: center; flex-wrap: wrap; }
.qr { width: 200px; height: 200px; background: #ffffff; border-radius: 8px; flex: none; }
.mono, code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; word-break: break-all; }
.small { font-size: 0.9rem; color: var(--muted); }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1rem; margin: 0; }
dt { color: var(--muted); }
dd { margin: 0; }
label { display: block; font-weight: 600; margin: 0.75rem 0 0.25rem; }
input { width: 100%; font: inherit; padding: 0.6rem 0.7rem; border: 1px solid var(--line); border-radius: 8px; background: var(--bg); color: var(--fg); }
.hint { margin: 0.25rem 0 0; }
.error { border-left: 4px solid var(--error); padding: 0.5rem 0.75rem; margin: 0.75rem 0; }
.error strong { color: var(--error); }
ol, ul { padding-left: 1.3rem; }
li { margin: 0.3rem 0; }
`;

/** The content security policy of these pages: nothing may load, run or frame; forms post here only. */
export const landingPageCsp = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(style).digest('base64')}'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`;

/** Headers every invitation page gets: the token is in the address, so it must go nowhere else. */
export const landingPageHeaders: Readonly<Record<string, string>> = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy': landingPageCsp,
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
  'X-Frame-Options': 'DENY',
};

/** What the browser's User-Agent says the page is opened on (the likely device comes first). */
export function platformOf(userAgent: string | undefined): Platform {
  if (!userAgent) return 'desktop';
  if (/Android/i.test(userAgent)) return 'android';
  if (/iPhone|iPad|iPod/i.test(userAgent)) return 'ios';
  return 'desktop';
}

const h = (value: string): string => escapeAttribute(value);

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<title>${h(title)}</title>
<style>${style}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

function formatDate(ms: number): string {
  return new Date(ms).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
}

export function renderLandingPage(view: LandingPage): string {
  const server = view.connection.domain;
  const who = view.inviterJid ? `<span class="mono">${h(view.inviterJid)}</span> invites you` : 'You are invited';
  const what =
    view.kind === 'contact'
      ? `to chat with them on <strong>${h(server)}</strong>, a private chat server.`
      : `to join <strong>${h(server)}</strong>, a private chat server for a family.`;
  const appButton = view.kind === 'contact' ? 'Open the invitation in the chat app' : 'Create my account in the chat app';
  const sections: Record<Platform, string> = {
    android: androidSteps(view, appButton),
    ios: iosSteps(view),
    desktop: desktopSteps(view),
  };
  const order: Platform[] = [view.platform, ...(['android', 'ios', 'desktop'] as const).filter((p) => p !== view.platform)];
  const body = `
<h1>${who} ${what}</h1>
<p class="lead">It works with the chat apps that speak XMPP; your messages stay on this server. The invitation is valid until ${h(formatDate(view.expiresAt))}.</p>
<section aria-labelledby="open-heading">
<h2 id="open-heading">Already have a chat app?</h2>
<p><a class="button" href="${h(view.uri)}">${h(appButton)}</a></p>
<div class="qr-box">
${view.qrSvg}
<p class="small">On a computer screen? Scan this code with the app on your phone (in Conversations: the QR code button when adding an account or a contact).</p>
</div>
<p class="small">The link: <span class="mono">${h(view.uri)}</span></p>
</section>
${order.map((p, i) => sections[p].replace('<details', i === 0 ? '<details open' : '<details')).join('\n')}
${registrationForm(view)}
${connectionSection(view.connection)}
<p class="small">Do not know who sent this, or do not want to chat with them? Then there is nothing to do: the invitation simply expires.</p>`;
  return page(`Invitation to ${server}`, body);
}

function androidSteps(view: LandingPage, appButton: string): string {
  return `<details>
<summary>On an Android phone</summary>
<ol>
<li>Install <strong>Conversations</strong> from <a href="https://play.google.com/store/apps/details?id=eu.siacs.conversations">Google Play</a> or, free of charge, from <a href="https://f-droid.org/packages/eu.siacs.conversations/">F-Droid</a>.</li>
<li>Come back to this page and tap <strong>${h(appButton)}</strong>. Conversations opens and ${view.kind === 'contact' ? 'offers to add the person who invited you (or to make an account here first)' : `offers to create your account on ${h(view.connection.domain)}`}.</li>
<li>Choose a user name if it asks for one, and let it make a password (or type your own). ${view.kind === 'contact' ? '' : 'Your family is already in your contacts when it is done.'}</li>
</ol>
</details>`;
}

function iosSteps(view: LandingPage): string {
  return `<details>
<summary>On an iPhone or iPad</summary>
<ol>
<li>Install <strong>Monal</strong> (<a href="https://apps.apple.com/app/monal-free-xmpp-chat/id317711500">App Store</a>) or <strong>Siskin IM</strong> (<a href="https://apps.apple.com/app/siskin-im/id1153516838">App Store</a>).</li>
<li>Come back here and tap the button above. If the app does not offer to create the account, create it with the form below instead.</li>
<li>In the app, sign in with your new address (for example <span class="mono">name@${h(view.connection.domain)}</span>) and your password.</li>
</ol>
<p class="small">Monal and Siskin only connect to servers with a certificate from a public authority: ask the person who invited you if it does not connect.</p>
</details>`;
}

function desktopSteps(view: LandingPage): string {
  return `<details>
<summary>On a computer</summary>
<ol>
<li>Install <strong>Gajim</strong> (Windows and Linux, <a href="https://gajim.org/download/">gajim.org</a>) or <strong>Dino</strong> (Linux, <a href="https://dino.im/">dino.im</a>).</li>
<li>Create your account with the form below (or scan the QR code above with a phone app).</li>
<li>In Gajim or Dino, choose to add an account you already have (not to create a new one) and enter your new address, for example <span class="mono">name@${h(view.connection.domain)}</span>, and your password.</li>
</ol>
</details>`;
}

function registrationForm(view: LandingPage): string {
  const { form } = view;
  const name = view.username ?? form.username ?? '';
  const usernameField = view.username
    ? `<label for="username">Your user name</label>
<input id="username" name="username" value="${h(view.username)}" readonly aria-describedby="username-hint">
<p class="hint small" id="username-hint">This invitation is for this name: your address will be <span class="mono">${h(view.username)}@${h(view.connection.domain)}</span>.</p>`
    : `<label for="username">Choose a user name</label>
<input id="username" name="username" value="${h(name)}" required maxlength="64" autocomplete="username" autocapitalize="none" spellcheck="false" aria-describedby="username-hint">
<p class="hint small" id="username-hint">Letters and digits, no spaces, for example <span class="mono">grandma</span>. Your address will be <span class="mono">name@${h(view.connection.domain)}</span>.</p>`;
  const error = form.error
    ? `<div class="error" role="alert" id="form-error"><strong>The account was not created:</strong> ${h(form.error)}</div>`
    : '';
  return `<section aria-labelledby="form-heading">
<h2 id="form-heading">Or create the account here</h2>
<p>For apps that cannot open the invitation: create the account in this page, then sign in with it in the app.</p>
${error}
<form method="post" novalidate${form.error ? ' aria-describedby="form-error"' : ''}>
<input type="hidden" name="form_key" value="${h(form.key)}">
${usernameField}
<label for="password">Choose a password</label>
<input id="password" name="password" type="password" required minlength="8" autocomplete="new-password" aria-describedby="password-hint">
<p class="hint small" id="password-hint">At least 8 characters. A few words you will remember work well.</p>
<label for="password2">The same password again</label>
<input id="password2" name="password2" type="password" required minlength="8" autocomplete="new-password">
<p><button class="button" type="submit">Create my account</button></p>
</form>
</section>`;
}

function connectionSection(connection: ConnectionDetails): string {
  const addresses = connection.lanAddresses.map((a) => `<span class="mono">${h(a)}</span>`).join(' or ');
  const rows = [`<dt>Server</dt><dd class="mono">${h(connection.domain)}</dd>`];
  if (connection.lanHostName) rows.push(`<dt>On this network</dt><dd class="mono">${h(connection.lanHostName)}</dd>`);
  if (addresses) rows.push(`<dt>Address at home</dt><dd>${addresses}</dd>`);
  rows.push(`<dt>Port</dt><dd class="mono">${connection.c2sPort}</dd>`);
  if (connection.fingerprint) rows.push(`<dt>Certificate (SHA-256)</dt><dd class="mono">${h(connection.fingerprint)}</dd>`);
  return `<details>
<summary>If the app cannot find the server</summary>
<p>At home, apps may not know the name <span class="mono">${h(connection.domain)}</span>. In the app's advanced options, set the server (or host name) to this computer's address at home, and the port below.</p>
<dl>${rows.join('\n')}</dl>
<p class="small">The first time, the app may show the server's certificate and ask whether to trust it: it is the right one when its SHA-256 fingerprint matches the one above.</p>
</details>`;
}

/** After the web form created the account: the address, and how to sign in with it. */
export function renderWelcomePage(jid: string, connection: ConnectionDetails, platform: Platform): string {
  const app = platform === 'android' ? 'Conversations' : platform === 'ios' ? 'Monal or Siskin' : 'Gajim or Dino';
  const body = `
<h1>Welcome! Your account is ready.</h1>
<section aria-labelledby="done-heading">
<h2 id="done-heading">Your address</h2>
<p class="mono">${h(jid)}</p>
<ol>
<li>Open ${h(app)} and choose to sign in with an account you already have (not to create a new one).</li>
<li>Enter your address <span class="mono">${h(jid)}</span> and the password you just chose.</li>
</ol>
</section>
${connectionSection(connection).replace('<details', '<details open')}`;
  return page(`Welcome to ${connection.domain}`, body);
}

/** For a token that is unknown, used, expired or withdrawn: no hint about which. */
export function renderInvalidInvitationPage(domain: string): string {
  const body = `
<h1>This invitation cannot be used</h1>
<section>
<p>It may have expired, been used already, or been withdrawn. Ask the person who invited you for a new one.</p>
<p class="small">Server: <span class="mono">${h(domain)}</span></p>
</section>`;
  return page('Invitation not valid', body);
}
