import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultDataDir, loadConfig, parseConfig } from '../../../server/config/load.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-config-'));
  dirs.push(dir);
  return dir;
}

describe('configuration', () => {
  it('fills in the documented defaults', () => {
    const result = parseConfig({ domain: 'home.example' }, { dataDir: '/tmp/x' });
    expect(result.ok && result.config).toMatchObject({
      domain: 'home.example',
      dataDir: '/tmp/x',
      ports: { c2s: 5222, c2sTls: 5223, s2s: 5269, http: 5280, https: 5281, admin: 5380 },
      bind: '*',
      adminBind: '127.0.0.1',
      registration: { open: false },
      limits: { maxStanzaBytes: 262_144 },
    });
  });

  it('keeps uploads 30 days, up to 100 MB a file, 1 GiB a day per person and 10 GiB in all, unless told otherwise', () => {
    const result = parseConfig({ domain: 'home.example' }, { dataDir: '/tmp/x' });
    expect(result.ok && result.config.upload).toEqual({ enabled: true, retentionDays: 30, maxFileSizeBytes: 104_857_600, userDailyQuotaBytes: 1_073_741_824, totalQuotaBytes: 10_737_418_240 });
  });

  it('refuses an upload size limit above the daily quota, naming the key', () => {
    const result = parseConfig({ upload: { maxFileSizeBytes: 2_147_483_648 } });
    expect(result.ok ? [] : result.errors).toEqual(['upload.maxFileSizeBytes: must not be larger than upload.userDailyQuotaBytes']);
  });

  it('prepares the domain: lower case, no trailing dot', () => {
    const result = parseConfig({ domain: 'Home.Example.' });
    expect(result.ok && result.config.domain).toBe('home.example');
  });

  it('names the key of every bad value', () => {
    const result = parseConfig({ ports: { c2s: 70000 }, limits: { maxStanzaBytes: 10 } });
    expect(result.ok).toBe(false);
    const errors = result.ok ? [] : result.errors;
    expect(errors.some((e) => e.startsWith('ports.c2s:'))).toBe(true);
    expect(errors.some((e) => e.startsWith('limits.maxStanzaBytes:'))).toBe(true);
  });

  it('refuses an invalid domain', () => {
    const result = parseConfig({ domain: 'not a domain' });
    expect(result).toEqual({ ok: false, errors: ['domain: "not a domain" is not a valid domain name'] });
  });

  it('needs a key file with a certificate file', () => {
    const result = parseConfig({ tls: { certFile: '/etc/cert.pem' } });
    expect(result).toEqual({ ok: false, errors: ['tls.keyFile: required when tls.certFile is set'] });
  });

  it('uses the Mozilla intermediate TLS profile unless modern is chosen', () => {
    const defaults = parseConfig({}, { dataDir: '/tmp/x' });
    expect(defaults.ok && defaults.config.tls.profile).toBe('intermediate');
    const modern = parseConfig({ tls: { profile: 'modern' } }, { dataDir: '/tmp/x' });
    expect(modern.ok && modern.config.tls.profile).toBe('modern');
    const old = parseConfig({ tls: { profile: 'old' } });
    expect(old.ok ? [] : old.errors[0]).toMatch(/^tls\.profile: /);
  });

  it('refuses an admin address other computers can reach unless adminAllowRemote says so', () => {
    for (const adminBind of ['*', '0.0.0.0', '192.168.1.10', '::']) {
      const result = parseConfig({ adminBind }, { dataDir: '/tmp/x' });
      expect(result.ok ? [] : result.errors).toEqual([`adminBind: "${adminBind}" lets other computers reach the admin page; set adminAllowRemote to true to open it on purpose`]);
    }
  });

  it('opens the admin address to the network when adminAllowRemote is set', () => {
    const result = parseConfig({ adminBind: '0.0.0.0', adminAllowRemote: true }, { dataDir: '/tmp/x' });
    expect(result.ok && result.config.adminBind).toBe('0.0.0.0');
  });

  it('accepts any loopback admin address without adminAllowRemote', () => {
    for (const adminBind of ['127.0.0.1', '127.0.0.2', '::1', 'localhost']) expect(parseConfig({ adminBind }, { dataDir: '/tmp/x' }).ok).toBe(true);
  });

  it('reads hearth.json from the data directory when no file is named', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'hearth.json'), JSON.stringify({ domain: 'family.example' }));
    const result = loadConfig({ dataDir: dir });
    expect(result.ok && result.config.domain).toBe('family.example');
    expect(result.ok && result.file).toBe(join(dir, 'hearth.json'));
  });

  it('says so when a named config file is missing', () => {
    const result = loadConfig({ file: '/nonexistent/hearth.json' });
    expect(result).toEqual({ ok: false, errors: ['config file /nonexistent/hearth.json does not exist'] });
  });

  it('uses XDG_DATA_HOME for the default data directory', () => {
    expect(defaultDataDir({ XDG_DATA_HOME: '/data/home' })).toBe('/data/home/hearth');
    expect(defaultDataDir({})).toMatch(/\.local\/share\/hearth$/);
  });
});
