// Node configuration (XEP-0060 §8.2, the pubsub#node_config form §16.4.4), the PEP defaults
// (XEP-0163 §6) and publish-options preconditions (XEP-0060 §7.1.5).
import type { Element } from 'ltx';
import { buildForm, PUBSUB, PubsubError, type FormField, type SubmittedForm } from './protocol.js';

export type AccessModel = 'open' | 'presence' | 'roster' | 'whitelist';
export type SendLastPublishedItem = 'never' | 'on_sub' | 'on_sub_and_presence';

/** Keys are the pubsub#node_config field names without "pubsub#"; stored as JSON like this. */
export interface NodeConfig {
  title: string;
  description: string;
  type: string;
  access_model: AccessModel;
  roster_groups_allowed: string[];
  publish_model: 'publishers';
  max_items: number | 'max';
  persist_items: boolean;
  deliver_notifications: boolean;
  deliver_payloads: boolean;
  notify_retract: boolean;
  notify_delete: boolean;
  send_last_published_item: SendLastPublishedItem;
  notification_type: 'headline' | 'normal';
}

/**
 * What "max" means for pubsub#max_items (XEP-0060 §16.4.4 integer-or-max): the most items one
 * node keeps. OMEMO 2 keeps one bundle per device in a single node, bookmarks one item per room.
 */
export const serverMaxItems = 1000;

/** XEP-0163 §6: presence access, payloads delivered, the last item sent on presence; one item kept. */
export const defaultConfig: Readonly<NodeConfig> = Object.freeze({
  title: '',
  description: '',
  type: '',
  access_model: 'presence',
  roster_groups_allowed: [],
  publish_model: 'publishers',
  max_items: 1,
  persist_items: true,
  deliver_notifications: true,
  deliver_payloads: true,
  notify_retract: true,
  notify_delete: true,
  send_last_published_item: 'on_sub_and_presence',
  notification_type: 'headline',
});

export function effectiveMaxItems(config: NodeConfig): number {
  return config.max_items === 'max' ? serverMaxItems : Math.min(config.max_items, serverMaxItems);
}

interface FieldSpec {
  type: 'boolean' | 'text-single' | 'list-single' | 'list-multi';
  label: string;
  options?: readonly string[];
  /** The typed value, or undefined when the submitted values are not acceptable. */
  parse(values: string[]): unknown;
  format(value: unknown): string[];
}

const single = (values: string[]) => (values.length <= 1 ? (values[0] ?? '') : undefined);

const text = (label: string, maxLength = 1024): FieldSpec => ({
  type: 'text-single',
  label,
  parse: (values) => {
    const value = single(values);
    return value !== undefined && value.length <= maxLength ? value : undefined;
  },
  format: (value) => (value === '' ? [] : [String(value)]),
});

// XEP-0004 §3.3: boolean values are "0", "1", "false" and "true".
const boolean = (label: string): FieldSpec => ({
  type: 'boolean',
  label,
  parse: (values) => {
    const value = single(values);
    if (value === '1' || value === 'true') return true;
    if (value === '0' || value === 'false') return false;
    return undefined;
  },
  format: (value) => [value ? 'true' : 'false'],
});

const list = (label: string, options: readonly string[]): FieldSpec => ({
  type: 'list-single',
  label,
  options,
  parse: (values) => {
    const value = single(values);
    return value !== undefined && options.includes(value) ? value : undefined;
  },
  format: (value) => [String(value)],
});

const fieldSpecs: Record<keyof NodeConfig, FieldSpec> = {
  title: text('A friendly name for the node'),
  description: text('A description of the node'),
  type: text('The semantic type of the payload'),
  access_model: list('Who may see the items', ['open', 'presence', 'roster', 'whitelist']),
  roster_groups_allowed: {
    type: 'list-multi',
    label: 'Roster groups allowed to see the items (access model "roster")',
    parse: (values) => (values.length <= 100 && values.every((v) => v.length <= 1024) ? [...new Set(values)].sort() : undefined),
    format: (value) => value as string[],
  },
  publish_model: list('Who may publish (only the account owner on a personal node)', ['publishers']),
  max_items: {
    type: 'text-single',
    label: `Most items kept ("max" for the server limit of ${serverMaxItems})`,
    parse: (values) => {
      const value = single(values);
      if (value === 'max') return 'max';
      if (value === undefined || !/^[0-9]{1,9}$/.test(value)) return undefined;
      const n = Number(value);
      return n >= 1 ? n : undefined;
    },
    format: (value) => [String(value)],
  },
  persist_items: boolean('Keep items in storage'),
  deliver_notifications: boolean('Send event notifications'),
  deliver_payloads: boolean('Include the payload in event notifications'),
  notify_retract: boolean('Notify when items are retracted'),
  notify_delete: boolean('Notify when the node is deleted'),
  send_last_published_item: list('When to send the last published item', ['never', 'on_sub', 'on_sub_and_presence']),
  notification_type: list('The message type of event notifications', ['headline', 'normal']),
};

