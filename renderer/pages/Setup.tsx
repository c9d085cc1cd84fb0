// The first-run setup wizard: where people connect from (the domain), the admin account, and
// how to connect a phone. Shown until an admin account exists.
import { useEffect, useId, useState, type FormEvent, type ReactNode } from 'react';
import type { SetupStatus, Status, User } from '../../server/control/contract';
import { capitalize, useApi, useRequest } from '../src/api';
import { Alert, Button, CopyField, Loading, Logo, PageTitle } from '../src/components';
import { ConnectSteps } from '../src/connect-steps';

type Step = 'where' | 'admin' | 'done';
const stepNames: Record<Step, string> = { where: 'Server name', admin: 'Your account', done: 'Connect' };
const steps: Step[] = ['where', 'admin', 'done'];
/** The household circle's name when the admin keeps the suggestion (the server's default too). */
const defaultHousehold = 'Family';

interface Created {
  user: User;
  domain: string;
  generatedPassword?: string;
  restartRequired: boolean;
}

export default function Setup({ onDone }: { onDone(): void }) {
  const setup = useRequest('setup.status', {});
  const [step, setStep] = useState<Step>('where');
  const [reach, setReach] = useState<'home' | 'internet'>('home');
  const [domain, setDomain] = useState<string | undefined>();
  const [domainError, setDomainError] = useState<string | undefined>();
  const [created, setCreated] = useState<Created | undefined>();

  if (!setup.data) {
    return (
      <SetupFrame step={step}>
        {setup.error ? (
          <Alert kind="error" title="Hearth did not answer" action={<Button variant="secondary" onClick={setup.reload}>Try again</Button>}>
            {setup.error}
          </Alert>
        ) : (
          <Loading label="Getting ready…" />
        )}
      </SetupFrame>
    );
  }
  const status = setup.data;
  const chosenDomain = domain ?? (reach === 'home' ? status.domain : '');

  return (
    <SetupFrame step={step}>
      {step === 'where' && (
        <WhereStep
          status={status}
          reach={reach}
          onReach={(value) => {
            setReach(value);
            setDomain(undefined);
          }}
          domain={chosenDomain}
          onDomain={setDomain}
          error={domainError}
          onNext={() => {
            if (chosenDomain.trim() === '') {
              setDomainError('Enter a domain name.');
              return;
            }
            setDomainError(undefined);
            setStep('admin');
          }}
        />
      )}
      {step === 'admin' && (
        <AdminStep
          domain={chosenDomain.trim()}
          onBack={() => setStep('where')}
          onDomainError={(message) => {
            setDomainError(message);
            setStep('where');
          }}
          onCreated={(result) => {
            setCreated(result);
            setStep('done');
          }}
        />
      )}
      {step === 'done' && created && <DoneStep created={created} onDone={onDone} />}
    </SetupFrame>
  );
}

function SetupFrame({ step, children }: { step: Step; children: ReactNode }) {
  const index = steps.indexOf(step);
  return (
    <div className="setup">
      <header className="setup-header">
        <Logo />
        <span className="brand-name">Hearth</span>
      </header>
      <main className="setup-card" id="main">
        <ol className="steps" aria-label="Setup progress">
          {steps.map((s, i) => (
            <li key={s} className={i < index ? 'step-done' : i === index ? 'step-current' : ''} aria-current={i === index ? 'step' : undefined}>
              <span className="step-number" aria-hidden="true">
                {i < index ? '✓' : i + 1}
              </span>
              <span className="step-name">
                {stepNames[s]}
                {i < index && <span className="visually-hidden"> (done)</span>}
              </span>
            </li>
          ))}
        </ol>
        {children}
      </main>
    </div>
  );
}

