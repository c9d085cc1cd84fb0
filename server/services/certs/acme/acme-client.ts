// acme-client, loaded the first time Hearth talks to a certificate authority. With axios,
// node-forge and @peculiar/x509 it is hundreds of files and about 4.5 MiB of heap that a server
// on a self-signed or imported certificate never uses, and that a Raspberry Pi would otherwise
// carry from start to stop (issue 12). Only the types are imported statically.
import type * as AcmeClient from 'acme-client';

export type { AcmeClient };
type AcmeModule = typeof AcmeClient;

let loading: Promise<AcmeModule> | undefined;

export function loadAcmeClient(): Promise<AcmeModule> {
  loading ??= import('acme-client').then((loaded) => {
    // A CommonJS package: its module.exports is the default export.
    const acme = (loaded as unknown as { default: AcmeModule }).default;
    // acme-client's shared HTTP client: never wait forever for an authority, and do not retry an
    // unreachable one for minutes (its default is 5 tries, 5 s apart and growing).
    const defaults = acme.axios.defaults as { timeout?: number; acmeSettings?: { retryMaxAttempts: number; retryDefaultDelay: number } };
    defaults.timeout = 30_000;
    defaults.acmeSettings!.retryMaxAttempts = 2;
    defaults.acmeSettings!.retryDefaultDelay = 2;
    return acme;
  });
  // A failed load (a broken installation) is tried again next time rather than remembered.
  loading.catch(() => (loading = undefined));
  return loading;
}
