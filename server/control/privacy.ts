// The control API's privacy request (contract.ts: privacy.facts): what Hearth keeps and for how
// long, from the running settings (services/privacy/retention-facts.ts), with what the sign-in
// and registration throttles hold in memory at this moment — counts only, never the addresses.
import type { Output } from '../util/schema.js';
import type { Config } from '../config/schema.js';
import { retentionFacts, type PrivacyNow } from '../services/privacy/retention-facts.js';
import type { ControlResult, RequestResults, requestSchemas } from './contract.js';

type PrivacyHandlers = {
  'privacy.facts': (input: Output<(typeof requestSchemas)['privacy.facts']>) => ControlResult<RequestResults['privacy.facts']>;
};

export interface PrivacyControlContext {
  config: Config;
  /** What the throttles hold now; absent where the server runs without them. */
  held?: (() => PrivacyNow) | undefined;
  /** Where the public statement is (modules/privacy-statement.ts on the HTTPS listener). */
  statementUrl?: (() => string) | undefined;
}

export function privacyHandlers(context: PrivacyControlContext): PrivacyHandlers {
  return {
    'privacy.facts': () => {
      const facts = retentionFacts(context.config, context.held?.());
      const statementUrl = context.statementUrl?.();
      return { ok: true, value: statementUrl === undefined ? facts : { ...facts, statementUrl } };
    },
  };
}
