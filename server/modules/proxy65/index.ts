// XEP-0065: SOCKS5 Bytestreams — https://xmpp.org/extensions/xep-0065.html
// The mediated-connection proxy at proxy.<domain> (§6): when two devices cannot reach each other
// directly (phones behind carrier NAT), both connect here and the bytes flow through Hearth.
// Jingle file transfer (XEP-0260) finds it through disco items like any other streamhost.
//
// Only this server's accounts may use it: it spends the family's bandwidth, and a remote user's
// own server offers them a proxy.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { Element } from 'ltx';
import type { IqEvent } from '../../core/events.js';
import { defineModule } from '../../core/module-host.js';
import { listenAddress } from '../../net/c2s-listeners.js';
import { StanzaError } from '../../util/errors.js';
import { parseJid } from '../../util/jid.js';
import { errorReply, iqResult } from '../../util/stanza.js';
import { Socks5Relay } from './socks5-relay.js';

export const bytestreamsNs = 'http://jabber.org/protocol/bytestreams';

/** The DST.ADDR both parties use (§5.3.2): SHA1(SID + initiator JID + target JID), in hex. */
export function bytestreamHash(sid: string, initiator: string, target: string): string {
  return createHash('sha1').update(`${sid}${initiator}${target}`, 'utf8').digest('hex');
}

export default defineModule({
  name: 'proxy65',
  setup(mod) {
    const options = mod.config.proxy65;
    if (!options.enabled) return;
    const host = `proxy.${mod.host}`;
    const relay = new Socks5Relay({ maxBytes: options.maxBytes, idleTimeoutMs: options.idleTimeoutSeconds * 1000, maxPending: 256 });
    const server: Server = createServer((socket) => relay.accept(socket));
    let port: number | undefined;
    server.on('error', (error: NodeJS.ErrnoException) => {
      mod.log.error(`the file-transfer proxy cannot listen on port ${mod.config.ports.proxy65}: ${error.code ?? error.message}`);
    });
    server.listen({ port: mod.config.ports.proxy65, host: listenAddress(mod.config.bind) }, () => {
      const address = server.address();
      port = address !== null && typeof address === 'object' ? address.port : undefined;
      mod.log.info(`listening for proxy65 on port ${port}`);
    });
    mod.onStop(() => {
      relay.close();
      server.close();
    });

    mod.addComponent(host);
    mod.addItem({ jid: host, name: 'File transfer proxy' });
    mod.addIdentity({ category: 'proxy', type: 'bytestreams', name: 'File transfer proxy' }, host);
    mod.addFeature(bytestreamsNs, host);

    const forUs = ({ to }: IqEvent) => to.domain === host && to.local === undefined && to.resource === undefined;
    const refuseStrangers = (event: IqEvent): boolean => {
      if (event.from.domain === mod.host && event.from.local !== undefined) return false;
      event.reply(errorReply(event.stanza, new StanzaError('forbidden', 'this proxy serves accounts of this server only')));
      return true;
    };

    // §6.3.1: the initiator asks the proxy for its network address.
    mod.hook(`iq-get/component/${bytestreamsNs}:query`, (event) => {
      if (!forUs(event)) return undefined;
      if (refuseStrangers(event)) return true;
      if (port === undefined) {
        event.reply(errorReply(event.stanza, new StanzaError('service-unavailable', 'the file-transfer proxy is not listening')));
        return true;
      }
      const query = new Element('query', { xmlns: bytestreamsNs });
      query.c('streamhost', { jid: host, host: options.host ?? mod.host, port: String(port) });
      event.reply(iqResult(event.stanza, query));
      return true;
    });

    // §6.3.3: the initiator activates the stream once the target said it is connected.
    mod.hook(`iq-set/component/${bytestreamsNs}:query`, (event) => {
      if (!forUs(event)) return undefined;
      if (refuseStrangers(event)) return true;
      const sid = event.payload.attrs.sid as string | undefined;
      const target = parseJid(event.payload.getChildText('activate') ?? '');
      if (!sid || sid.length > 128 || !target) {
        event.reply(errorReply(event.stanza, new StanzaError('bad-request', 'activation needs a sid and the target JID in <activate/>')));
        return true;
      }
      // The hash binds the stream to the activating full JID: nobody else can activate it.
      const outcome = relay.activate(bytestreamHash(sid, event.from.toString(), target.toString()));
      if (outcome === 'activated') event.reply(iqResult(event.stanza));
      else if (outcome === 'incomplete') event.reply(errorReply(event.stanza, new StanzaError('not-acceptable', 'both parties must connect to the proxy before activation')));
      else event.reply(errorReply(event.stanza, new StanzaError('item-not-found', 'no connection for this bytestream')));
      return true;
    });
  },
});
