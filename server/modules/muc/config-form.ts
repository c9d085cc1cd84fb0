// XEP-0045 §10.2 room configuration (the muc#roomconfig form, §15.5.3) and what follows from it:
// the room's disco features (§6.4, §15.3) and its muc#roominfo form (§15.5.4). Pure functions.
import type { Element } from 'ltx';
import { dataForm, parseBoolean, type FieldSpec, type SubmittedForm } from '../../util/dataforms.js';
import { StanzaError } from '../../util/errors.js';
import type { AllowPm } from './roles.js';

export const roomConfigFormType = 'http://jabber.org/protocol/muc#roomconfig';
export const roomInfoFormType = 'http://jabber.org/protocol/muc#roominfo';

export interface RoomConfig {
  name: string;
  description: string;
  persistent: boolean;
  /** Listed in the service's disco items (muc_public) or not (muc_hidden). */
  public: boolean;
  membersOnly: boolean;
  moderated: boolean;
  /** '' for a room without a password. */
  password: string;
  /** Who sees occupants' real JIDs: everyone (non-anonymous) or moderators (semi-anonymous). */
  whois: 'anyone' | 'moderators';
  maxUsers: number;
  /** Messages go to the room's archive (XEP-0313) and history survives restarts. */
  archiving: boolean;
  /** Participants may change the subject, not only moderators. */
  changeSubject: boolean;
  /** Members (not only admins) may invite others into a members-only room, making them members. */
  allowInvites: boolean;
  allowPm: AllowPm;
}

export interface ConfigLimits {
  /** muc.maxOccupants: the highest maxUsers. */
  maxOccupants: number;
  /** Whether rooms can have an archive at all (archive.retentionDays > 0). */
  archiveAvailable: boolean;
}

/**
 * A new room's configuration: made for a family group, so persistent, hidden from the room list,
 * non-anonymous (end-to-end encryption in groups needs the members' real JIDs), archived, and
 * open to invitations by its members. Owners change any of it with the form.
 */
export function defaultConfig(limits: ConfigLimits): RoomConfig {
  return {
    name: '',
    description: '',
    persistent: true,
    public: false,
    membersOnly: false,
    moderated: false,
    password: '',
    whois: 'anyone',
    maxUsers: limits.maxOccupants,
    archiving: limits.archiveAvailable,
    changeSubject: true,
    allowInvites: true,
    allowPm: 'anyone',
  };
}

/** A stored configuration (JSON) read back, anything missing or damaged taken from the defaults. */
export function configFromJson(json: string, limits: ConfigLimits): RoomConfig {
  const defaults = defaultConfig(limits);
  let stored: Record<string, unknown>;
  try {
    stored = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return defaults;
  }
  const config = { ...defaults };
  for (const key of Object.keys(defaults) as Array<keyof RoomConfig>) {
    if (typeof stored[key] === typeof defaults[key]) (config as Record<string, unknown>)[key] = stored[key];
  }
  if (!['anyone', 'moderators'].includes(config.whois)) config.whois = defaults.whois;
  if (!allowPmValues.includes(config.allowPm)) config.allowPm = defaults.allowPm;
  config.maxUsers = Math.max(1, Math.min(config.maxUsers, limits.maxOccupants));
  if (!limits.archiveAvailable) config.archiving = false;
  return config;
}

const allowPmValues: AllowPm[] = ['anyone', 'participants', 'moderators', 'none'];
const whoisValues = ['moderators', 'anyone'] as const;

const field = {
  name: 'muc#roomconfig_roomname',
  description: 'muc#roomconfig_roomdesc',
  persistent: 'muc#roomconfig_persistentroom',
  public: 'muc#roomconfig_publicroom',
  membersOnly: 'muc#roomconfig_membersonly',
  moderated: 'muc#roomconfig_moderatedroom',
  passwordProtected: 'muc#roomconfig_passwordprotectedroom',
  password: 'muc#roomconfig_roomsecret',
  whois: 'muc#roomconfig_whois',
  maxUsers: 'muc#roomconfig_maxusers',
  archiving: 'muc#roomconfig_enablearchiving',
  changeSubject: 'muc#roomconfig_changesubject',
  allowInvites: 'muc#roomconfig_allowinvites',
  allowPm: 'muc#roomconfig_allowpm',
} as const;

const maxTextLength = 1000;

