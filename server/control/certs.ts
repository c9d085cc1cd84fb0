// The control API's certificate requests (contract.ts: certs.*): status, a new self-signed
// certificate, import, and ACME requests with their progress as `certs` events. The service
// itself is server/services/certs/certificate-service.ts.
import type { Output } from '../util/schema.js';
import type { CertificateService } from '../services/certs/certificate-service.js';
import type { ControlResult, RequestResults, requestSchemas } from './contract.js';
import type { ControlEventHub } from './event-hub.js';

type CertsRequest = 'certs.status' | 'certs.selfSigned' | 'certs.import' | 'certs.acme.request' | 'certs.acme.cancel';
type CertsHandlers = {
  [N in CertsRequest]: (input: Output<(typeof requestSchemas)[N]>) => ControlResult<RequestResults[N]> | Promise<ControlResult<RequestResults[N]>>;
};

const ok = <T>(value: T): ControlResult<T> => ({ ok: true, value });
const unavailable = { ok: false as const, error: 'this Hearth runs without its certificates service' };

export function certsHandlers(certs: CertificateService | undefined): CertsHandlers {
  return {
    'certs.status': () => (certs ? ok(certs.status()) : unavailable),

    'certs.selfSigned': async () => {
      if (!certs) return unavailable;
      const result = await certs.regenerateSelfSigned();
      return result.ok ? ok(certs.status()) : result;
    },

    'certs.import': ({ certificate, key, chain }) => {
      if (!certs) return unavailable;
      const result = certs.importBundle({ certificate, key, chain });
      return result.ok ? ok({ ...certs.status(), notes: result.notes }) : result;
    },

    'certs.acme.request': ({ directoryUrl, challenge, email, names }) => {
      if (!certs) return unavailable;
      const result = certs.requestAcme({ directoryUrl, challenge, email, names });
      return result.ok ? ok(certs.status()) : result;
    },

    'certs.acme.cancel': () => {
      if (!certs) return unavailable;
      const result = certs.cancelAcme();
      return result.ok ? ok(certs.status()) : result;
    },
  };
}

/** The certificate's changes as `certs` events, and in the status (tray, dashboard). Returns the unsubscribe. */
export function forwardCertificateEvents(certs: CertificateService | undefined, hub: ControlEventHub): () => void {
  if (!certs) return () => {};
  return certs.onChange(() => {
    hub.emit('certs', certs.status());
    hub.changed();
  });
}
