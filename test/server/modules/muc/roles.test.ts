// The XEP-0045 §5 rules as pure functions: default roles, who may enter, and who may change
// whose role or affiliation.
import { describe, expect, it } from 'vitest';
import {
  affiliationChangeRefusal,
  affiliationListRefusal,
  defaultRole,
  entryRefusal,
  mayChangeSubject,
  mayInvite,
  maySeeRealJids,
  maySendPrivateMessage,
  maySpeak,
  roleChangeRefusal,
  roleListRefusal,
  type Affiliation,
  type Role,
} from '../../../../server/modules/muc/roles.js';

const actor = (affiliation: Affiliation, role: Role) => ({ affiliation, role });

describe('default roles (§5.1.2)', () => {
  it('makes owners and admins moderators and members participants', () => {
    for (const moderated of [false, true]) {
      expect(defaultRole('owner', moderated)).toBe('moderator');
      expect(defaultRole('admin', moderated)).toBe('moderator');
      expect(defaultRole('member', moderated)).toBe('participant');
    }
  });

  it('makes unaffiliated users visitors in a moderated room only', () => {
    expect(defaultRole('none', true)).toBe('visitor');
    expect(defaultRole('none', false)).toBe('participant');
  });
});

describe('entering (§7.2)', () => {
  it('keeps outcasts out with forbidden', () => {
    expect(entryRefusal('outcast', false)).toBe('forbidden');
  });

  it('keeps non-members out of a members-only room with registration-required', () => {
    expect(entryRefusal('none', true)).toBe('registration-required');
    expect(entryRefusal('member', true)).toBeUndefined();
    expect(entryRefusal('admin', true)).toBeUndefined();
    expect(entryRefusal('none', false)).toBeUndefined();
  });
});

describe('changing roles (§8, §9.6-9.7)', () => {
  it('is for moderators only', () => {
    expect(roleChangeRefusal(actor('member', 'participant'), actor('none', 'participant'), 'none', false)).toBe('forbidden');
    expect(roleChangeRefusal(actor('none', 'moderator'), actor('none', 'participant'), 'none', false)).toBeUndefined();
  });

  it('never lets a lower affiliation kick a higher one', () => {
    expect(roleChangeRefusal(actor('member', 'moderator'), actor('admin', 'moderator'), 'none', false)).toBe('not-allowed');
    expect(roleChangeRefusal(actor('admin', 'moderator'), actor('owner', 'moderator'), 'none', false)).toBe('not-allowed');
    expect(roleChangeRefusal(actor('owner', 'moderator'), actor('owner', 'moderator'), 'none', false)).toBeUndefined();
  });

  it('refuses a moderator kicking themselves with conflict', () => {
    expect(roleChangeRefusal(actor('owner', 'moderator'), actor('owner', 'moderator'), 'none', true)).toBe('conflict');
  });

  it('lets any moderator grant voice, and revoke it only below their own affiliation', () => {
    expect(roleChangeRefusal(actor('none', 'moderator'), actor('none', 'visitor'), 'participant', false)).toBeUndefined();
    expect(roleChangeRefusal(actor('member', 'moderator'), actor('none', 'participant'), 'visitor', false)).toBeUndefined();
    expect(roleChangeRefusal(actor('member', 'moderator'), actor('member', 'participant'), 'visitor', false)).toBe('not-allowed');
  });

  it('never takes voice from an admin or owner', () => {
    expect(roleChangeRefusal(actor('owner', 'moderator'), actor('admin', 'participant'), 'visitor', false)).toBe('not-allowed');
  });

  it('leaves granting and revoking the moderator role to admins and owners, never revoking it from them', () => {
    expect(roleChangeRefusal(actor('none', 'moderator'), actor('none', 'participant'), 'moderator', false)).toBe('forbidden');
    expect(roleChangeRefusal(actor('admin', 'moderator'), actor('none', 'participant'), 'moderator', false)).toBeUndefined();
    expect(roleChangeRefusal(actor('admin', 'moderator'), actor('none', 'moderator'), 'participant', false)).toBeUndefined();
    expect(roleChangeRefusal(actor('owner', 'moderator'), actor('admin', 'moderator'), 'participant', false)).toBe('not-allowed');
    expect(roleChangeRefusal(actor('none', 'moderator'), actor('none', 'moderator'), 'visitor', false)).toBe('forbidden');
  });
});

