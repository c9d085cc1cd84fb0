// XEP-0115 §5.1: the verification string that names a disco#info result, so clients can
// cache what a server (or client) supports.
import { createHash } from 'node:crypto';
import type { Element } from 'ltx';

export interface CapsInput {
  identities: Array<{ category: string; type: string; name?: string; lang?: string }>;
  features: string[];
  extensions: Element[];
}

export function capsVerification({ identities, features, extensions }: CapsInput): string {
  let text = '';
  const identityStrings = identities
    .map((i) => `${i.category}/${i.type}/${i.lang ?? ''}/${i.name ?? ''}`)
    .sort(compareOctets);
  for (const identity of identityStrings) text += `${identity}<`;
  for (const feature of [...features].sort(compareOctets)) text += `${feature}<`;
  const forms = extensions
    .map((form) => {
      const fields = form.getChildren('field');
      const formType = fields.find((f) => f.attrs.var === 'FORM_TYPE')?.getChildText('value') ?? '';
      const rest = fields
        .filter((f) => f.attrs.var !== 'FORM_TYPE')
        .map((f) => ({ name: f.attrs.var as string, values: f.getChildren('value').map((v) => v.getText()).sort(compareOctets) }))
        .sort((a, b) => compareOctets(a.name, b.name));
      return { formType, rest };
    })
    .sort((a, b) => compareOctets(a.formType, b.formType));
  for (const form of forms) {
    text += `${form.formType}<`;
    for (const field of form.rest) {
      text += `${field.name}<`;
      for (const value of field.values) text += `${value}<`;
    }
  }
  return createHash('sha1').update(text, 'utf8').digest('base64');
}

/** "i;octet" collation (RFC 4790) as XEP-0115 requires: compare the UTF-8 bytes. */
function compareOctets(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
