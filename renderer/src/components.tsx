// Small building blocks shared by the pages: alerts, loading, copy, secrets shown once, dialogs.
import { useEffect, useId, useRef, useState, type ButtonHTMLAttributes, type ReactNode } from 'react';

type AlertKind = 'error' | 'warning' | 'info' | 'success';

/** Errors interrupt (role=alert); everything else is announced politely (role=status). */
export function Alert({ kind, title, children, action }: { kind: AlertKind; title?: string; children: ReactNode; action?: ReactNode }) {
  return (
    <div className={`alert alert-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      <span className="alert-icon" aria-hidden="true">
        {kind === 'error' ? '!' : kind === 'warning' ? '!' : kind === 'success' ? '✓' : 'i'}
      </span>
      <div className="alert-body">
        {title && <strong className="alert-title">{title}</strong>}
        <div>{children}</div>
        {action && <div className="alert-action">{action}</div>}
      </div>
    </div>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="loading" role="status">
      <span className="spinner" aria-hidden="true" />
      <span>{label}</span>
    </div>
  );
}

/** A button that shows its own progress while `pending`. */
export function Button({
  pending,
  pendingLabel,
  variant = 'primary',
  children,
  ...rest
}: ButtonHTMLAttributes<HTMLButtonElement> & { pending?: boolean; pendingLabel?: string; variant?: 'primary' | 'secondary' | 'danger' | 'quiet' }) {
  return (
    <button {...rest} className={`button button-${variant} ${rest.className ?? ''}`} disabled={rest.disabled || pending} aria-busy={pending || undefined}>
      {pending && <span className="spinner spinner-small" aria-hidden="true" />}
      {pending ? (pendingLabel ?? children) : children}
    </button>
  );
}

async function copyText(text: string, fallbackSource: HTMLInputElement | null): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Older browsers or no permission: select the text so Ctrl+C works, and try the old way.
    if (!fallbackSource) return false;
    fallbackSource.select();
    return document.execCommand('copy');
  }
}

export function CopyButton({ text, label = 'Copy', what, source }: { text: string; label?: string; what?: string; source?: () => HTMLInputElement | null }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const timer = setTimeout(() => setState('idle'), 2500);
    return () => clearTimeout(timer);
  }, [state]);
  return (
    <>
      <button type="button" className="button button-secondary" aria-label={what ? `${label} ${what}` : undefined} onClick={async () => setState((await copyText(text, source?.() ?? null)) ? 'copied' : 'failed')}>
        {state === 'copied' ? 'Copied ✓' : label}
      </button>
      <span className="visually-hidden" aria-live="polite">
        {state === 'copied' ? 'Copied to the clipboard' : state === 'failed' ? 'Could not copy: select the text and copy it by hand' : ''}
      </span>
    </>
  );
}

/** A value worth copying (an address, a password), in a read-only field with a copy button. */
export function CopyField({ label, value, hint, secret }: { label: string; value: string; hint?: ReactNode; secret?: boolean }) {
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <div className="copy-row">
        <input
          id={id}
          ref={input}
          className={`copy-value${secret ? ' secret-value' : ''}`}
          readOnly
          value={value}
          spellCheck={false}
          aria-describedby={hint ? `${id}-hint` : undefined}
          onFocus={(e) => e.currentTarget.select()}
        />
        <CopyButton text={value} what={label.toLowerCase()} source={() => input.current} />
      </div>
      {hint && (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
    </div>
  );
}

/** A modal dialog on the native <dialog>: focus stays inside, Escape closes it, focus returns after. */
export function Dialog({ open, title, onClose, children, describedBy }: { open: boolean; title: string; onClose(): void; children: ReactNode; describedBy?: string }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      const previous = document.activeElement as HTMLElement | null;
      dialog.showModal();
      return () => previous?.focus();
    }
    if (!open && dialog.open) dialog.close();
    return undefined;
  }, [open]);
  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby={titleId}
      aria-describedby={describedBy}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      {open && (
        <>
          <h2 id={titleId} className="dialog-title">
            {title}
          </h2>
          {children}
        </>
      )}
    </dialog>
  );
}

/** The page's heading; it takes focus when the page opens, so screen readers announce it. */
export function PageTitle({ children, focus = true }: { children: ReactNode; focus?: boolean }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (focus) ref.current?.focus({ preventScroll: true });
  }, [focus]);
  return (
    <h1 ref={ref} tabIndex={-1} className="page-title">
      {children}
    </h1>
  );
}

export function Logo() {
  return (
    <svg className="logo" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
      <rect width="32" height="32" rx="7" className="logo-back" />
      <path d="M16 5c1 4 6 7 6 13a6 6 0 0 1-12 0c0-3 2-5 3-6 0 2 1 3 2 3 0-4-1-7 1-10z" className="logo-flame" />
    </svg>
  );
}
