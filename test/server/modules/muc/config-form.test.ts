// The muc#roomconfig form (XEP-0045 §10.2) read and written as pure functions, with the disco
// features and status codes that follow from a configuration.
import { parse, type Element } from 'ltx';
import { describe, expect, it } from 'vitest';
import {
  applyConfigForm,
  configChangeCodes,
  configForm,
  configFromJson,
  defaultConfig,
  roomFeatures,
  type RoomConfig,
} from '../../../../server/modules/muc/config-form.js';
import { readForm } from '../../../../server/util/dataforms.js';
import { StanzaError } from '../../../../server/util/errors.js';

const limits = { maxOccupants: 100, archiveAvailable: true };

function submitted(fields: Record<string, string>, formType = 'http://jabber.org/protocol/muc#roomconfig') {
  const xml = `<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>${formType}</value></field>${Object.entries(fields)
    .map(([name, value]) => `<field var='${name}'><value>${value}</value></field>`)
    .join('')}</x>`;
  return readForm(parse(xml) as Element);
}

function apply(fields: Record<string, string>, current: RoomConfig = defaultConfig(limits)) {
  return applyConfigForm(current, submitted(fields), limits);
}

describe('the default configuration', () => {
  it('is a persistent, hidden, non-anonymous, archived room that members may invite to', () => {
    expect(defaultConfig(limits)).toMatchObject({ persistent: true, public: false, whois: 'anyone', archiving: true, allowInvites: true, membersOnly: false, password: '', maxUsers: 100 });
  });

  it('has no archive when the server keeps none', () => {
    expect(defaultConfig({ maxOccupants: 10, archiveAvailable: false }).archiving).toBe(false);
  });
});

describe('the form', () => {
  it('offers every field with the current value, and archiving only when there is an archive', () => {
    const fields = (form: Element) => form.getChildren('field').map((f) => f.attrs.var);
    const form = configForm(defaultConfig(limits), limits);
    expect(fields(form)).toEqual(
      expect.arrayContaining([
        'FORM_TYPE',
        'muc#roomconfig_roomname',
        'muc#roomconfig_persistentroom',
        'muc#roomconfig_membersonly',
        'muc#roomconfig_passwordprotectedroom',
        'muc#roomconfig_roomsecret',
        'muc#roomconfig_moderatedroom',
        'muc#roomconfig_whois',
        'muc#roomconfig_maxusers',
        'muc#roomconfig_enablearchiving',
        'muc#roomconfig_changesubject',
        'muc#roomconfig_allowinvites',
        'muc#roomconfig_publicroom',
      ]),
    );
    expect(fields(configForm(defaultConfig(limits), { ...limits, archiveAvailable: false }))).not.toContain('muc#roomconfig_enablearchiving');
  });
});

describe('applying a submitted form', () => {
  it('changes the fields given and keeps the others', () => {
    const next = apply({ 'muc#roomconfig_roomname': ' Family ', 'muc#roomconfig_membersonly': 'true', 'muc#roomconfig_whois': 'moderators' });
    expect(next).toMatchObject({ name: 'Family', membersOnly: true, whois: 'moderators', persistent: true });
  });

  it('accepts an empty form as it is (an instant room)', () => {
    expect(apply({})).toEqual(defaultConfig(limits));
  });

  it('ignores fields it does not know', () => {
    expect(apply({ 'muc#roomconfig_presencebroadcast': 'moderator' })).toEqual(defaultConfig(limits));
  });

  it('refuses another FORM_TYPE, a bad boolean, an unknown whois and too many occupants', () => {
    expect(applyConfigForm(defaultConfig(limits), submitted({}, 'urn:example'), limits)).toBeInstanceOf(StanzaError);
    expect(apply({ 'muc#roomconfig_membersonly': 'yes' })).toMatchObject({ condition: 'not-acceptable' });
    expect(apply({ 'muc#roomconfig_whois': 'everybody' })).toMatchObject({ condition: 'not-acceptable' });
    expect(apply({ 'muc#roomconfig_maxusers': '101' })).toMatchObject({ condition: 'not-acceptable' });
  });

  it('takes "none" occupants as the service limit', () => {
    expect(apply({ 'muc#roomconfig_maxusers': 'none' })).toMatchObject({ maxUsers: 100 });
    expect(apply({ 'muc#roomconfig_maxusers': '20' })).toMatchObject({ maxUsers: 20 });
  });

  it('protects the room with a secret, keeps it while protected, and clears it when protection is off', () => {
    const locked = apply({ 'muc#roomconfig_passwordprotectedroom': '1', 'muc#roomconfig_roomsecret': 'cauldron' }) as RoomConfig;
    expect(locked.password).toBe('cauldron');
    expect(apply({ 'muc#roomconfig_passwordprotectedroom': '1' }, locked)).toMatchObject({ password: 'cauldron' });
    expect(apply({ 'muc#roomconfig_passwordprotectedroom': '0', 'muc#roomconfig_roomsecret': 'cauldron' }, locked)).toMatchObject({ password: '' });
    expect(apply({ 'muc#roomconfig_passwordprotectedroom': '1', 'muc#roomconfig_roomsecret': '' })).toMatchObject({ condition: 'not-acceptable' });
  });

  it('cannot turn the archive on where the server keeps none', () => {
    const noArchive = { maxOccupants: 100, archiveAvailable: false };
    const next = applyConfigForm(defaultConfig(noArchive), submitted({ 'muc#roomconfig_enablearchiving': '1' }), noArchive);
    expect(next).toMatchObject({ archiving: false });
  });
});

describe('what follows from a configuration', () => {
  it('names the room type in disco features (§15.3)', () => {
    expect(roomFeatures(defaultConfig(limits)).sort()).toEqual(['muc_hidden', 'muc_nonanonymous', 'muc_open', 'muc_persistent', 'muc_unmoderated', 'muc_unsecured']);
    const locked = { ...defaultConfig(limits), persistent: false, public: true, membersOnly: true, moderated: true, password: 'x', whois: 'moderators' as const };
    expect(roomFeatures(locked).sort()).toEqual(['muc_membersonly', 'muc_moderated', 'muc_passwordprotected', 'muc_public', 'muc_semianonymous', 'muc_temporary']);
  });

  it('announces privacy changes with their own codes and anything else with 104 (§10.2.1)', () => {
    const before = defaultConfig(limits);
    expect(configChangeCodes(before, { ...before, archiving: false })).toEqual([171]);
    expect(configChangeCodes(before, { ...before, whois: 'moderators', name: 'x' })).toEqual([173, 104]);
    expect(configChangeCodes(before, before)).toEqual([]);
  });

  it('reads a stored configuration back, repairing what is missing or wrong', () => {
    expect(configFromJson('not json', limits)).toEqual(defaultConfig(limits));
    expect(configFromJson(JSON.stringify({ name: 'Family', whois: 'everybody', maxUsers: 5000 }), limits)).toMatchObject({ name: 'Family', whois: 'anyone', maxUsers: 100 });
  });
});
