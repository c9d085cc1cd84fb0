// The facts the Privacy page and /privacy are made of, for each setting that changes them.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../../server/config/load.js';
import type { Config } from '../../../../server/config/schema.js';
import { privacyFactsSchema, type PrivacyFacts } from '../../../../server/control/contract.js';
import { retentionFacts } from '../../../../server/services/privacy/retention-facts.js';

function config(overrides: Record<string, unknown> = {}): Config {
  const parsed = parseConfig({ domain: 'kitchen-pc', ...overrides }, { dataDir: '/tmp/hearth-facts' });
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  return parsed.config;
}
const fact = (facts: PrivacyFacts, id: string) => facts.kept.find((f) => f.id === id)!;

describe('the retention facts', () => {
  it('say what the defaults keep: messages 7 days, files 30 days, failed sign-ins 24 hours in memory', () => {
    const facts = retentionFacts(config());
    expect(privacyFactsSchema.safeParse(facts).success).toBe(true);
    expect(fact(facts, 'archive')).toMatchObject({ kept: '7 days', where: 'disk' });
    expect(fact(facts, 'uploads')).toMatchObject({ kept: '30 days', where: 'disk' });
    expect(fact(facts, 'failed-sign-ins')).toMatchObject({ kept: '24 hours', where: 'memory' });
    expect(fact(facts, 'new-account-addresses')).toMatchObject({ kept: '1 hour', where: 'memory' });
    expect(fact(facts, 'last-activity')).toMatchObject({ kept: 'Not kept', where: 'nowhere' });
    expect(facts.kept.map((f) => f.id)).not.toContain('tor');
    expect(facts.debugLogging).toBe(false);
  });

  it('say that nothing is archived with archive.retentionDays 0', () => {
    const facts = retentionFacts(config({ archive: { retentionDays: 0 } }));
    expect(fact(facts, 'archive')).toMatchObject({ kept: 'Not kept', where: 'nowhere' });
    expect(fact(facts, 'group-chats').details).toContain('Their messages are not written down');
  });

  it('follow privacy.failedLoginRetentionHours and the lock settings', () => {
    const details = fact(retentionFacts(config({ privacy: { failedLoginRetentionHours: 2 }, auth: { maxFailuresPerAddress: 5, lockMinutes: 30 } })), 'failed-sign-ins');
    expect(details.kept).toBe('2 hours');
    expect(details.details).toContain('5 failures from one address');
    expect(details.details).toContain('within 30 minutes lock it for 30 minutes');
  });

  it('say that the last sign-out is kept only with privacy.lastActivity', () => {
    const facts = retentionFacts(config({ privacy: { lastActivity: true } }));
    expect(fact(facts, 'last-activity')).toMatchObject({ where: 'disk' });
    expect(facts.notKept.find((n) => n.id === 'sign-in-times')!.text).toContain('only the last sign-out is kept');
  });

  it('mention the message text in push notifications only with push.includeBody', () => {
    expect(fact(retentionFacts(config()), 'push').details).toContain('never what it says');
    expect(fact(retentionFacts(config({ push: { includeBody: true } })), 'push').details).toContain('and the message text');
  });

  it('list the onion key only while Tor is on', () => {
    expect(retentionFacts(config({ tor: { enabled: true } })).kept.map((f) => f.id)).toContain('tor');
  });

  it('warn about debug logging and promise no clean log while it is on', () => {
    const facts = retentionFacts(config({ log: { level: 'debug' } }));
    expect(facts.debugLogging).toBe(true);
    expect(fact(facts, 'logs').details).toContain('Debug logging is on');
    expect(facts.notKept.map((n) => n.id)).toEqual(['sign-in-addresses', 'sign-in-times', 'passwords', 'addresses-in-logs']);
  });
});
