// XEP-0352: Client State Indication — https://xmpp.org/extensions/xep-0352.html
// While a phone's screen is off, presence updates and typing notifications wait (only the
// newest presence per contact is kept); anything urgent goes out at once, after what waited, so
// the order the client sees stays the order things happened.
import type { Element } from 'ltx';
import { defineModule } from '../core/module-host.js';
import type { ClientSession } from '../core/session.js';

const csiNs = 'urn:xmpp:csi:0';
const chatStatesNs = 'http://jabber.org/protocol/chatstates';
/** Held stanzas beyond this are flushed: memory stays bounded on a busy account. */
const maxHeld = 200;

interface Inactive {
  held: Map<string, Element>;
  sequence: number;
  flushing: boolean;
  removeFilter: () => void;
}

export default defineModule({
  name: 'csi',
  setup(mod) {
    const inactive = new WeakMap<ClientSession, Inactive>();

    mod.hook('stream-features', ({ features, authenticated }) => {
      if (authenticated) features.c('csi', { xmlns: csiNs });
    });

    mod.hook(`stream-element/${csiNs}:inactive`, ({ session }) => {
      if (!session.jid || inactive.has(session)) return true;
      const state: Inactive = { held: new Map(), sequence: 0, flushing: false, removeFilter: () => {} };
      state.removeFilter = session.addOutgoingFilter((stanza) => {
        if (state.flushing) return stanza;
        if (!isUrgent(stanza)) {
          // Presence is replaced by the newest from the same sender; other held stanzas queue up.
          const key = stanza.name === 'presence' ? `presence ${stanza.attrs.from ?? ''}` : `held ${state.sequence++}`;
          state.held.delete(key);
          state.held.set(key, stanza);
          if (state.held.size >= maxHeld) flush(session, state);
          return undefined;
        }
        flush(session, state);
        return stanza;
      }, 100);
      inactive.set(session, state);
      return true;
    });

    mod.hook(`stream-element/${csiNs}:active`, ({ session }) => {
      const state = inactive.get(session);
      if (!state) return true;
      inactive.delete(session);
      state.removeFilter();
      flush(session, state);
      return true;
    });
  },
});

function flush(session: ClientSession, state: Inactive): void {
  if (state.held.size === 0) return;
  const held = [...state.held.values()];
  state.held.clear();
  state.flushing = true;
  try {
    for (const stanza of held) session.send(stanza);
  } finally {
    state.flushing = false;
  }
}

/** Messages with content, iq, and errors cannot wait; presence and bare chat states can. */
function isUrgent(stanza: Element): boolean {
  if (stanza.name === 'presence') {
    // Subscription requests and errors need the user's attention.
    const type = stanza.attrs.type;
    return type !== undefined && type !== 'unavailable';
  }
  if (stanza.name !== 'message') return true;
  const children = stanza.getChildElements();
  return !(children.length > 0 && children.every((child) => child.getNS() === chatStatesNs || child.name === 'thread'));
}
