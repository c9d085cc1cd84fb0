// XEP-0004 data forms: building the forms modules offer and reading submitted ones.
import { parse, type Element } from 'ltx';
import { describe, expect, it } from 'vitest';
import { addField, dataForm, parseBoolean, readForm } from '../../../server/util/dataforms.js';

describe('building a form', () => {
  it('puts the hidden FORM_TYPE first, then the fields with their options and values', () => {
    const form = dataForm('form', 'urn:example:config', [
      { var: 'name', type: 'text-single', label: 'Name', values: ['Family'] },
      { var: 'size', type: 'list-single', values: ['10'], options: [{ value: '10' }, { value: '20', label: 'Twenty' }] },
    ]);
    expect(form.toString()).toBe(
      '<x xmlns="jabber:x:data" type="form">' +
        '<field var="FORM_TYPE" type="hidden"><value>urn:example:config</value></field>' +
        '<field var="name" type="text-single" label="Name"><value>Family</value></field>' +
        '<field var="size" type="list-single"><option><value>10</value></option><option label="Twenty"><value>20</value></option><value>10</value></field>' +
        '</x>',
    );
  });

  it('returns an added field so it can take more children', () => {
    const form = dataForm('result', undefined, [], 'Title');
    addField(form, { var: 'ids', type: 'list-multi' }).c('validate');
    expect(form.toString()).toBe('<x xmlns="jabber:x:data" type="result"><title>Title</title><field var="ids" type="list-multi"><validate/></field></x>');
  });
});

describe('reading a submitted form', () => {
  it('gives the type, the FORM_TYPE and every field by name', () => {
    const form = readForm(
      parse(
        `<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value> urn:example </value></field><field var='a'><value>1</value><value>2</value></field><field><value>x</value></field></x>`,
      ) as Element,
    );
    expect(form.type).toBe('submit');
    expect(form.formType).toBe('urn:example');
    expect(form.fields.get('a')).toEqual(['1', '2']);
    expect(form.fields.get('')).toEqual(['x']);
  });

  it('reads XEP-0004 booleans', () => {
    expect([parseBoolean('1'), parseBoolean('true'), parseBoolean('0'), parseBoolean('false'), parseBoolean('yes'), parseBoolean(undefined)]).toEqual([
      true,
      true,
      false,
      false,
      undefined,
      undefined,
    ]);
  });
});
