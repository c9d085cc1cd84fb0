// XEP-0004: Data Forms — https://xmpp.org/extensions/xep-0004.html
// Building the forms modules offer (configuration, query fields, extended disco info) and reading
// the ones clients submit. Only the structure lives here; what a field means is each module's.
import { Element } from 'ltx';
import { NS } from './namespaces.js';

export type FieldType =
  | 'boolean'
  | 'fixed'
  | 'hidden'
  | 'jid-multi'
  | 'jid-single'
  | 'list-multi'
  | 'list-single'
  | 'text-multi'
  | 'text-private'
  | 'text-single';

export interface FieldSpec {
  var: string;
  type?: FieldType;
  label?: string;
  values?: string[];
  /** For list-single and list-multi: the choices offered. */
  options?: Array<{ value: string; label?: string }>;
}

/** A form of the given type; with `formType`, its hidden FORM_TYPE field comes first (XEP-0068). */
export function dataForm(type: 'form' | 'result' | 'submit', formType: string | undefined, fields: FieldSpec[], title?: string): Element {
  const form = new Element('x', { xmlns: NS.dataForms, type });
  if (title !== undefined) form.c('title').t(title);
  if (formType !== undefined) addField(form, { var: 'FORM_TYPE', type: 'hidden', values: [formType] });
  for (const field of fields) addField(form, field);
  return form;
}

/** Appends a field and returns it (callers may add children such as XEP-0122 validation). */
export function addField(form: Element, spec: FieldSpec): Element {
  const attrs: Record<string, string> = { var: spec.var };
  if (spec.type !== undefined) attrs.type = spec.type;
  if (spec.label !== undefined) attrs.label = spec.label;
  const field = form.c('field', attrs);
  for (const option of spec.options ?? []) {
    field.c('option', option.label !== undefined ? { label: option.label } : {}).c('value').t(option.value);
  }
  for (const value of spec.values ?? []) field.c('value').t(value);
  return field;
}

export interface SubmittedForm {
  /** The form's type attribute (submit, cancel ...), undefined when missing. */
  type: string | undefined;
  /** The value of the FORM_TYPE field, when there is one. */
  formType: string | undefined;
  /** Every field's values (text as sent, untrimmed) by var, in document order; FORM_TYPE included. */
  fields: Map<string, string[]>;
}

/** Reads a form as sent. A field without a var is kept under '' so callers can refuse it. */
export function readForm(form: Element): SubmittedForm {
  const fields = new Map<string, string[]>();
  for (const field of form.getChildren('field')) {
    const name = String(field.attrs.var ?? '');
    fields.set(name, [...(fields.get(name) ?? []), ...field.getChildren('value').map((value) => value.getText())]);
  }
  return { type: form.attrs.type as string | undefined, formType: fields.get('FORM_TYPE')?.[0]?.trim(), fields };
}

/** XEP-0004 §3.3: a boolean is "1" or "true", "0" or "false"; undefined for anything else. */
export function parseBoolean(value: string | undefined): boolean | undefined {
  switch (value?.trim()) {
    case '1':
    case 'true':
      return true;
    case '0':
    case 'false':
      return false;
    default:
      return undefined;
  }
}