/** §10.2: the form an owner fills in, with the current values. */
export function configForm(config: RoomConfig, limits: ConfigLimits): Element {
  const bool = (value: boolean) => [value ? '1' : '0'];
  const sizes = [...new Set([5, 10, 20, 50, 100, 200, 500, 1000].filter((n) => n < limits.maxOccupants).concat(limits.maxOccupants))];
  const fields: FieldSpec[] = [
    { var: field.name, type: 'text-single', label: 'Name', values: [config.name] },
    { var: field.description, type: 'text-single', label: 'Description', values: [config.description] },
    { var: field.persistent, type: 'boolean', label: 'Keep the room when everyone has left', values: bool(config.persistent) },
    { var: field.public, type: 'boolean', label: 'List the room in the directory', values: bool(config.public) },
    { var: field.membersOnly, type: 'boolean', label: 'Only members may enter', values: bool(config.membersOnly) },
    { var: field.moderated, type: 'boolean', label: 'Only participants with voice may speak', values: bool(config.moderated) },
    { var: field.passwordProtected, type: 'boolean', label: 'A password is needed to enter', values: bool(config.password !== '') },
    { var: field.password, type: 'text-private', label: 'Password', values: [config.password] },
    {
      var: field.whois,
      type: 'list-single',
      label: 'Who may see the real addresses of occupants',
      values: [config.whois],
      options: [
        { value: 'moderators', label: 'Moderators only' },
        { value: 'anyone', label: 'Anyone' },
      ],
    },
    {
      var: field.maxUsers,
      type: 'list-single',
      label: 'Most occupants at once',
      values: [String(config.maxUsers)],
      options: sizes.map((n) => ({ value: String(n) })),
    },
    { var: field.changeSubject, type: 'boolean', label: 'Participants may change the subject', values: bool(config.changeSubject) },
    { var: field.allowInvites, type: 'boolean', label: 'Members may invite others', values: bool(config.allowInvites) },
    {
      var: field.allowPm,
      type: 'list-single',
      label: 'Who may send private messages',
      values: [config.allowPm],
      options: allowPmValues.map((value) => ({ value })),
    },
  ];
  if (limits.archiveAvailable) {
    fields.push({ var: field.archiving, type: 'boolean', label: 'Keep messages in the archive', values: bool(config.archiving) });
  }
  return dataForm('form', roomConfigFormType, fields, 'Room configuration');
}

/**
 * §10.2: the configuration after an owner's submitted form. Fields left out keep their values;
 * fields this service does not know are ignored (clients send other servers' fields too).
 */
export function applyConfigForm(current: RoomConfig, form: SubmittedForm, limits: ConfigLimits): RoomConfig | StanzaError {
  if (form.formType !== undefined && form.formType !== roomConfigFormType) {
    return new StanzaError('bad-request', `FORM_TYPE must be ${roomConfigFormType}`);
  }
  const next = { ...current };
  const value = (name: string) => form.fields.get(name)?.[0];
  const invalid = (name: string) => new StanzaError('not-acceptable', `${name} has an invalid value`);

  for (const key of ['name', 'description'] as const) {
    const text = value(field[key]);
    if (text === undefined) continue;
    if (text.length > maxTextLength) return new StanzaError('not-acceptable', `${field[key]} is too long`);
    next[key] = text.trim();
  }
  const booleans = [
    ['persistent', field.persistent],
    ['public', field.public],
    ['membersOnly', field.membersOnly],
    ['moderated', field.moderated],
    ['archiving', field.archiving],
    ['changeSubject', field.changeSubject],
    ['allowInvites', field.allowInvites],
  ] as const;
  for (const [key, name] of booleans) {
    const text = value(name);
    if (text === undefined) continue;
    const parsed = parseBoolean(text);
    if (parsed === undefined) return invalid(name);
    next[key] = parsed;
  }
  if (!limits.archiveAvailable) next.archiving = false;

  const whois = value(field.whois);
  if (whois !== undefined) {
    if (!(whoisValues as readonly string[]).includes(whois.trim())) return invalid(field.whois);
    next.whois = whois.trim() as RoomConfig['whois'];
  }
  const allowPm = value(field.allowPm);
  if (allowPm !== undefined) {
    if (!(allowPmValues as string[]).includes(allowPm.trim())) return invalid(field.allowPm);
    next.allowPm = allowPm.trim() as AllowPm;
  }
  const maxUsers = value(field.maxUsers);
  if (maxUsers !== undefined) {
    const text = maxUsers.trim();
    // "none" (and 0) mean no limit of the room's own: the service's limit still applies.
    const parsed = text === 'none' || text === '0' ? limits.maxOccupants : /^\d{1,6}$/.test(text) ? Number(text) : NaN;
    if (!(parsed >= 1 && parsed <= limits.maxOccupants)) return new StanzaError('not-acceptable', `${field.maxUsers} must be from 1 to ${limits.maxOccupants}`);
    next.maxUsers = parsed;
  }

  // The password: a secret alone protects the room; turning protection off clears it.
  const protectedText = value(field.passwordProtected);
  const secret = value(field.password);
  const protect = protectedText === undefined ? undefined : parseBoolean(protectedText);
  if (protectedText !== undefined && protect === undefined) return invalid(field.passwordProtected);
  if (secret !== undefined && secret.length > maxTextLength) return new StanzaError('not-acceptable', `${field.password} is too long`);
  if (protect === false) next.password = '';
  else if (secret !== undefined && secret !== '') next.password = secret;
  else if (protect === true && secret !== undefined) next.password = '';
  if (protect === true && next.password === '') return new StanzaError('not-acceptable', 'a password-protected room needs a password');
  return next;
}

