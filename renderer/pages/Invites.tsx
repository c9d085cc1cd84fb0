// Invites: make an invitation link (for one person or a group, with a role, circles to join and
// whose contact they become), see each open one as a QR code to scan from this screen, and
// withdraw them. Invitations people made from their chat apps are listed too.
import { useId, useState, type FormEvent } from 'react';
import type { Circle, Invite, Role, User } from '../../server/control/contract';
import { capitalize, useAction, useApi, useEvent, useRequest } from '../src/api';
import { Alert, Button, CopyField, Dialog, Loading, PageTitle } from '../src/components';
import { formatDate } from '../src/format';
import { QrImage } from '../src/qr-image';

const roleChoices: Array<{ value: Role; label: string; hint: string }> = [
  { value: 'user', label: 'Everyday account', hint: 'chats with anyone, here and on other servers' },
  { value: 'limited', label: 'Limited (a child or a guest)', hint: 'chats only with people on this server and cannot invite anyone' },
  { value: 'admin', label: 'Admin', hint: 'can also look after Hearth and its users' },
];

export default function Invites() {
  const invites = useRequest('invites.list', {});
  const circles = useRequest('circles.list', {});
  const users = useRequest('users.list', {});
  // Someone used an invitation: the counts change.
  useEvent('users.changed', invites.reload);
  const [created, setCreated] = useState<string | undefined>();
  const [withdrawing, setWithdrawing] = useState<Invite | undefined>();
  const [notice, setNotice] = useState<string | undefined>();

  const list = invites.data ?? [];
  const open = list.filter((invite) => invite.usable);
  const finished = list.filter((invite) => !invite.usable);

  return (
    <>
      <PageTitle>Invites</PageTitle>
      <p className="lead">
        An invitation is a link. Whoever opens it on their phone gets an account here, with the people of the chosen circles already in their contacts. Show the QR
        code to someone sitting next to you, or send them the link.
      </p>
      <CreateInvite
        circles={circles.data ?? []}
        users={users.data ?? []}
        onCreated={(invite) => {
          setCreated(invite.id);
          setNotice(undefined);
          invites.reload();
        }}
      />

      <section className="section" aria-labelledby="open-heading">
        <div className="section-head">
          <h2 id="open-heading">Open invitations</h2>
          {invites.data && <span className="count">{open.length === 1 ? '1 invitation' : `${open.length} invitations`}</span>}
        </div>
        <div aria-live="polite">{notice && <Alert kind="success">{notice}</Alert>}</div>
        {invites.error && (
          <Alert kind="error" action={<Button variant="secondary" onClick={invites.reload}>Try again</Button>}>
            {invites.error}
          </Alert>
        )}
        {!invites.data && !invites.error && <Loading label="Loading the invitations…" />}
        {invites.data && open.length === 0 && <p className="empty">No open invitations. Make one above.</p>}
        <ul className="invite-list">
          {open.map((invite) => (
            <InviteCard key={invite.id} invite={invite} highlighted={invite.id === created} onWithdraw={() => setWithdrawing(invite)} />
          ))}
        </ul>
      </section>

      {finished.length > 0 && (
        <section className="section" aria-labelledby="finished-heading">
          <h2 id="finished-heading">Used or expired</h2>
          <p className="hint">These links no longer work. They disappear by themselves a day after they expire.</p>
          <ul className="invite-list invite-list-finished">
            {finished.map((invite) => (
              <InviteCard key={invite.id} invite={invite} highlighted={false} onWithdraw={() => setWithdrawing(invite)} />
            ))}
          </ul>
        </section>
      )}

      <WithdrawDialog
        invite={withdrawing}
        onClose={() => setWithdrawing(undefined)}
        onWithdrawn={(invite) => {
          setWithdrawing(undefined);
          setNotice(`${titleOf(invite)}: withdrawn. Its link no longer works.`);
          invites.reload();
        }}
      />
    </>
  );
}

