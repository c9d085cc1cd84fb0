import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBootstrapPhase, parseKeywords } from '../../../../server/services/tor/bootstrap.js';
import { parseListenerPort, readControlPort, scrubAddresses } from '../../../../server/services/tor/tor-service.js';

describe("tor's bootstrap status", () => {
  it('reads the phase from GETINFO status/bootstrap-phase', () => {
    expect(parseBootstrapPhase('NOTICE BOOTSTRAP PROGRESS=0 TAG=starting SUMMARY="Starting"')).toEqual({ progress: 0, tag: 'starting', summary: 'Starting' });
  });

  it('reads the phase from a STATUS_CLIENT event', () => {
    expect(parseBootstrapPhase('STATUS_CLIENT NOTICE BOOTSTRAP PROGRESS=100 TAG=done SUMMARY="Done"')).toEqual({ progress: 100, tag: 'done', summary: 'Done' });
  });

  it('keeps the warning of a stuck bootstrap but not the relay address', () => {
    const phase = parseBootstrapPhase(
      'STATUS_CLIENT WARN BOOTSTRAP PROGRESS=5 TAG=conn SUMMARY="Connecting to a relay" WARNING="Connection refused" REASON=CONNECTREFUSED COUNT=3 RECOMMENDATION=ignore HOSTID="$AB" HOSTADDR="192.0.2.1:443"',
    );
    expect(phase).toEqual({ progress: 5, tag: 'conn', summary: 'Connecting to a relay', warning: 'Connection refused' });
  });

  it('ignores other status events', () => {
    expect(parseBootstrapPhase('STATUS_CLIENT NOTICE CIRCUIT_ESTABLISHED')).toBeUndefined();
    expect(parseBootstrapPhase('STATUS_CLIENT NOTICE ENOUGH_DIR_INFO')).toBeUndefined();
  });

  it('unescapes quoted values', () => {
    expect(parseKeywords('A=1 B="two \\"words\\"" C=')).toEqual({ A: '1', B: 'two "words"', C: '' });
  });
});

describe('what Hearth reads from tor', () => {
  it('takes the SOCKS port from GETINFO net/listeners/socks', () => {
    expect(parseListenerPort('"127.0.0.1:39051"')).toBe(39051);
    expect(parseListenerPort('"127.0.0.1:39051" "[::1]:39052"')).toBe(39051);
    expect(parseListenerPort('')).toBeUndefined();
  });

  it('takes the control port from the file tor writes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hearth-tor-port-'));
    writeFileSync(join(dir, 'control-port'), 'PORT=127.0.0.1:40261\n');
    expect(readControlPort(join(dir, 'control-port'))).toBe(40261);
    expect(readControlPort(join(dir, 'missing'))).toBeUndefined();
    rmSync(dir, { recursive: true });
  });

  it('keeps IP addresses out of what it logs', () => {
    expect(scrubAddresses('Problem bootstrapping. Stuck at 5% (conn): Connecting to a relay. (Connection refused; host ABCDEF at 192.0.2.7:9001)')).toBe(
      'Problem bootstrapping. Stuck at 5% (conn): Connecting to a relay. (Connection refused; host ABCDEF at [address])',
    );
    expect(scrubAddresses('could not reach [2001:db8::1]:443 or fe80::1')).toBe('could not reach [address] or [address]');
  });
});
