// Node configuration and XEP-0060 §7.1.5 publish-options preconditions, without a server.
import { describe, expect, it } from 'vitest';
import {
  applyConfigForm,
  checkPublishOptions,
  configFromStored,
  defaultConfig,
  effectiveMaxItems,
  serverMaxItems,
} from '../../../../server/modules/pep/node-config.js';
import { PubsubError } from '../../../../server/modules/pep/protocol.js';

const options = (entries: Record<string, string[]>) => new Map(Object.entries(entries));
const nodeConfigForm = (entries: Record<string, string[]>) => ({ type: 'submit', formType: 'http://jabber.org/protocol/pubsub#node_config', fields: options(entries) });

function errorOf(result: { ok: boolean; error?: PubsubError }) {
  return result.ok ? undefined : { condition: result.error!.condition, pubsub: result.error!.pubsubCondition };
}

describe('publish-options', () => {
  it('configures a node that does not exist yet', () => {
    const result = checkPublishOptions(undefined, options({ 'pubsub#access_model': ['open'], 'pubsub#max_items': ['max'] }));
    expect(result.ok && result.config).toMatchObject({ access_model: 'open', max_items: 'max', persist_items: true });
  });

  it('accepts a precondition that matches the node, whatever the boolean spelling', () => {
    const existing = { ...defaultConfig, access_model: 'whitelist' as const };
    const result = checkPublishOptions(existing, options({ 'pubsub#persist_items': ['1'], 'pubsub#access_model': ['whitelist'] }));
    expect(result.ok).toBe(true);
  });

  it('refuses a precondition the node does not meet with conflict and precondition-not-met', () => {
    const result = checkPublishOptions({ ...defaultConfig }, options({ 'pubsub#access_model': ['open'] }));
    expect(errorOf(result)).toEqual({ condition: 'conflict', pubsub: 'precondition-not-met' });
  });

  it('refuses options it does not know, even for a new node', () => {
    const result = checkPublishOptions(undefined, options({ 'pubsub#frobnicate': ['1'] }));
    expect(errorOf(result)).toEqual({ condition: 'conflict', pubsub: 'precondition-not-met' });
  });
});

describe('the configuration form', () => {
  it('applies the fields it knows and ignores the others', () => {
    const result = applyConfigForm({ ...defaultConfig }, nodeConfigForm({ 'pubsub#max_items': ['5'], 'pubsub#notify_sub': ['0'] }));
    expect(result.ok && result.config.max_items).toBe(5);
  });

  it('refuses an access model it does not offer', () => {
    const result = applyConfigForm({ ...defaultConfig }, nodeConfigForm({ 'pubsub#access_model': ['authorize'] }));
    expect(errorOf(result)).toEqual({ condition: 'not-acceptable', pubsub: 'unsupported-access-model' });
  });

  it('refuses a max_items that is neither a positive number nor "max"', () => {
    expect(applyConfigForm({ ...defaultConfig }, nodeConfigForm({ 'pubsub#max_items': ['0'] })).ok).toBe(false);
    expect(applyConfigForm({ ...defaultConfig }, nodeConfigForm({ 'pubsub#max_items': ['ten'] })).ok).toBe(false);
  });
});

describe('stored configurations', () => {
  it('fills in defaults for what a stored configuration lacks or holds wrongly', () => {
    expect(configFromStored({ access_model: 'open', max_items: 'lots' })).toEqual({ ...defaultConfig, access_model: 'open' });
  });

  it('reads max_items "max" as the server limit', () => {
    expect(effectiveMaxItems({ ...defaultConfig, max_items: 'max' })).toBe(serverMaxItems);
    expect(effectiveMaxItems({ ...defaultConfig, max_items: 10 ** 8 })).toBe(serverMaxItems);
  });
});