function titleOf(invite: Invite): string {
  if (invite.label) return invite.label;
  if (invite.kind === 'contact') return `${invite.inviter ?? 'Someone'}'s invitation`;
  return invite.username ? `Invitation for ${invite.username}` : 'Invitation';
}

function describe(invite: Invite): string[] {
  const facts: string[] = [];
  if (invite.kind === 'contact') facts.push(`Made in ${invite.inviter ?? 'someone'}'s chat app: to become their contact, or make an account here`);
  else facts.push(roleChoices.find((r) => r.value === invite.role)?.label ?? invite.role);
  if (invite.username) facts.push(`for the user name ${invite.username}`);
  facts.push(invite.maxUses === 1 ? (invite.uses === 1 ? 'used' : 'for one person') : `${invite.uses} of ${invite.maxUses} used`);
  if (invite.circles.length > 0) facts.push(`joins ${invite.circles.map((c) => c.name).join(', ')}`);
  if (invite.kind === 'account' && invite.inviter) facts.push(`becomes ${invite.inviter}'s contact`);
  facts.push(invite.usable ? `valid until ${formatDate(invite.expiresAt)}` : invite.uses >= invite.maxUses ? 'used up' : `expired on ${formatDate(invite.expiresAt)}`);
  return facts;
}

function InviteCard({ invite, highlighted, onWithdraw }: { invite: Invite; highlighted: boolean; onWithdraw(): void }) {
  const id = useId();
  const title = titleOf(invite);
  return (
    <li className={`card invite-card${highlighted ? ' invite-card-new' : ''}`} aria-labelledby={`${id}-title`} data-testid="invite">
      {invite.usable && <QrImage text={invite.landingUrl} label={`QR code of the invitation link: ${title}`} testId="invite-qr" />}
      <div className="invite-details">
        <h3 id={`${id}-title`} className="invite-title">
          {title}
          {highlighted && <span className="badge">New</span>}
        </h3>
        <ul className="invite-facts">
          {describe(invite).map((fact) => (
            <li key={fact}>{fact}</li>
          ))}
        </ul>
        {invite.usable && <CopyField label="Link" value={invite.landingUrl} hint="Opened on a phone, it explains what to install and creates the account." />}
        <div className="actions">
          <Button variant={invite.usable ? 'danger' : 'secondary'} onClick={onWithdraw} aria-label={`${invite.usable ? 'Withdraw' : 'Remove'} ${title}`}>
            {invite.usable ? 'Withdraw' : 'Remove'}
          </Button>
        </div>
      </div>
    </li>
  );
}