describe('changing affiliations (§9, §10)', () => {
  const options = { self: false, owners: 1 };

  it('is for admins and owners only', () => {
    expect(affiliationChangeRefusal('member', 'none', 'member', options)).toBe('forbidden');
    expect(affiliationChangeRefusal('none', 'none', 'outcast', options)).toBe('forbidden');
  });

  it('lets admins manage members and bans below admin', () => {
    expect(affiliationChangeRefusal('admin', 'none', 'member', options)).toBeUndefined();
    expect(affiliationChangeRefusal('admin', 'member', 'outcast', options)).toBeUndefined();
    expect(affiliationChangeRefusal('admin', 'outcast', 'none', options)).toBeUndefined();
  });

  it('keeps the admin and owner lists for owners (forbidden) and admins and owners out of an admin reach (not-allowed)', () => {
    expect(affiliationChangeRefusal('admin', 'member', 'admin', options)).toBe('forbidden');
    expect(affiliationChangeRefusal('admin', 'none', 'owner', options)).toBe('forbidden');
    expect(affiliationChangeRefusal('admin', 'owner', 'outcast', options)).toBe('not-allowed');
    expect(affiliationChangeRefusal('admin', 'admin', 'member', options)).toBe('not-allowed');
    expect(affiliationChangeRefusal('owner', 'admin', 'outcast', options)).toBeUndefined();
    expect(affiliationChangeRefusal('owner', 'member', 'owner', options)).toBeUndefined();
  });

  it('refuses anyone banning themselves with conflict', () => {
    expect(affiliationChangeRefusal('owner', 'owner', 'outcast', { self: true, owners: 2 })).toBe('conflict');
    expect(affiliationChangeRefusal('admin', 'admin', 'outcast', { self: true, owners: 1 })).toBe('conflict');
  });

  it('keeps the last owner (§10.7) and lets one of several step down', () => {
    expect(affiliationChangeRefusal('owner', 'owner', 'admin', { self: true, owners: 1 })).toBe('conflict');
    expect(affiliationChangeRefusal('owner', 'owner', 'admin', { self: true, owners: 2 })).toBeUndefined();
  });
});

describe('reading lists', () => {
  it('shows every affiliation list to admins and owners', () => {
    for (const list of ['owner', 'admin', 'member', 'outcast'] as const) {
      expect(affiliationListRefusal('admin', list, false)).toBeUndefined();
      expect(affiliationListRefusal('owner', list, false)).toBeUndefined();
    }
  });

  it('shows members who belongs in a non-anonymous room, never the ban list', () => {
    expect(affiliationListRefusal('member', 'member', true)).toBeUndefined();
    expect(affiliationListRefusal('member', 'owner', true)).toBeUndefined();
    expect(affiliationListRefusal('member', 'outcast', true)).toBe('forbidden');
    expect(affiliationListRefusal('member', 'member', false)).toBe('forbidden');
    expect(affiliationListRefusal('none', 'member', true)).toBe('forbidden');
  });

  it('shows the voice list to moderators and the moderator list to admins and owners', () => {
    expect(roleListRefusal(actor('none', 'moderator'), 'participant')).toBeUndefined();
    expect(roleListRefusal(actor('none', 'participant'), 'participant')).toBe('forbidden');
    expect(roleListRefusal(actor('none', 'moderator'), 'moderator')).toBe('forbidden');
    expect(roleListRefusal(actor('admin', 'moderator'), 'moderator')).toBeUndefined();
  });
});

describe('everyday privileges', () => {
  it('gives voice to participants and moderators, not visitors', () => {
    expect(maySpeak('visitor')).toBe(false);
    expect(maySpeak('participant')).toBe(true);
    expect(maySpeak('moderator')).toBe(true);
  });

  it('lets participants change the subject only when the room allows it', () => {
    expect(mayChangeSubject('participant', false)).toBe(false);
    expect(mayChangeSubject('participant', true)).toBe(true);
    expect(mayChangeSubject('moderator', false)).toBe(true);
    expect(mayChangeSubject('visitor', true)).toBe(false);
  });

  it('follows muc#roomconfig_allowpm for private messages', () => {
    expect(maySendPrivateMessage('visitor', 'anyone')).toBe(true);
    expect(maySendPrivateMessage('visitor', 'participants')).toBe(false);
    expect(maySendPrivateMessage('participant', 'moderators')).toBe(false);
    expect(maySendPrivateMessage('moderator', 'moderators')).toBe(true);
    expect(maySendPrivateMessage('moderator', 'none')).toBe(false);
  });

  it('lets anyone invite into an open room, and members into a members-only one only when allowed', () => {
    expect(mayInvite('none', false, false)).toBe(true);
    expect(mayInvite('member', true, false)).toBe(false);
    expect(mayInvite('member', true, true)).toBe(true);
    expect(mayInvite('admin', true, false)).toBe(true);
    expect(mayInvite('outcast', false, true)).toBe(false);
  });

  it('shows real JIDs to everyone in a non-anonymous room and to moderators in a semi-anonymous one', () => {
    expect(maySeeRealJids('participant', 'anyone')).toBe(true);
    expect(maySeeRealJids('participant', 'moderators')).toBe(false);
    expect(maySeeRealJids('moderator', 'moderators')).toBe(true);
  });
});