/** §10.2.1: the status codes occupants get for a configuration change. */
export function configChangeCodes(before: RoomConfig, after: RoomConfig): number[] {
  const codes: number[] = [];
  if (before.archiving !== after.archiving) codes.push(after.archiving ? 170 : 171);
  if (before.whois !== after.whois) codes.push(after.whois === 'anyone' ? 172 : 173);
  const changed = (Object.keys(before) as Array<keyof RoomConfig>).some((key) => key !== 'archiving' && key !== 'whois' && before[key] !== after[key]);
  if (changed) codes.push(104);
  return codes;
}

/** §6.4 and the §15.3 registry: what a room says about itself in disco#info. */
export function roomFeatures(config: RoomConfig): string[] {
  return [
    config.persistent ? 'muc_persistent' : 'muc_temporary',
    config.membersOnly ? 'muc_membersonly' : 'muc_open',
    config.password !== '' ? 'muc_passwordprotected' : 'muc_unsecured',
    config.whois === 'anyone' ? 'muc_nonanonymous' : 'muc_semianonymous',
    config.moderated ? 'muc_moderated' : 'muc_unmoderated',
    config.public ? 'muc_public' : 'muc_hidden',
  ];
}

export interface RoomInfo {
  config: RoomConfig;
  occupants: number;
  subject: string;
  /** SHA-1 of the room's avatar (XEP-0486 §3.3), when it has one. */
  avatarHash: string | undefined;
  historyMessages: number;
}

/** §6.4: the muc#roominfo extension of a room's disco#info (XEP-0128). */
export function roomInfoForm(info: RoomInfo): Element {
  const fields: FieldSpec[] = [
    { var: 'muc#roominfo_description', type: 'text-single', label: 'Description', values: [info.config.description] },
    { var: 'muc#roomconfig_roomname', type: 'text-single', label: 'Name', values: [info.config.name] },
    { var: 'muc#roominfo_occupants', type: 'text-single', label: 'Number of occupants', values: [String(info.occupants)] },
    { var: 'muc#roominfo_subject', type: 'text-single', label: 'Subject', values: [info.subject] },
    { var: 'muc#roomconfig_changesubject', type: 'boolean', label: 'Participants may change the subject', values: [info.config.changeSubject ? '1' : '0'] },
    { var: 'muc#roominfo_subjectmod', type: 'boolean', label: 'Participants may change the subject', values: [info.config.changeSubject ? '1' : '0'] },
    { var: 'muc#roomconfig_allowinvites', type: 'boolean', label: 'Members may invite others', values: [info.config.allowInvites ? '1' : '0'] },
    { var: 'muc#maxhistoryfetch', type: 'text-single', label: 'Most history messages on entering', values: [String(info.historyMessages)] },
  ];
  if (info.avatarHash !== undefined) fields.push({ var: 'muc#roominfo_avatarhash', type: 'text-multi', label: 'Avatar hash', values: [info.avatarHash] });
  return dataForm('result', roomInfoFormType, fields);
}