function WhereStep(props: {
  status: SetupStatus;
  reach: 'home' | 'internet';
  onReach(value: 'home' | 'internet'): void;
  domain: string;
  onDomain(value: string): void;
  error: string | undefined;
  onNext(): void;
}) {
  const { status, reach, domain, error } = props;
  const id = useId();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    props.onNext();
  };
  return (
    <form onSubmit={submit} noValidate>
      <PageTitle>Welcome to Hearth</PageTitle>
      <p className="lead">Hearth is your family's own chat server. First, decide where people will chat from.</p>
      <fieldset className="choices">
        <legend>Who will connect, and from where?</legend>
        <label className={`choice${reach === 'home' ? ' choice-selected' : ''}`}>
          <input type="radio" name="reach" value="home" checked={reach === 'home'} onChange={() => props.onReach('home')} />
          <span>
            <strong>Only at home</strong>
            <span className="choice-text">
              Phones and computers connect while they are on your home network (Wi-Fi). Nothing can be reached from the internet. The simplest choice: no domain name needed.
            </span>
          </span>
        </label>
        <label className={`choice${reach === 'internet' ? ' choice-selected' : ''}`}>
          <input type="radio" name="reach" value="internet" checked={reach === 'internet'} onChange={() => props.onReach('internet')} />
          <span>
            <strong>From anywhere, over the internet</strong>
            <span className="choice-text">
              Family members can chat away from home too. You need a domain name you control (for example chat.smith.family) that points to your home's internet address, and your router must pass port 5222 to this computer.
            </span>
          </span>
        </label>
      </fieldset>
      <div className="field">
        <label htmlFor={id}>{reach === 'home' ? 'Server name' : 'Domain name'}</label>
        <input
          id={id}
          name="domain"
          value={domain}
          onChange={(e) => props.onDomain(e.target.value)}
          placeholder={reach === 'home' ? status.hostname : 'chat.example.org'}
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          aria-invalid={error ? true : undefined}
          aria-describedby={`${id}-hint${error ? ` ${id}-error` : ''}`}
        />
        <p className="hint" id={`${id}-hint`}>
          {reach === 'home'
            ? status.domain === status.hostname
              ? "That is this computer's name; keeping it is usually right."
              : `This computer is called "${status.hostname}".`
            : 'Type the domain exactly as it is set up with your domain provider.'}{' '}
          It becomes part of everyone's address (<span className="mono">name@{domain.trim() || '…'}</span>) and cannot be changed after setup.
        </p>
        {error && (
          <p className="field-error" id={`${id}-error`} role="alert">
            {error}
          </p>
        )}
      </div>
      {status.registeredUsers > 0 && (
        <Alert kind="info">
          {status.registeredUsers === 1 ? 'One account already exists' : `${status.registeredUsers} accounts already exist`}; they keep working.
        </Alert>
      )}
      <div className="actions">
        <Button type="submit">Next</Button>
      </div>
    </form>
  );
}

function AdminStep({ domain, onBack, onCreated, onDomainError }: { domain: string; onBack(): void; onCreated(created: Created): void; onDomainError(message: string): void }) {
  const api = useApi();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const id = useId();
  const [username, setUsername] = useState('');
  const [own, setOwn] = useState(false);
  const [password, setPassword] = useState('');
  const [show, setShow] = useState(false);
  const [household, setHousehold] = useState(defaultHousehold);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setPending(true);
    setError(undefined);
    const result = await api.request('setup.complete', { domain, username, ...(own ? { password } : {}), ...(household.trim() && household.trim() !== defaultHousehold ? { household: household.trim() } : {}) });
    setPending(false);
    if (result.ok) onCreated(result.value);
    // A bad domain is fixed on the first step.
    else if (/domain/i.test(result.error)) onDomainError(capitalize(result.error));
    else setError(capitalize(result.error));
  };

  return (
    <form onSubmit={submit} noValidate aria-describedby={error ? `${id}-error` : undefined}>
      <PageTitle>Your admin account</PageTitle>
      <p className="lead">This account is yours: you chat with it like everyone else, and you can look after Hearth.</p>
      <div className="field">
        <label htmlFor={`${id}-name`}>Your user name</label>
        <input
          id={`${id}-name`}
          name="username"
          value={username}
          onChange={(e) => setUsername(e.target.value)}
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          placeholder="for example mum"
          aria-describedby={`${id}-name-hint`}
        />
        <p className="hint" id={`${id}-name-hint`}>
          Your address will be <span className="mono">{(username.trim() || 'name').toLowerCase()}@{domain}</span>.
        </p>
      </div>
      <div className="field">
        <label htmlFor={`${id}-household`}>Your household's name</label>
        <input
          id={`${id}-household`}
          name="household"
          value={household}
          onChange={(e) => setHousehold(e.target.value)}
          maxLength={64}
          autoComplete="off"
          aria-describedby={`${id}-household-hint`}
        />
        <p className="hint" id={`${id}-household-hint`}>
          The family's circle: everyone in it has the others in their contacts, and it has a group chat. You can make more circles later.
        </p>
      </div>
      <fieldset className="choices compact">
        <legend>Password</legend>
        <label className="choice-inline">
          <input type="radio" name="password-choice" checked={!own} onChange={() => setOwn(false)} />
          Make a strong password for me (recommended)
        </label>
        <label className="choice-inline">
          <input type="radio" name="password-choice" checked={own} onChange={() => setOwn(true)} />
          I will choose my own
        </label>
      </fieldset>
      {own && (
        <div className="field">
          <label htmlFor={`${id}-password`}>Your password</label>
          <input
            id={`${id}-password`}
            name="password"
            type={show ? 'text' : 'password'}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            autoComplete="new-password"
            aria-describedby={`${id}-password-hint`}
          />
          <p className="hint" id={`${id}-password-hint`}>
            At least 8 characters; longer is better.
          </p>
          <label className="choice-inline">
            <input type="checkbox" checked={show} onChange={(e) => setShow(e.target.checked)} /> Show the password
          </label>
        </div>
      )}
      {error && (
        <div id={`${id}-error`}>
          <Alert kind="error">{error}</Alert>
        </div>
      )}
      <div className="actions">
        <Button type="button" variant="secondary" onClick={onBack}>
          Back
        </Button>
        <Button type="submit" pending={pending} pendingLabel="Creating your account…">
          Create my account
        </Button>
      </div>
    </form>
  );
}

