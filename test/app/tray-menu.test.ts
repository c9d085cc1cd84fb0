import { describe, expect, it } from 'vitest';
import type { ServerState } from '../../app/server-state.js';
import { serverAddress, torToggle, trayMenuModel, type TrayMenuItem } from '../../app/tray-menu.js';
import { status, tor } from './fixtures.js';

const app = { autostart: false, autostartAvailable: true };
const labels = (items: TrayMenuItem[]) => items.map((i) => (i.kind === 'separator' ? '---' : i.label));
const item = (items: TrayMenuItem[], label: string) => items.find((i) => i.kind !== 'separator' && i.label === label);

describe('trayMenuModel', () => {
  it('shows a running server with its counts and address, and offers to stop it', () => {
    const items = trayMenuModel({ phase: 'running', status: status() }, app);
    expect(labels(items)).toEqual([
      'Running: 2 of 4 people online',
      'Address: kitchen-pc',
      '---',
      'Open Hearth',
      'Copy server address',
      '---',
      'Stop server',
      'Tor onion service',
      'Start at login',
      '---',
      'Quit Hearth',
    ]);
    expect(item(items, 'Copy server address')).toMatchObject({ kind: 'action', action: 'copy-address', enabled: true });
    expect(item(items, 'Running: 2 of 4 people online')).toEqual({ kind: 'info', label: 'Running: 2 of 4 people online' });
  });

  it('offers to start a stopped server and cannot copy its address', () => {
    const items = trayMenuModel({ phase: 'stopped' }, app);
    expect(items[0]).toEqual({ kind: 'info', label: 'The server is stopped' });
    expect(item(items, 'Start server')).toMatchObject({ action: 'start-server', enabled: true });
    expect(item(items, 'Stop server')).toBeUndefined();
    expect(item(items, 'Copy server address')).toMatchObject({ enabled: false });
  });

  it('lets a starting server be stopped', () => {
    const items = trayMenuModel({ phase: 'starting' }, app);
    expect(items[0]).toMatchObject({ label: 'Hearth is starting…' });
    expect(item(items, 'Stop server')).toMatchObject({ action: 'stop-server', enabled: true });
  });

  it('disables starting while the server is stopping', () => {
    const items = trayMenuModel({ phase: 'stopping' }, app);
    expect(item(items, 'Start server')).toMatchObject({ enabled: false });
  });

  it('says when a crashed server starts again, and why it stopped', () => {
    const items = trayMenuModel({ phase: 'restarting', delayMs: 4000, error: 'The server stopped unexpectedly (exit code 1).' }, app);
    expect(labels(items).slice(0, 2)).toEqual(['The server stopped unexpectedly; trying again in 4 s', 'The server stopped unexpectedly (exit code 1).']);
    expect(item(items, 'Stop server')).toBeDefined();
  });

  it('shows a failed server with its error, shortened to one line, and offers to start it', () => {
    const error = `The configuration has problems: ports.c2s: Invalid input: expected number, received string\nmore`;
    const items = trayMenuModel({ phase: 'failed', error } satisfies ServerState, app);
    expect(items[0]).toMatchObject({ label: 'The server could not start' });
    expect((items[1] as { label: string }).label).toMatch(/^The configuration has problems: ports\.c2s: .{10,}…$/);
    expect((items[1] as { label: string }).label.length).toBe(70);
    expect(item(items, 'Start server')).toMatchObject({ enabled: true });
  });

  it('ticks "Start at login" when it is on', () => {
    expect(item(trayMenuModel({ phase: 'stopped' }, { autostart: true, autostartAvailable: true }, ), 'Start at login')).toEqual({
      kind: 'checkbox',
      action: 'toggle-autostart',
      label: 'Start at login',
      checked: true,
      enabled: true,
    });
  });

  it('disables "Start at login" where the platform has none', () => {
    expect(item(trayMenuModel({ phase: 'stopped' }, { autostart: false, autostartAvailable: false }), 'Start at login')).toMatchObject({ enabled: false });
  });

  it('warns about a certificate whose renewal failed or that expired, below the address', () => {
    const failed = trayMenuModel(
      { phase: 'running', status: status({ warnings: [{ id: 'certificate-renewal-failed', severity: 'warning', message: 'Renewing the certificate failed: port 80 is closed.' }] }) },
      app,
    );
    expect(labels(failed).slice(0, 3)).toEqual(['Running: 2 of 4 people online', 'Address: kitchen-pc', 'Certificate renewal failed: open Hearth']);
    const expired = trayMenuModel(
      {
        phase: 'running',
        status: status({
          warnings: [
            { id: 'certificate-renewal-failed', severity: 'warning', message: 'failed' },
            { id: 'certificate-expired', severity: 'warning', message: 'expired' },
          ],
        }),
      },
      app,
    );
    expect(labels(expired)[2]).toBe('Certificate expired: open Hearth to renew it');
    expect(labels(trayMenuModel({ phase: 'running', status: status({ warnings: [{ id: 'self-signed-certificate', severity: 'warning', message: 'self-signed' }] }) }, app))[2]).toBe('---');
  });

  it('says "1 person" for a single account', () => {
    expect(trayMenuModel({ phase: 'running', status: status({ registeredUsers: 1, onlineUsers: 0 }) }, app)[0]).toMatchObject({ label: 'Running: 0 of 1 person online' });
  });

  it('ticks "Tor onion service" while Tor is on, and offers to switch it', () => {
    const on = trayMenuModel({ phase: 'running', status: status({ tor: tor({ enabled: true, state: 'running' }) }) }, app);
    expect(item(on, 'Tor onion service')).toEqual({ kind: 'checkbox', action: 'toggle-tor', label: 'Tor onion service', checked: true, enabled: true });
    expect(torToggle({ phase: 'running', status: status({ tor: tor({ enabled: true, state: 'running' }) }) })).toEqual({ enabled: false });

    const off = trayMenuModel({ phase: 'running', status: status({ tor: tor() }) }, app);
    expect(item(off, 'Tor onion service')).toMatchObject({ checked: false, enabled: true });
    expect(torToggle({ phase: 'running', status: status({ tor: tor() }) })).toEqual({ enabled: true });
  });

  it('disables "Tor onion service" while the server is not running or Tor is stopping', () => {
    expect(item(trayMenuModel({ phase: 'stopped' }, app), 'Tor onion service')).toMatchObject({ checked: false, enabled: false });
    const stopping = { phase: 'running' as const, status: status({ tor: tor({ enabled: false, state: 'stopping' }) }) };
    expect(item(trayMenuModel(stopping, app), 'Tor onion service')).toMatchObject({ enabled: false });
    expect(torToggle(stopping)).toBeUndefined();
    expect(torToggle({ phase: 'starting' })).toBeUndefined();
  });

  it('gives the domain as the address to copy only while running', () => {
    expect(serverAddress({ phase: 'running', status: status() })).toBe('kitchen-pc');
    expect(serverAddress({ phase: 'stopped' })).toBeUndefined();
  });
});
