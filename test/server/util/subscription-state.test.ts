import { describe, expect, it } from 'vitest';
import { applyInbound, applyOutbound, noSubscription, type SubscriptionState } from '../../../server/util/subscription-state.js';

const state = (partial: Partial<SubscriptionState>): SubscriptionState => ({ ...noSubscription, ...partial });

describe('outbound subscription stanzas (RFC 6121 A.2)', () => {
  it('marks a new request as pending out and routes it', () => {
    expect(applyOutbound(noSubscription, 'subscribe')).toEqual({ state: state({ askOut: true }), route: true });
  });

  it('keeps an existing subscription when asked again, and still routes', () => {
    expect(applyOutbound(state({ subscription: 'to' }), 'subscribe')).toEqual({ state: state({ subscription: 'to' }), route: true });
  });

  it('turns an approved pending request into a subscription from the contact', () => {
    expect(applyOutbound(state({ pendingIn: true }), 'subscribed')).toEqual({ state: state({ subscription: 'from' }), route: true });
    expect(applyOutbound(state({ subscription: 'to', pendingIn: true }), 'subscribed').state.subscription).toBe('both');
  });

  it('pre-approves instead of routing when no request is pending (§3.4)', () => {
    expect(applyOutbound(noSubscription, 'subscribed')).toEqual({ state: state({ preApproved: true }), route: false });
  });

  it('does nothing when approving a contact that is already subscribed', () => {
    expect(applyOutbound(state({ subscription: 'from' }), 'subscribed')).toEqual({ state: state({ subscription: 'from' }), route: false });
  });

  it('cancels the user\'s own subscription with unsubscribe', () => {
    expect(applyOutbound(state({ subscription: 'both' }), 'unsubscribe').state.subscription).toBe('from');
    expect(applyOutbound(state({ askOut: true }), 'unsubscribe').state).toEqual(noSubscription);
  });

  it('revokes the contact\'s subscription with unsubscribed and routes only when there was one', () => {
    expect(applyOutbound(state({ subscription: 'both' }), 'unsubscribed')).toEqual({ state: state({ subscription: 'to' }), route: true });
    expect(applyOutbound(state({ pendingIn: true }), 'unsubscribed')).toEqual({ state: noSubscription, route: true });
    expect(applyOutbound(noSubscription, 'unsubscribed')).toEqual({ state: noSubscription, route: false });
  });
});

describe('inbound subscription stanzas (RFC 6121 A.3)', () => {
  it('records a request as pending in and delivers it', () => {
    expect(applyInbound(noSubscription, 'subscribe')).toEqual({ state: state({ pendingIn: true }), deliver: true, autoReplySubscribed: false });
  });

  it('answers a request from an already subscribed contact without bothering the user', () => {
    expect(applyInbound(state({ subscription: 'from' }), 'subscribe')).toEqual({
      state: state({ subscription: 'from' }),
      deliver: false,
      autoReplySubscribed: true,
    });
  });

  it('answers a pre-approved request and creates the subscription', () => {
    expect(applyInbound(state({ preApproved: true, subscription: 'to' }), 'subscribe')).toEqual({
      state: state({ subscription: 'both' }),
      deliver: false,
      autoReplySubscribed: true,
    });
  });

  it('accepts an approval only when the user asked', () => {
    expect(applyInbound(state({ askOut: true }), 'subscribed')).toEqual({ state: state({ subscription: 'to' }), deliver: true, autoReplySubscribed: false });
    expect(applyInbound(noSubscription, 'subscribed')).toEqual({ state: noSubscription, deliver: false, autoReplySubscribed: false });
  });

  it('ends the contact\'s subscription on unsubscribe and drops a stray one', () => {
    expect(applyInbound(state({ subscription: 'both' }), 'unsubscribe').state.subscription).toBe('to');
    expect(applyInbound(state({ subscription: 'to' }), 'unsubscribe').deliver).toBe(false);
  });

  it('ends the user\'s subscription on unsubscribed, also as a denied request', () => {
    expect(applyInbound(state({ subscription: 'to' }), 'unsubscribed')).toEqual({ state: noSubscription, deliver: true, autoReplySubscribed: false });
    expect(applyInbound(state({ askOut: true }), 'unsubscribed').state).toEqual(noSubscription);
    expect(applyInbound(state({ subscription: 'from' }), 'unsubscribed').deliver).toBe(false);
  });
});
