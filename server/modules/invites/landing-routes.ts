// /invite/<token> on the HTTPS listener: the landing page (GET), and the web registration
// fallback (POST to the same address). The form is guarded against cross-site posting three
// ways: the token itself is secret, the form carries a key only this server can make for this
// token (an HMAC with a lifetime), and a browser saying the request comes from another site
// (Origin, Sec-Fetch-Site) is refused.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { ModuleApi } from '../../core/module-host.js';
import type { Invite } from '../../core/storage/invites.js';
import { sendText } from '../../net/http-server.js';
import { lanAddresses, lanHostName } from '../../net/lan.js';
import { landingPageHeaders, platformOf, renderInvalidInvitationPage, renderLandingPage, renderWelcomePage, type ConnectionDetails } from './landing-page.js';
import { inviteUri, landingPathPrefix } from './links.js';
import { qrCodeSvg } from './qr-code.js';
import { registerWithInvite, usableInvite } from './redeem.js';

/** A form key stays good this long: time to read the page and pick a password. */
const formKeyLifetimeMs = 2 * 60 * 60 * 1000;
const maxFormBytes = 8 * 1024;

export interface LandingContext {
  mod: ModuleApi;
  /** The client port phones connect to (the real one once the server listens). */
  c2sPort(): number;
  /** Whether the .local name is announced (mdns on and reachable). */
  announcesLanName: boolean;
}

export function serveLandingPages(context: LandingContext): void {
  const { mod } = context;
  const secret = mod.storage.secret('invite-form-key');

  const formKey = (token: string, issuedAt = Date.now()) => `${issuedAt.toString(36)}.${createHmac('sha256', secret).update(`${token}.${issuedAt}`).digest('base64url')}`;
  const validFormKey = (token: string, key: string | null) => {
    const [issued, mac] = (key ?? '').split('.');
    const issuedAt = Number.parseInt(issued ?? '', 36);
    if (!mac || !Number.isFinite(issuedAt) || Date.now() - issuedAt > formKeyLifetimeMs || issuedAt > Date.now() + 60_000) return false;
    const expected = Buffer.from(formKey(token, issuedAt).split('.')[1]!);
    const given = Buffer.from(mac);
    return given.length === expected.length && timingSafeEqual(given, expected);
  };

  const connection = (request: IncomingMessage): ConnectionDetails => ({
    domain: mod.host,
    lanAddresses: lanAddresses(),
    lanHostName: context.announcesLanName ? lanHostName() : undefined,
    c2sPort: context.c2sPort(),
    fingerprint: servedFingerprint(request),
  });

  const send = (request: IncomingMessage, response: ServerResponse, status: number, html: string) => {
    response.writeHead(status, { ...landingPageHeaders, 'Content-Length': String(Buffer.byteLength(html)) });
    response.end(request.method === 'HEAD' ? undefined : html);
  };

  const showInvite = async (request: IncomingMessage, response: ServerResponse, invite: Invite, status: number, form: { username?: string; error?: string } = {}) => {
    const uri = inviteUri(invite, mod.host);
    const html = renderLandingPage({
      inviterJid: invite.inviter !== undefined ? `${invite.inviter}@${mod.host}` : undefined,
      kind: invite.kind,
      username: invite.username,
      expiresAt: invite.expiresAt,
      uri,
      qrSvg: await qrCodeSvg(uri, 'QR code of the invitation link, for a chat app to scan'),
      connection: connection(request),
      platform: platformOf(request.headers['user-agent']),
      form: { key: formKey(invite.token), ...form },
    });
    send(request, response, status, html);
  };

  mod.http.route({
    path: landingPathPrefix,
    async handle(request, response, url) {
      const token = url.pathname.slice(landingPathPrefix.length);
      const method = request.method ?? 'GET';
      if (method !== 'GET' && method !== 'HEAD' && method !== 'POST') {
        return sendText(response, 405, 'only GET and POST are allowed here', { Allow: 'GET, HEAD, POST' });
      }
      const usable = usableInvite(mod, token);
      if (!usable.ok) return send(request, response, 404, renderInvalidInvitationPage(mod.host));
      const { invite } = usable;
      if (method !== 'POST') return showInvite(request, response, invite, 200);

      if (crossSite(request)) return sendText(response, 403, 'this form can only be sent from its own page');
      const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== 'application/x-www-form-urlencoded') return sendText(response, 415, 'send the form from the invitation page');
      const body = await readBody(request, maxFormBytes);
      if (body === undefined) {
        // The rest of the body is not read: the connection closes after this answer.
        response.once('finish', () => request.destroy());
        return sendText(response, 413, 'the form is too large', { Connection: 'close' });
      }
      const fields = new URLSearchParams(body);
      if (!validFormKey(invite.token, fields.get('form_key'))) {
        return showInvite(request, response, invite, 400, { error: 'the page was open too long or did not come from here. Please try again now.' });
      }
      const username = (fields.get('username') ?? '').trim();
      const password = fields.get('password') ?? '';
      const again = fields.get('password2') ?? '';
      const typed = { username };
      if (username === '' && invite.username === undefined) return showInvite(request, response, invite, 400, { ...typed, error: 'choose a user name.' });
      if (password.length < 8) return showInvite(request, response, invite, 400, { ...typed, error: 'the password needs at least 8 characters.' });
      if (password !== again) return showInvite(request, response, invite, 400, { ...typed, error: 'the two passwords are not the same.' });
      const result = registerWithInvite(mod, invite, invite.username ?? username, password, request.socket.remoteAddress);
      if (!result.ok) {
        // Too many accounts from this address: 429 Too Many Requests (RFC 6585 §4), the form kept.
        const status = result.error.condition === 'conflict' ? 409 : result.error.condition === 'policy-violation' ? 429 : 400;
        return showInvite(request, response, invite, status, { ...typed, error: plainReason(result.error.condition, result.error.text) });
      }
      send(request, response, 201, renderWelcomePage(`${result.username}@${mod.host}`, connection(request), platformOf(request.headers['user-agent'])));
    },
  });
}

/** The registration error as a sentence for the form. */
function plainReason(condition: string, text: string | undefined): string {
  if (condition === 'jid-malformed') return 'that user name cannot be used: use letters and digits, without spaces or any of " & \' / : < > @.';
  const sentence = text ?? 'it could not be created';
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}

/**
 * A browser that tells us the form comes from another site: Fetch Metadata when it sends it, else
 * an Origin that is not ours. Our pages have no referrer (the token is in their address), so
 * browsers send `Origin: null` from them; the form key is what vouches for those.
 */
function crossSite(request: IncomingMessage): boolean {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined) return site !== 'same-origin' && site !== 'none';
  const origin = request.headers.origin;
  if (origin === undefined || origin === 'null') return false;
  return origin !== `https://${request.headers.host ?? ''}`;
}

function readBody(request: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return chunks.push(chunk);
      request.off('data', onData);
      request.pause();
      resolve(undefined);
      return undefined;
    };
    request.on('data', onData);
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/** SHA-256 of the certificate this connection was served with (what an app asks people to compare). */
function servedFingerprint(request: IncomingMessage): string | undefined {
  const socket = request.socket as Partial<TLSSocket>;
  const certificate = typeof socket.getCertificate === 'function' ? socket.getCertificate() : null;
  const fingerprint = (certificate as { fingerprint256?: unknown } | null)?.fingerprint256;
  return typeof fingerprint === 'string' ? fingerprint : undefined;
}