function DoneStep({ created, onDone }: { created: Created; onDone(): void }) {
  const api = useApi();
  const [status, setStatus] = useState<Status | undefined>();
  const [restart, setRestart] = useState<'idle' | 'restarting' | 'done' | 'manual' | { error: string }>('idle');

  useEffect(() => {
    let active = true;
    void (async () => {
      const current = await api.request('status', {});
      if (!active) return;
      if (current.ok) setStatus(current.value);
      if (!created.restartRequired) return;
      if (!current.ok || !current.value.canRestart) {
        setRestart('manual');
        return;
      }
      setRestart('restarting');
      const asked = await api.request('server.restart', {});
      if (!asked.ok) {
        if (active) setRestart({ error: asked.error });
        return;
      }
      // Wait for Hearth to come back with the new domain.
      const deadline = Date.now() + 60_000;
      while (active && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 700));
        const next = await api.request('status', {});
        if (next.ok && next.value.domain === created.domain) {
          if (active) {
            setStatus(next.value);
            setRestart('done');
          }
          return;
        }
      }
      if (active) setRestart({ error: 'Hearth did not come back within a minute. Check that it is still running.' });
    })();
    return () => {
      active = false;
    };
  }, [api, created]);

  return (
    <div>
      <PageTitle>You're done!</PageTitle>
      {restart === 'restarting' && <Loading label="Restarting Hearth with the new server name… this takes a few seconds." />}
      {restart === 'done' && <Alert kind="success">Hearth restarted and now answers as {created.domain}.</Alert>}
      {restart === 'manual' && (
        <Alert kind="warning" title="Restart Hearth">
          The new server name takes effect when Hearth starts again: stop it and start it once more.
        </Alert>
      )}
      {typeof restart === 'object' && <Alert kind="error">{capitalize(restart.error)}</Alert>}
      <p className="lead">Hearth is ready. Here is your account; connect your phone to it now.</p>
      <CopyField label="Your address" value={created.user.jid} />
      {created.generatedPassword && (
        <CopyField
          label="Your password"
          value={created.generatedPassword}
          secret
          hint={<strong>Shown only this once. Copy it into your phone's chat app or a password manager now.</strong>}
        />
      )}
      <section aria-labelledby="connect-heading" className="section">
        <h2 id="connect-heading">Connect a phone</h2>
        <ConnectSteps domain={created.domain} jid={created.user.jid} status={status} />
      </section>
      <div className="actions">
        <Button onClick={onDone} disabled={restart === 'restarting'}>
          Open the dashboard
        </Button>
      </div>
    </div>
  );
}
