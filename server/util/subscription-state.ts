// RFC 6121 subscription states (Appendix A) as a pure state machine: given the user's view of one
// contact and a subscription stanza, what the new view is and what the server must do with the
// stanza. The presence module applies the result; this file has no I/O so it is tested alone.

export type Subscription = 'none' | 'to' | 'from' | 'both';
export type SubscriptionType = 'subscribe' | 'subscribed' | 'unsubscribe' | 'unsubscribed';

export interface SubscriptionState {
  subscription: Subscription;
  /** The user asked for the contact's presence and is waiting ("Pending Out"). */
  askOut: boolean;
  /** The contact asked for the user's presence and the user has not answered ("Pending In"). */
  pendingIn: boolean;
  /** The user approved a request before it came (RFC 6121 §3.4). */
  preApproved: boolean;
}

export const noSubscription: SubscriptionState = { subscription: 'none', askOut: false, pendingIn: false, preApproved: false };

export interface OutboundResult {
  state: SubscriptionState;
  /** Send the stanza on to the contact. */
  route: boolean;
}

export interface InboundResult {
  state: SubscriptionState;
  /** Deliver the stanza to the user's available resources (or keep it for later, for subscribe). */
  deliver: boolean;
  /** Answer the contact on the user's behalf with `subscribed` (already approved). */
  autoReplySubscribed: boolean;
}

const hasTo = (s: Subscription) => s === 'to' || s === 'both';
const hasFrom = (s: Subscription) => s === 'from' || s === 'both';
const withTo = (s: Subscription, on: boolean): Subscription => compose(on, hasFrom(s));
const withFrom = (s: Subscription, on: boolean): Subscription => compose(hasTo(s), on);
function compose(to: boolean, from: boolean): Subscription {
  return to ? (from ? 'both' : 'to') : from ? 'from' : 'none';
}

/** The user sends a subscription stanza to the contact (RFC 6121 §3.1.2, §3.1.5, §3.2.2, §3.3.2, A.2). */
export function applyOutbound(state: SubscriptionState, type: SubscriptionType): OutboundResult {
  switch (type) {
    case 'subscribe':
      // Already subscribed: the contact's server answers for itself; we still route (A.2.1).
      return { state: hasTo(state.subscription) ? state : { ...state, askOut: true }, route: true };
    case 'subscribed':
      if (state.pendingIn) {
        return { state: { ...state, subscription: withFrom(state.subscription, true), pendingIn: false, preApproved: false }, route: true };
      }
      if (hasFrom(state.subscription)) return { state, route: false };
      // No request yet: remember the approval (pre-approval, RFC 6121 §3.4) instead of routing.
      return { state: { ...state, preApproved: true }, route: false };
    case 'unsubscribe':
      return { state: { ...state, subscription: withTo(state.subscription, false), askOut: false }, route: true };
    case 'unsubscribed': {
      const relevant = state.pendingIn || state.preApproved || hasFrom(state.subscription);
      return {
        state: { ...state, subscription: withFrom(state.subscription, false), pendingIn: false, preApproved: false },
        route: relevant,
      };
    }
  }
}

/** The contact's subscription stanza arrives for the user (RFC 6121 §3.1.3, §3.1.6, §3.2.3, §3.3.3, A.3). */
export function applyInbound(state: SubscriptionState, type: SubscriptionType): InboundResult {
  const unchanged = { state, deliver: false, autoReplySubscribed: false };
  switch (type) {
    case 'subscribe':
      if (hasFrom(state.subscription)) return { ...unchanged, autoReplySubscribed: true };
      if (state.preApproved) {
        return {
          state: { ...state, subscription: withFrom(state.subscription, true), preApproved: false, pendingIn: false },
          deliver: false,
          autoReplySubscribed: true,
        };
      }
      return { state: { ...state, pendingIn: true }, deliver: true, autoReplySubscribed: false };
    case 'subscribed':
      if (!state.askOut) return unchanged; // unsolicited: ignored (§3.1.6)
      return { state: { ...state, subscription: withTo(state.subscription, true), askOut: false }, deliver: true, autoReplySubscribed: false };
    case 'unsubscribe':
      if (!hasFrom(state.subscription) && !state.pendingIn) return unchanged;
      return {
        state: { ...state, subscription: withFrom(state.subscription, false), pendingIn: false },
        deliver: true,
        autoReplySubscribed: false,
      };
    case 'unsubscribed':
      if (!hasTo(state.subscription) && !state.askOut) return unchanged;
      return {
        state: { ...state, subscription: withTo(state.subscription, false), askOut: false },
        deliver: true,
        autoReplySubscribed: false,
      };
  }
}

export function sameState(a: SubscriptionState, b: SubscriptionState): boolean {
  return a.subscription === b.subscription && a.askOut === b.askOut && a.pendingIn === b.pendingIn && a.preApproved === b.preApproved;
}

export { hasFrom as subscriptionHasFrom, hasTo as subscriptionHasTo };