const configKeys = Object.keys(fieldSpecs) as Array<keyof NodeConfig>;

function keyOf(fieldVar: string): keyof NodeConfig | undefined {
  if (!fieldVar.startsWith('pubsub#')) return undefined;
  const key = fieldVar.slice('pubsub#'.length);
  return (configKeys as string[]).includes(key) ? (key as keyof NodeConfig) : undefined;
}

/** A stored configuration with defaults for whatever it lacks or holds wrongly (older versions, hand edits). */
export function configFromStored(stored: Record<string, unknown>): NodeConfig {
  const config: Record<string, unknown> = { ...defaultConfig };
  for (const key of configKeys) {
    const value = stored[key];
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value.map(String) : [String(value)];
    const parsed = fieldSpecs[key].parse(values);
    if (parsed !== undefined) config[key] = parsed;
  }
  return config as unknown as NodeConfig;
}

/** The configuration form (XEP-0060 §8.2.2) or the default one (§8.3). */
export function configForm(config: NodeConfig): Element {
  const fields: FormField[] = configKeys.map((key) => {
    const spec = fieldSpecs[key];
    return { var: `pubsub#${key}`, type: spec.type, label: spec.label, options: spec.options, values: spec.format(config[key]) };
  });
  return buildForm('form', PUBSUB.nodeConfig, fields);
}

/**
 * Applies a submitted pubsub#node_config form (configure §8.2.3, create-and-configure §8.1.3).
 * Fields we do not know are ignored (XEP-0004 lets a form carry more than a service uses);
 * a value we cannot take refuses the whole form.
 */
export function applyConfigForm(base: NodeConfig, form: SubmittedForm): { ok: true; config: NodeConfig } | { ok: false; error: PubsubError } {
  if (form.formType !== undefined && form.formType !== PUBSUB.nodeConfig) {
    return { ok: false, error: new PubsubError('bad-request', undefined, `the form type must be ${PUBSUB.nodeConfig}`) };
  }
  const config: Record<string, unknown> = { ...base };
  for (const [fieldVar, values] of form.fields) {
    const key = keyOf(fieldVar);
    if (!key) continue;
    const parsed = fieldSpecs[key].parse(values);
    if (parsed === undefined) {
      // §8.1.3.2: an access model the service does not offer.
      if (key === 'access_model') return { ok: false, error: new PubsubError('not-acceptable', 'unsupported-access-model', `access model ${values[0] ?? ''} is not offered`) };
      return { ok: false, error: new PubsubError('not-acceptable', undefined, `${fieldVar} cannot be ${values.join(', ')}`) };
    }
    config[key] = parsed;
  }
  return { ok: true, config: config as unknown as NodeConfig };
}

/**
 * XEP-0060 §7.1.5: every publish option is a precondition on the node configuration. For an
 * existing node each must match (else conflict + precondition-not-met); a new node is created
 * with them. Unknown fields refuse the publication either way.
 */
export function checkPublishOptions(
  existing: NodeConfig | undefined,
  options: Map<string, string[]>,
): { ok: true; config: NodeConfig } | { ok: false; error: PubsubError } {
  const config: Record<string, unknown> = { ...(existing ?? defaultConfig) };
  for (const [fieldVar, values] of options) {
    const key = keyOf(fieldVar);
    const parsed = key ? fieldSpecs[key].parse(values) : undefined;
    if (!key || parsed === undefined) {
      return { ok: false, error: new PubsubError('conflict', 'precondition-not-met', `publish option ${fieldVar} cannot be met`) };
    }
    if (existing && !sameValue(existing[key], parsed)) {
      return { ok: false, error: new PubsubError('conflict', 'precondition-not-met', `the node's ${fieldVar} differs`) };
    }
    config[key] = parsed;
  }
  return { ok: true, config: config as unknown as NodeConfig };
}

/** The publish-options form of a publish request, as fields; FORM_TYPE must be the publish-options one. */
export function publishOptionsFields(form: SubmittedForm): Map<string, string[]> | PubsubError {
  if (form.formType !== undefined && form.formType !== PUBSUB.publishOptions) {
    return new PubsubError('bad-request', undefined, `the form type must be ${PUBSUB.publishOptions}`);
  }
  return form.fields;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => v === b[i]);
  return a === b;
}
