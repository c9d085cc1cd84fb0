// The Privacy page: exactly what Hearth keeps about the people who use it, where and for how long,
// worked out by the server from its running settings (privacy.facts, the same facts as the public
// /privacy page). While debug logging is on it says so first; it also shows how many failed
// sign-ins and new-account addresses the throttles hold in memory right now (counts only).
import { useId } from 'react';
import type { PrivacyFact, PrivacyFacts } from '../../server/control/contract';
import { useRequest } from '../src/api';
import { Alert, Button, Loading, PageTitle } from '../src/components';

/** Where, after how long ("Not kept" says it all for 'nowhere'). */
const placeText: Record<Exclude<PrivacyFact['where'], 'nowhere'>, string> = {
  disk: 'Stored on this computer',
  memory: 'In memory only',
  output: 'In Hearth’s output',
};

export default function Privacy() {
  const facts = useRequest('privacy.facts', {});

  if (!facts.data) {
    return (
      <>
        <PageTitle>Privacy</PageTitle>
        {facts.error ? (
          <Alert kind="error" action={<Button variant="secondary" onClick={facts.reload}>Try again</Button>}>
            {facts.error}
          </Alert>
        ) : (
          <Loading label="Asking Hearth what it keeps…" />
        )}
      </>
    );
  }
  const data = facts.data;
  return (
    <>
      <PageTitle>Privacy</PageTitle>
      <p className="lead">
        What Hearth keeps about the people on <span className="mono">{data.domain}</span>, where and for how long, from the settings it runs with now.
        Everyone can read the same list at{' '}
        {data.statementUrl ? (
          <a href={data.statementUrl} target="_blank" rel="noreferrer">
            {data.statementUrl}
          </a>
        ) : (
          <span className="mono">/privacy</span>
        )}
        .
      </p>
      {data.debugLogging && (
        <Alert kind="warning" title="Debug logging is on">
          The log can hold message content and other people’s addresses while <span className="mono">log.level</span> is debug. Set the log level back
          to info on the Settings page when you are done.
        </Alert>
      )}
      <Kept facts={data} />
      <NotKept facts={data} />
      {data.now && <HeldNow now={data.now} />}
      <button type="button" className="button button-quiet" onClick={facts.reload}>
        Check again
      </button>
    </>
  );
}

function Kept({ facts }: { facts: PrivacyFacts }) {
  const id = useId();
  return (
    <section className="section" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>What is kept</h2>
      <ul className="privacy-facts">
        {facts.kept.map((fact) => (
          <li key={fact.id} className="card privacy-fact" data-testid={`privacy-${fact.id}`} aria-labelledby={`${id}-${fact.id}`}>
            <h3 id={`${id}-${fact.id}`} className="privacy-fact-title">
              {fact.title}
            </h3>
            <p className="privacy-fact-kept">
              <strong data-testid={`privacy-${fact.id}-kept`}>{fact.kept}</strong>
              {fact.where !== 'nowhere' && ` · ${placeText[fact.where]}`}
            </p>
            <p>{fact.details}</p>
            {fact.settings.length > 0 && (
              <p className="hint">
                Set by{' '}
                {fact.settings.map((key, index) => (
                  <span key={key}>
                    {index > 0 && ', '}
                    <span className="mono">{key}</span>
                  </span>
                ))}
              </p>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

function NotKept({ facts }: { facts: PrivacyFacts }) {
  const id = useId();
  return (
    <section className="section" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>What is never kept</h2>
      <ul>
        {facts.notKept.map((item) => (
          <li key={item.id}>{item.text}</li>
        ))}
      </ul>
    </section>
  );
}

function HeldNow({ now }: { now: NonNullable<PrivacyFacts['now']> }) {
  const id = useId();
  const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  return (
    <section className="section" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>In memory right now</h2>
      <p data-testid="privacy-now">
        Failed sign-ins from {count(now.failedSignInAddresses, 'address', 'addresses')} on {count(now.failedSignInAccounts, 'account', 'accounts')};{' '}
        {count(now.newAccountAddresses, 'address', 'addresses')} that made an account in the last hour. These are forgotten on time, and when Hearth
        stops.
      </p>
    </section>
  );
}
