// What Hearth keeps about people, where, and for how long — worked out from the running settings
// (issue 11, "privacy by default"). One source for the admin's Privacy page (control/privacy.ts),
// the public statement at /privacy (modules/privacy-statement.ts) and README's "Privacy" section,
// so none of them can promise what the server does not do. test/server/privacy.test.ts checks
// every promise made here against the real server.
//
// Pure: config in, sentences out. Each sentence names what the code does; change the code and
// this together.
import type { Config } from '../../config/schema.js';
import type { PrivacyFact, PrivacyFacts } from '../../control/contract.js';
import { registrationWindowMs } from '../../core/registration-throttle.js';

/** What the server holds in memory right now (the sign-in and registration throttles). */
export type PrivacyNow = NonNullable<PrivacyFacts['now']>;

const plural = (count: number, one: string, many = `${one}s`) => `${count} ${count === 1 ? one : many}`;

export function retentionFacts(config: Config, now?: PrivacyNow): PrivacyFacts {
  const debugLogging = config.log.level === 'debug';
  const archiveDays = config.archive.retentionDays;
  const kept: PrivacyFact[] = [
    {
      id: 'accounts',
      title: 'Accounts',
      kept: 'Until the account is deleted',
      where: 'disk',
      details:
        'Each account’s user name, its role (admin, user or limited) and when it was made. The password itself is never stored: only salted keys (SCRAM, RFC 5802) that can check a password but cannot be turned back into it.',
      settings: [],
    },
    {
      id: 'personal-data',
      title: 'Contacts, profiles and app data',
      kept: 'Until changed, or the account is deleted',
      where: 'disk',
      details:
        'Each person’s contact list and pending contact requests, profile and picture (vCard), what their apps publish (encryption keys, bookmarks of group chats), private app settings, block list, message history preferences and the circles they belong to. Deleting the account deletes all of it.',
      settings: [],
    },
    offlineMessages(config),
    {
      id: 'archive',
      title: 'Message history',
      kept: archiveDays > 0 ? plural(archiveDays, 'day') : 'Not kept',
      where: archiveDays > 0 ? 'disk' : 'nowhere',
      details:
        archiveDays > 0
          ? `Messages to and from each account (XEP-0313), so every device shows the recent conversation. Each message is deleted once it is ${plural(archiveDays, 'day')} old (the clean-up runs daily), or with the account. End-to-end encrypted messages stay encrypted: the server cannot read them.`
          : 'Messages are passed on and not kept (archive.retentionDays is 0), except while they wait for someone who is offline.',
      settings: ['archive.retentionDays'],
    },
    {
      id: 'group-chats',
      title: 'Group chats',
      kept: 'Rooms until destroyed; messages as the history',
      where: 'disk',
      details: `Group chats that stay open (persistent rooms) with their settings, subject and members, until an owner destroys them. ${
        archiveDays > 0
          ? `Their messages are kept like the message history, ${plural(archiveDays, 'day')}.`
          : 'Their messages are not written down (archive.retentionDays is 0).'
      } Rooms without a history remember their last ${plural(config.muc.historyMessages, 'message')} in memory only, for people who join, until the room is gone or Hearth stops.`,
      settings: ['archive.retentionDays', 'muc.historyMessages'],
    },
    uploads(config),
    {
      id: 'invitations',
      title: 'Invitations',
      kept: 'Until they expire or are withdrawn',
      where: 'disk',
      details: `Who made each invitation, its note, the user name it keeps, its role and circles, and how often it was used. Expired invitations are deleted by the daily clean-up; those made in a chat app expire after ${plural(config.invites.expiryDays, 'day')}.`,
      settings: ['invites.expiryDays'],
    },
    {
      id: 'push',
      title: 'Push notifications',
      kept: 'Until the app turns them off',
      where: 'disk',
      details: `For phones whose app sleeps (XEP-0357): which push service of the app’s maker wakes them. A notification says that a message came, how many, and from whom${
        config.push.includeBody ? ', and the message text (push.includeBody is on; never for encrypted messages)' : ', never what it says'
      }. Deleted when the app turns push off, the push service refuses it, or the account is deleted.`,
      settings: ['push.includeBody'],
    },
    config.privacy.lastActivity
      ? {
          id: 'last-activity',
          title: 'When people were last online',
          kept: 'Until the account is deleted',
          where: 'disk',
          details:
            'The time each account last went offline and the status it left with, so contacts who may see its presence can ask how long ago (XEP-0012; privacy.lastActivity is on). Each sign-out replaces the one before.',
          settings: ['privacy.lastActivity'],
        }
      : {
          id: 'last-activity',
          title: 'When people were last online',
          kept: 'Not kept',
          where: 'nowhere',
          details: 'Hearth does not record when anyone was last online, and does not answer questions about it (privacy.lastActivity is off).',
          settings: ['privacy.lastActivity'],
        },
    connections(config),
    failedSignIns(config),
    {
      id: 'new-account-addresses',
      title: 'New accounts per address',
      kept: plural(registrationWindowMs / 3_600_000, 'hour'),
      where: 'memory',
      details: `The network address each new account was made from, and when, so that one address can make at most ${plural(config.registration.maxPerAddressPerHour, 'account')} an hour (in a chat app or on an invitation page). In memory only, never on disk or in the log; forgotten after an hour or when Hearth stops.${
        config.auth.exemptLoopback ? ' Accounts made from this computer are not counted (auth.exemptLoopback).' : ''
      }`,
      settings: ['registration.maxPerAddressPerHour', 'auth.exemptLoopback'],
    },
    {
      id: 'logs',
      title: 'The log',
      kept: 'Hearth writes no log file',
      where: 'output',
      details: debugLogging
        ? 'Debug logging is on (log.level is debug): the log can hold message content and other people’s addresses, though never network addresses. Switch log.level back to info when you are done. The log goes to Hearth’s output (a terminal, or the system journal when it runs as a service), which keeps it as long as that is set up to.'
        : `Level ${config.log.level}: what the server does (it started, an account was made, a link to another server is up), never network addresses, message content or other people’s addresses. The log goes to Hearth’s output (a terminal, or the system journal when it runs as a service), which keeps it as long as that is set up to.`,
      settings: ['log.level'],
    },
  ];
  if (config.tor.enabled) {
    kept.push({
      id: 'tor',
      title: 'Onion service',
      kept: 'Until a new address is made',
      where: 'disk',
      details:
        'The onion address’s secret key, so the address stays the same, and Tor’s working files (what it knows about the Tor network). Devices that come through Tor reach Hearth from this computer: their own network address is unknown even to Hearth.',
      settings: ['tor.enabled'],
    });
  }

  const notKept: PrivacyFacts['notKept'] = [
    { id: 'sign-in-addresses', text: 'The network address of a device that signs in: it is used while the device is connected and never written down.' },
    {
      id: 'sign-in-times',
      text: config.privacy.lastActivity
        ? 'A history of sign-ins or of what anyone does: only the last sign-out is kept (see above).'
        : 'When anyone signs in or out, or what they do: there is no sign-in history and no activity record.',
    },
    { id: 'passwords', text: 'Passwords: only keys made from them, which cannot be turned back into them.' },
    { id: 'addresses-in-logs', text: 'Network (IP) addresses in the log, at every log level.' },
  ];
  if (!debugLogging) notKept.push({ id: 'content-in-logs', text: 'Message content and other people’s addresses in the log.' });

  return { domain: config.domain, kept, notKept, logLevel: config.log.level, debugLogging, ...(now ? { now } : {}) };
}

