// Status values as the server worker reports them (contract.ts), for app/ tests.
import type { Status, TorStatus } from '../../server/control/contract.js';

export function status(overrides: Partial<Status> = {}): Status {
  return {
    version: '0.1.0',
    domain: 'kitchen-pc',
    uptimeSeconds: 12,
    listeners: [{ name: 'c2s', address: '0.0.0.0', port: 5222 }],
    registeredUsers: 4,
    onlineUsers: 2,
    sessions: 3,
    lanAddresses: ['192.168.1.20'],
    certificate: { selfSigned: true },
    setupNeeded: false,
    restartRequired: false,
    canRestart: true,
    warnings: [],
    ...overrides,
  };
}

export function tor(overrides: Partial<TorStatus> = {}): TorStatus {
  return { enabled: false, state: 'off', running: false, bootstrapped: false, restarts: 0, advertise: false, federation: 'onions', ...overrides };
}
