// Users: everyone with an account, add someone (with a strong password shown once), reset a
// password, change a role, remove someone after a confirmation.
import { useId, useState, type FormEvent } from 'react';
import type { Role, User } from '../../server/control/contract';
import { capitalize, useAction, useApi, useEvent, useRequest } from '../src/api';
import { Alert, Button, CopyField, Dialog, Loading, PageTitle } from '../src/components';

const roleLabels: Record<Role, string> = { admin: 'Admin', user: 'User', limited: 'Limited' };
const roleHints: Record<Role, string> = {
  admin: 'can look after Hearth and its users',
  user: 'an everyday account',
  limited: "a child's or a guest's account: chats only with people on this server, cannot invite anyone",
};

export default function Users() {
  const users = useRequest('users.list', {});
  useEvent('users.changed', users.reload);
  const [notice, setNotice] = useState<{ kind: 'success' | 'error'; text: string } | undefined>();
  const [removing, setRemoving] = useState<User | undefined>();
  const [resetting, setResetting] = useState<User | undefined>();

  return (
    <>
      <PageTitle>Users</PageTitle>
      <AddUser onAdded={users.reload} />

      <section aria-labelledby="list-heading" className="section">
        <div className="section-head">
          <h2 id="list-heading">Everyone on this server</h2>
          {users.data && <span className="count">{users.data.length === 1 ? '1 account' : `${users.data.length} accounts`}</span>}
        </div>
        <div aria-live="polite">{notice && <Alert kind={notice.kind}>{notice.text}</Alert>}</div>
        {users.error && (
          <Alert kind="error" action={<Button variant="secondary" onClick={users.reload}>Try again</Button>}>
            {users.error}
          </Alert>
        )}
        {!users.data && !users.error && <Loading label="Loading the users…" />}
        {users.data && users.data.length === 0 && <p className="empty">No accounts yet. Add the first one above.</p>}
        {users.data && users.data.length > 0 && (
          <table className="users-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Role</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {users.data.map((user) => (
                <UserRow
                  key={user.username}
                  user={user}
                  onNotice={setNotice}
                  onChanged={users.reload}
                  onRemove={() => setRemoving(user)}
                  onReset={() => setResetting(user)}
                />
              ))}
            </tbody>
          </table>
        )}
      </section>

      <RemoveDialog
        user={removing}
        onClose={() => setRemoving(undefined)}
        onRemoved={(user) => {
          setRemoving(undefined);
          setNotice({ kind: 'success', text: `${user.jid} was removed.` });
          users.reload();
        }}
      />
      <ResetDialog user={resetting} onClose={() => setResetting(undefined)} />
    </>
  );
}

function UserRow({
  user,
  onNotice,
  onChanged,
  onRemove,
  onReset,
}: {
  user: User;
  onNotice(notice: { kind: 'success' | 'error'; text: string }): void;
  onChanged(): void;
  onRemove(): void;
  onReset(): void;
}) {
  const api = useApi();
  const [pending, setPending] = useState(false);
  const id = useId();
  const changeRole = async (role: Role) => {
    setPending(true);
    const result = await api.request('users.setRole', { username: user.username, role });
    setPending(false);
    if (result.ok) onNotice({ kind: 'success', text: `${user.username} is now ${roleLabels[role].toLowerCase()}.` });
    else onNotice({ kind: 'error', text: capitalize(result.error) });
    onChanged();
  };
  return (
    <tr>
      <td data-label="Name">
        <span className="user-name">{user.username}</span>
        <span className="user-jid mono">{user.jid}</span>
      </td>
      <td data-label="Role">
        <label htmlFor={id} className="visually-hidden">
          Role of {user.username}
        </label>
        <select id={id} value={user.role} disabled={pending} onChange={(e) => void changeRole(e.target.value as Role)}>
          {(Object.keys(roleLabels) as Role[]).map((role) => (
            <option key={role} value={role}>
              {roleLabels[role]}
            </option>
          ))}
        </select>
      </td>
      <td data-label="Status">
        <span className={`presence ${user.online ? 'presence-online' : ''}`}>
          <span className="presence-dot" aria-hidden="true" />
          {user.online ? (user.devices > 1 ? `Online on ${user.devices} devices` : 'Online') : 'Offline'}
        </span>
      </td>
      <td className="row-actions">
        <Button variant="secondary" onClick={onReset} aria-label={`Reset the password of ${user.username}`}>
          Reset password
        </Button>
        <Button variant="danger" onClick={onRemove} aria-label={`Remove ${user.username}`}>
          Remove
        </Button>
      </td>
    </tr>
  );
}

function PasswordChoice({ own, setOwn, password, setPassword, name }: { own: boolean; setOwn(v: boolean): void; password: string; setPassword(v: string): void; name: string }) {
  const id = useId();
  return (
    <>
      <fieldset className="choices compact">
        <legend>Password</legend>
        <label className="choice-inline">
          <input type="radio" name={`${name}-choice`} checked={!own} onChange={() => setOwn(false)} />
          Make a strong one (shown once)
        </label>
        <label className="choice-inline">
          <input type="radio" name={`${name}-choice`} checked={own} onChange={() => setOwn(true)} />
          Type one
        </label>
      </fieldset>
      {own && (
        <div className="field">
          <label htmlFor={id}>New password</label>
          <input id={id} type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} aria-describedby={`${id}-hint`} />
          <p className="hint" id={`${id}-hint`}>
            At least 8 characters.
          </p>
        </div>
      )}
    </>
  );
}