function CreateInvite({ circles, users, onCreated }: { circles: Circle[]; users: User[]; onCreated(invite: Invite): void }) {
  const api = useApi();
  const action = useAction();
  const id = useId();
  const [label, setLabel] = useState('');
  const [role, setRole] = useState<Role>('user');
  const [chosen, setChosen] = useState<number[] | undefined>();
  const [inviter, setInviter] = useState('');
  const [uses, setUses] = useState('1');
  const [days, setDays] = useState('7');
  // Every circle is ticked until the admin changes the choice: a family invitation joins the family.
  const selected = chosen ?? circles.map((c) => c.id);
  const inviters = users.filter((u) => u.role !== 'limited');

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const count = Number(uses);
    const expiresInDays = Number(days);
    if (!Number.isInteger(count) || count < 1 || count > 100) return action.setError('Enter how many people may use it: a whole number from 1 to 100.');
    if (!Number.isInteger(expiresInDays) || expiresInDays < 1 || expiresInDays > 365) return action.setError('Enter for how many days it works: a whole number from 1 to 365.');
    const result = await action.run(() =>
      api.request('invites.create', {
        role,
        uses: count,
        expiresInDays,
        circles: selected,
        ...(label.trim() ? { label: label.trim() } : {}),
        ...(inviter ? { inviter } : {}),
      }),
    );
    if (!result) return;
    setLabel('');
    onCreated(result);
  };

  return (
    <section className="section card" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>Make an invitation</h2>
      <form onSubmit={submit} noValidate className="invite-form">
        <div className="form-row">
          <div className="field grow">
            <label htmlFor={`${id}-label`}>Who is it for? (optional)</label>
            <input id={`${id}-label`} value={label} onChange={(e) => setLabel(e.target.value)} maxLength={100} placeholder="for example Grandma" autoComplete="off" />
          </div>
          <div className="field">
            <label htmlFor={`${id}-role`}>Kind of account</label>
            <select id={`${id}-role`} value={role} onChange={(e) => setRole(e.target.value as Role)} aria-describedby={`${id}-role-hint`}>
              {roleChoices.map((choice) => (
                <option key={choice.value} value={choice.value}>
                  {choice.label}
                </option>
              ))}
            </select>
            <p className="hint" id={`${id}-role-hint`}>
              {roleChoices.find((r) => r.value === role)?.hint}.
            </p>
          </div>
        </div>
        {circles.length > 0 && (
          <fieldset className="choices compact">
            <legend>Circles to join</legend>
            {circles.map((circle) => (
              <label key={circle.id} className="choice-inline">
                <input
                  type="checkbox"
                  checked={selected.includes(circle.id)}
                  onChange={(e) => setChosen(e.target.checked ? [...selected, circle.id] : selected.filter((c) => c !== circle.id))}
                />
                {circle.name}
              </label>
            ))}
          </fieldset>
        )}
        <div className="form-row">
          <div className="field">
            <label htmlFor={`${id}-inviter`}>Also the contact of</label>
            <select id={`${id}-inviter`} value={inviter} onChange={(e) => setInviter(e.target.value)}>
              <option value="">nobody else</option>
              {inviters.map((user) => (
                <option key={user.username} value={user.username}>
                  {user.username}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={`${id}-uses`}>How many people</label>
            <input id={`${id}-uses`} type="number" inputMode="numeric" min={1} max={100} value={uses} onChange={(e) => setUses(e.target.value)} aria-describedby={`${id}-uses-hint`} />
            <p className="hint" id={`${id}-uses-hint`}>
              1 for one person; more for a link the whole family shares.
            </p>
          </div>
          <div className="field">
            <label htmlFor={`${id}-days`}>Valid for (days)</label>
            <input id={`${id}-days`} type="number" inputMode="numeric" min={1} max={365} value={days} onChange={(e) => setDays(e.target.value)} />
          </div>
        </div>
        {action.error && <Alert kind="error">{capitalize(action.error)}</Alert>}
        <div className="actions">
          <Button type="submit" pending={action.pending} pendingLabel="Making the invitation…">
            Make the invitation
          </Button>
        </div>
      </form>
    </section>
  );
}

function WithdrawDialog({ invite, onClose, onWithdrawn }: { invite: Invite | undefined; onClose(): void; onWithdrawn(invite: Invite): void }) {
  const api = useApi();
  const action = useAction();
  const close = () => {
    action.setError(undefined);
    onClose();
  };
  const withdraw = async () => {
    if (!invite) return;
    const result = await action.run(() => api.request('invites.revoke', { id: invite.id }));
    if (result) onWithdrawn(invite);
  };
  const title = invite ? titleOf(invite) : '';
  return (
    <Dialog open={invite !== undefined} title={invite?.usable ? `Withdraw ${title}?` : `Remove ${title}?`} onClose={close}>
      <p>{invite?.usable ? 'Its link and QR code stop working at once. Accounts already made with it stay.' : 'It is taken off the list.'}</p>
      {action.error && <Alert kind="error">{action.error}</Alert>}
      <div className="actions">
        <Button variant="secondary" onClick={close} autoFocus>
          Cancel
        </Button>
        <Button variant="danger" onClick={withdraw} pending={action.pending} pendingLabel="Withdrawing…">
          {invite?.usable ? 'Withdraw' : 'Remove'}
        </Button>
      </div>
    </Dialog>
  );
}
