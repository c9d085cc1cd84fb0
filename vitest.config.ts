import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // *.test.tsx are React component tests (test/renderer), each asking for jsdom itself.
    include: ['test/**/*.test.{ts,tsx}'],
    globalSetup: ['test/support/global-setup.ts'],
    // Integration tests start real servers on ephemeral loopback ports; two cores are the budget.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Never the real `electron` package: without its binary it downloads one. Tests that need it
    // replace it with vi.mock (test/app/fake-electron.ts).
    alias: { electron: new URL('./test/support/electron-unavailable.ts', import.meta.url).pathname },
  },
});
