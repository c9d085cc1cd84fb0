// Shown in a browser without the admin token: the link `hearth serve` prints carries it in the
// URL fragment; without it, the admin pastes the link (or the token) here.
import { useId, useState, type FormEvent } from 'react';
import { Alert, Button, Logo, PageTitle } from '../src/components';

export function tokenFromInput(text: string): string | undefined {
  const trimmed = text.trim();
  const fromLink = /[#&]token=([^&\s]+)/.exec(trimmed)?.[1];
  const token = fromLink ? decodeURIComponent(fromLink) : trimmed;
  return /^[A-Za-z0-9_-]{20,}$/.test(token) ? token : undefined;
}

export default function SignIn({ onToken, reason }: { onToken(token: string): void; reason?: string }) {
  const id = useId();
  const [text, setText] = useState('');
  const [error, setError] = useState<string | undefined>();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const token = tokenFromInput(text);
    if (!token) return setError('That is not an admin link or token. Copy the whole link that Hearth printed.');
    setError(undefined);
    onToken(token);
  };
  return (
    <div className="setup">
      <header className="setup-header">
        <Logo />
        <span className="brand-name">Hearth</span>
      </header>
      <main className="setup-card" id="main">
        <PageTitle>Open the admin page</PageTitle>
        {reason && <Alert kind="warning">{reason}</Alert>}
        <p className="lead">
          When Hearth starts in a terminal it prints a link to this page that signs you in. Open that link, or paste it here. <code>hearth admin-link</code> prints it again.
        </p>
        <form onSubmit={submit} noValidate>
          <div className="field">
            <label htmlFor={id}>Admin link or token</label>
            <input
              id={id}
              value={text}
              onChange={(e) => setText(e.target.value)}
              autoComplete="off"
              spellCheck={false}
              className="mono"
              placeholder="http://127.0.0.1:5380/#token=…"
              aria-invalid={error ? true : undefined}
              aria-describedby={error ? `${id}-error` : undefined}
            />
            {error && (
              <p className="field-error" id={`${id}-error`} role="alert">
                {error}
              </p>
            )}
          </div>
          <div className="actions">
            <Button type="submit">Open</Button>
          </div>
        </form>
      </main>
    </div>
  );
}