function offlineMessages(config: Config): PrivacyFact {
  const max = config.limits.maxOfflineMessages;
  if (max === 0) {
    return {
      id: 'offline-messages',
      title: 'Messages waiting for someone offline',
      kept: 'Not kept',
      where: 'nowhere',
      details: 'A message for someone with no device online is refused, and the sender is told (limits.maxOfflineMessages is 0).',
      settings: ['limits.maxOfflineMessages'],
    };
  }
  return {
    id: 'offline-messages',
    title: 'Messages waiting for someone offline',
    kept: 'Until delivered',
    where: 'disk',
    details: `A message for someone with no device online waits here, and is deleted once it is delivered at their next sign-in, or with the account. At most ${plural(max, 'message')} wait for one account; further ones are refused and the sender is told.`,
    settings: ['limits.maxOfflineMessages'],
  };
}

function uploads(config: Config): PrivacyFact {
  // upload.* comes from the file-upload module's settings; the Storage page changes them at once.
  const days = config.upload.retentionDays;
  return {
    id: 'uploads',
    title: 'Shared files',
    kept: plural(days, 'day'),
    where: 'disk',
    details: `${
      config.upload.enabled ? 'Photos, voice messages and files shared in chats (XEP-0363)' : 'Uploading is off (upload.enabled); files shared earlier'
    }, with their name, size and type and the account that uploaded them. Each file is deleted ${plural(days, 'day')} after it was uploaded, and its link stops working; an account’s files go with the account.`,
    settings: ['upload.retentionDays', 'upload.enabled'],
  };
}

function connections(config: Config): PrivacyFact {
  const resume = config.streamManagement.resumeTimeoutSeconds;
  return {
    id: 'connections',
    title: 'Connected devices',
    kept: 'While connected',
    where: 'memory',
    details: `While a device is connected Hearth knows its network address, as any server does, and counts it against the limit of ${plural(config.limits.maxConnectionsPerAddress, 'connection')} from one address. It is forgotten when the device disconnects and never written down.${
      resume > 0 ? ` A phone whose connection drops is waited for ${plural(resume, 'second')}, with the messages it has not received yet held in memory.` : ''
    }`,
    settings: ['limits.maxConnectionsPerAddress', 'streamManagement.resumeTimeoutSeconds'],
  };
}

function failedSignIns(config: Config): PrivacyFact {
  const hours = config.privacy.failedLoginRetentionHours;
  const { maxFailuresPerAddress, maxFailuresPerAccount, lockMinutes, exemptLoopback } = config.auth;
  return {
    id: 'failed-sign-ins',
    title: 'Failed sign-ins',
    kept: plural(hours, 'hour'),
    where: 'memory',
    details: `For each wrong password: the network address it came from, the account tried and the time, to slow down password guessing. ${plural(maxFailuresPerAddress, 'failure')} from one address, or ${plural(maxFailuresPerAccount, 'failure')} on one account, within ${plural(lockMinutes, 'minute')} lock it for ${plural(lockMinutes, 'minute')}. In memory only, never on disk or in the log; forgotten after ${plural(hours, 'hour')}, when the right password is given from that address, or when Hearth stops.${
      exemptLoopback ? ' Sign-ins from this computer are not counted (auth.exemptLoopback).' : ''
    }`,
    settings: ['privacy.failedLoginRetentionHours', 'auth.maxFailuresPerAddress', 'auth.maxFailuresPerAccount', 'auth.lockMinutes', 'auth.exemptLoopback'],
  };
}
