// What `import 'electron'` gives in tests unless the test replaces it (vitest.config.ts aliases
// the module here). The real package would try to download the Electron binary from the
// internet when it is missing; tests must never do that. Use
// `vi.mock('electron', () => import('../app/fake-electron.js'))` (path relative to the test).
throw new Error("The electron module is not available in tests: replace it with vi.mock('electron', () => import('…/test/app/fake-electron.js'))");
