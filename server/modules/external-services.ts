// XEP-0215: External Service Discovery — https://xmpp.org/extensions/xep-0215.html
// Tells the family's phones where the STUN/TURN server for calls is, with TURN credentials that
// expire. They are made the way coturn checks them with use-auth-secret (the "TURN REST API"
// scheme, draft-uberti-behave-turn-rest-00): the username is "<expiry unix time>:<user>",
// the password base64(HMAC-SHA1(static-auth-secret, username)). Only configured with turn.host
// and turn.secret; without them nothing is announced.
import { Element } from 'ltx';
import { createHmac } from 'node:crypto';
import type { Config } from '../config/schema.js';
import type { IqEvent } from '../core/events.js';
import { defineModule } from '../core/module-host.js';
import { StanzaError } from '../util/errors.js';
import { elementChildren, errorReply, iqResult } from '../util/stanza.js';

export const extdiscoNs = 'urn:xmpp:extdisco:2';

interface ExternalService {
  type: 'stun' | 'turn' | 'turns';
  transport: 'udp' | 'tcp';
  port: number;
  /** Needs credentials (§2 "restricted"). */
  restricted: boolean;
}

export interface TurnCredentials {
  username: string;
  password: string;
  expires: Date;
}

/** The TURN REST API credentials coturn accepts with use-auth-secret and static-auth-secret. */
export function turnCredentials(secret: string, user: string, now: Date, ttlSeconds: number): TurnCredentials {
  const expiry = Math.floor(now.getTime() / 1000) + ttlSeconds;
  const username = `${expiry}:${user}`;
  const password = createHmac('sha1', secret).update(username).digest('base64');
  return { username, password, expires: new Date(expiry * 1000) };
}

export default defineModule({
  name: 'external-services',
  setup(mod) {
    const turn = mod.config.turn;
    if (turn.host === undefined || turn.secret === undefined) return;
    const host = turn.host;
    const secret = turn.secret;
    mod.addFeature(extdiscoNs);
    const services = servicesOf(turn);

    const serviceElement = (service: ExternalService, user: string): Element => {
      const attrs: Record<string, string> = { type: service.type, host, port: String(service.port), transport: service.transport };
      if (service.restricted) {
        const credentials = turnCredentials(secret, user, new Date(), turn.ttlSeconds);
        attrs.username = credentials.username;
        attrs.password = credentials.password;
        // XEP-0082 DateTime in UTC.
        attrs.expires = credentials.expires.toISOString().replace(/\.\d{3}Z$/, 'Z');
        attrs.restricted = 'true';
      }
      return new Element('service', attrs);
    };

    /** Only the server's own signed-in users: a TURN relay is not for strangers. */
    const localUser = ({ origin, from }: IqEvent): string | undefined => (origin !== undefined && from.local !== undefined && from.domain === mod.host ? from.local : undefined);

    // §3.1 and §3.2: every service, or those of one type.
    mod.hook(`iq-get/host/${extdiscoNs}:services`, (event) => {
      const { stanza, payload, reply } = event;
      const user = localUser(event);
      if (user === undefined) return refuse(event);
      const type = payload.attrs.type as string | undefined;
      const result = new Element('services', type === undefined ? { xmlns: extdiscoNs } : { xmlns: extdiscoNs, type });
      for (const service of services) if (type === undefined || service.type === type) result.cnode(serviceElement(service, user));
      reply(iqResult(stanza, result));
      return true;
    });

    // §3.3: fresh credentials for a service the client already knows (host and type, maybe port).
    mod.hook(`iq-get/host/${extdiscoNs}:credentials`, (event) => {
      const { stanza, payload, reply } = event;
      const user = localUser(event);
      if (user === undefined) return refuse(event);
      const requested = elementChildren(payload).filter((child) => child.name === 'service');
      if (requested.length === 0 || requested.some((s) => !s.attrs.host || !s.attrs.type)) {
        reply(errorReply(stanza, new StanzaError('bad-request', 'name the service by host and type')));
        return true;
      }
      const result = new Element('credentials', { xmlns: extdiscoNs });
      for (const wanted of requested) {
        for (const service of services) {
          if (!service.restricted || service.type !== wanted.attrs.type || host.toLowerCase() !== String(wanted.attrs.host).toLowerCase()) continue;
          if (wanted.attrs.port !== undefined && String(service.port) !== wanted.attrs.port) continue;
          result.cnode(serviceElement(service, user));
        }
      }
      reply(result.children.length > 0 ? iqResult(stanza, result) : errorReply(stanza, new StanzaError('item-not-found', 'no such service here')));
      return true;
    });
  },
});

function refuse({ stanza, reply }: IqEvent): true {
  reply(errorReply(stanza, new StanzaError('forbidden', 'only users of this server may use its TURN server')));
  return true;
}

/** STUN on the TURN server's port, TURN on each configured transport, and TURN over TLS when it has a port. */
function servicesOf(turn: Config['turn']): ExternalService[] {
  const transports = [...new Set(turn.transports)];
  const services: ExternalService[] = [{ type: 'stun', transport: transports.includes('udp') ? 'udp' : 'tcp', port: turn.port, restricted: false }];
  for (const transport of transports) services.push({ type: 'turn', transport, port: turn.port, restricted: true });
  if (turn.tlsPort !== undefined) services.push({ type: 'turns', transport: 'tcp', port: turn.tlsPort, restricted: true });
  return services;
}