function AddUser({ onAdded }: { onAdded(): void }) {
  const api = useApi();
  const action = useAction();
  const id = useId();
  const [username, setUsername] = useState('');
  const [role, setRole] = useState<Role>('user');
  const [own, setOwn] = useState(false);
  const [password, setPassword] = useState('');
  const [added, setAdded] = useState<{ user: User; password?: string } | undefined>();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setAdded(undefined);
    const result = await action.run(() => api.request('users.add', { username, role, ...(own ? { password } : {}) }));
    if (!result) return;
    setAdded({ user: result.user, ...(result.generatedPassword ? { password: result.generatedPassword } : {}) });
    setUsername('');
    setPassword('');
    onAdded();
  };

  return (
    <section aria-labelledby={`${id}-heading`} className="section card">
      <h2 id={`${id}-heading`}>Add someone</h2>
      <form onSubmit={submit} noValidate className="add-user">
        <div className="form-row">
          <div className="field grow">
            <label htmlFor={`${id}-name`}>User name</label>
            <input
              id={`${id}-name`}
              name="username"
              value={username}
              onChange={(e) => setUsername(e.target.value)}
              autoComplete="off"
              autoCapitalize="none"
              spellCheck={false}
              placeholder="for example grandma"
              aria-invalid={action.error ? true : undefined}
              aria-describedby={`${id}-name-hint${action.error ? ` ${id}-error` : ''}`}
            />
            <p className="hint" id={`${id}-name-hint`}>
              Letters and digits; no spaces.
            </p>
          </div>
          <div className="field">
            <label htmlFor={`${id}-role`}>Role</label>
            <select id={`${id}-role`} name="role" value={role} onChange={(e) => setRole(e.target.value as Role)} aria-describedby={`${id}-role-hint`}>
              {(Object.keys(roleLabels) as Role[]).map((r) => (
                <option key={r} value={r}>
                  {roleLabels[r]}
                </option>
              ))}
            </select>
            <p className="hint" id={`${id}-role-hint`}>
              {roleLabels[role]}: {roleHints[role]}.
            </p>
          </div>
        </div>
        <PasswordChoice own={own} setOwn={setOwn} password={password} setPassword={setPassword} name={`${id}-add`} />
        {action.error && (
          <div id={`${id}-error`}>
            <Alert kind="error">{action.error}</Alert>
          </div>
        )}
        <div className="actions">
          <Button type="submit" pending={action.pending} pendingLabel="Adding…">
            Add user
          </Button>
        </div>
      </form>
      {added && (
        <div className="added" aria-live="polite">
          <Alert kind="success" title={`${added.user.jid} can sign in now`}>
            {added.password ? 'Give them their address and this password. It is shown only this once.' : 'Give them their address and the password you chose.'}
          </Alert>
          <CopyField label="Address" value={added.user.jid} />
          {added.password && <CopyField label={`Password for ${added.user.username}`} value={added.password} secret />}
          <Button variant="quiet" onClick={() => setAdded(undefined)}>
            Done, hide the password
          </Button>
        </div>
      )}
    </section>
  );
}

function RemoveDialog({ user, onClose, onRemoved }: { user: User | undefined; onClose(): void; onRemoved(user: User): void }) {
  const api = useApi();
  const action = useAction();
  const id = useId();
  const remove = async () => {
    if (!user) return;
    const result = await action.run(() => api.request('users.remove', { username: user.username }));
    if (result) onRemoved(user);
  };
  // Escape and Cancel alike: a refusal shown for one user must not greet the next one.
  const close = () => {
    action.setError(undefined);
    onClose();
  };
  return (
    <Dialog
      open={user !== undefined}
      title={user ? `Remove ${user.username}?` : ''}
      describedBy={`${id}-text`}
      onClose={close}
    >
      <p id={`${id}-text`}>
        <span className="mono">{user?.jid}</span> will be deleted with its contacts and stored messages, and its devices are signed out at once. This cannot be undone.
      </p>
      {action.error && <Alert kind="error">{action.error}</Alert>}
      <div className="actions">
        <Button variant="secondary" onClick={close} autoFocus>
          Cancel
        </Button>
        <Button variant="danger" onClick={remove} pending={action.pending} pendingLabel="Removing…">
          Remove {user?.username}
        </Button>
      </div>
    </Dialog>
  );
}

function ResetDialog({ user, onClose }: { user: User | undefined; onClose(): void }) {
  const api = useApi();
  const action = useAction();
  const [own, setOwn] = useState(false);
  const [password, setPassword] = useState('');
  const [done, setDone] = useState<{ password?: string } | undefined>();
  const close = () => {
    setDone(undefined);
    setPassword('');
    setOwn(false);
    action.setError(undefined);
    onClose();
  };
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!user) return;
    const result = await action.run(() => api.request('users.setPassword', { username: user.username, ...(own ? { password } : {}) }));
    if (result) setDone(result.generatedPassword ? { password: result.generatedPassword } : {});
  };
  return (
    <Dialog open={user !== undefined} title={user ? `New password for ${user.username}` : ''} onClose={close}>
      {done ? (
        <>
          <Alert kind="success">
            The password was changed. Devices signed in with the old one were signed out.
            {done.password ? ' The new password is shown only this once.' : ''}
          </Alert>
          {done.password && <CopyField label={`New password for ${user?.username}`} value={done.password} secret />}
          <div className="actions">
            <Button onClick={close}>Done</Button>
          </div>
        </>
      ) : (
        <form onSubmit={submit} noValidate>
          <p>Their devices signed in with the old password are signed out and need the new one.</p>
          <PasswordChoice own={own} setOwn={setOwn} password={password} setPassword={setPassword} name="reset" />
          {action.error && <Alert kind="error">{action.error}</Alert>}
          <div className="actions">
            <Button type="button" variant="secondary" onClick={close}>
              Cancel
            </Button>
            <Button type="submit" pending={action.pending} pendingLabel="Changing…">
              Set new password
            </Button>
          </div>
        </form>
      )}
    </Dialog>
  );
}
