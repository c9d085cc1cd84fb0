// Namespaces, errors and data forms shared by the PEP files.
// XEP-0060: Publish-Subscribe — https://xmpp.org/extensions/xep-0060.html
// XEP-0004: Data Forms — https://xmpp.org/extensions/xep-0004.html
import { Element } from 'ltx';
import { StanzaError, type StanzaErrorCondition } from '../../util/errors.js';
import { NS } from '../../util/namespaces.js';
import { elementChildren } from '../../util/stanza.js';

export const PUBSUB = {
  main: 'http://jabber.org/protocol/pubsub',
  owner: 'http://jabber.org/protocol/pubsub#owner',
  event: 'http://jabber.org/protocol/pubsub#event',
  errors: 'http://jabber.org/protocol/pubsub#errors',
  publishOptions: 'http://jabber.org/protocol/pubsub#publish-options',
  nodeConfig: 'http://jabber.org/protocol/pubsub#node_config',
} as const;

/** XEP-0060 §7.1.3 and friends: a stanza error with a pubsub-specific condition after the defined one (RFC 6120 §8.3.2). */
export class PubsubError extends StanzaError {
  constructor(
    condition: StanzaErrorCondition,
    readonly pubsubCondition?: string,
    text?: string,
    /** For <unsupported feature='...'/>. */
    readonly feature?: string,
  ) {
    super(condition, text);
  }

  override toElement(by?: string): Element {
    const error = super.toElement(by);
    if (this.pubsubCondition) error.c(this.pubsubCondition, this.feature ? { xmlns: PUBSUB.errors, feature: this.feature } : { xmlns: PUBSUB.errors });
    return error;
  }
}

export function unsupported(feature: string): PubsubError {
  return new PubsubError('feature-not-implemented', 'unsupported', `${feature} is not supported`, feature);
}

/** The fields of a submitted data form, by var; FORM_TYPE is kept under its own name. */
export interface SubmittedForm {
  type: string;
  formType: string | undefined;
  fields: Map<string, string[]>;
}

export function readForm(x: Element | undefined): SubmittedForm | undefined {
  if (!x || x.name !== 'x' || x.attrs.xmlns !== NS.dataForms) return undefined;
  const fields = new Map<string, string[]>();
  let formType: string | undefined;
  for (const field of elementChildren(x)) {
    if (field.name !== 'field' || typeof field.attrs.var !== 'string') continue;
    const values = field.getChildren('value').map((v) => v.getText());
    if (field.attrs.var === 'FORM_TYPE') formType = values[0];
    else fields.set(field.attrs.var, values);
  }
  return { type: String(x.attrs.type ?? ''), formType, fields };
}

export interface FormField {
  var: string;
  type: string;
  label?: string;
  options?: readonly string[];
  values: string[];
}

export function buildForm(type: 'form' | 'result', formType: string, fields: FormField[]): Element {
  const x = new Element('x', { xmlns: NS.dataForms, type });
  x.c('field', { var: 'FORM_TYPE', type: 'hidden' }).c('value').t(formType);
  for (const field of fields) {
    const element = x.c('field', field.label ? { var: field.var, type: field.type, label: field.label } : { var: field.var, type: field.type });
    for (const option of field.options ?? []) element.c('option').c('value').t(option);
    for (const value of field.values) element.c('value').t(value);
  }
  return x;
}
