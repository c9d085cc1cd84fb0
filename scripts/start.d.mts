// Types for scripts/start.mjs, for the tests.
export function desktopUnavailableReason(options?: {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  resolveElectron?: () => string;
  appEntry?: string;
}): string | undefined;
export function defaultResolveElectron(): string;
