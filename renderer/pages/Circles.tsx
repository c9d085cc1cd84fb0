// Circles: groups of people who all have each other as contacts, under the circle's name ("Family",
// "Grandparents"). Make one, add and remove people (everyone's contacts follow at once), give it a
// group chat that follows it, rename or delete it.
import { useId, useState, type FormEvent } from 'react';
import type { Circle, User } from '../../server/control/contract';
import { useAction, useApi, useEvent, useRequest } from '../src/api';
import { Alert, Button, Dialog, Loading, PageTitle } from '../src/components';

export default function Circles() {
  const circles = useRequest('circles.list', {});
  const users = useRequest('users.list', {});
  // New accounts (an invitation used) may have joined circles.
  useEvent('users.changed', () => {
    circles.reload();
    users.reload();
  });
  const [renaming, setRenaming] = useState<Circle | undefined>();
  const [deleting, setDeleting] = useState<Circle | undefined>();
  const [notice, setNotice] = useState<string | undefined>();

  return (
    <>
      <PageTitle>Circles</PageTitle>
      <p className="lead">
        Everyone in a circle has everyone else in their contacts, under the circle's name. Add someone and the others see them in their app at once; take them out
        and those contacts go again. A circle can have its own group chat, whose members are the circle's.
      </p>
      <CreateCircle onCreated={(circle) => {
        setNotice(`${circle.name} was created.`);
        circles.reload();
      }} />

      <section className="section" aria-labelledby="circles-heading">
        <div className="section-head">
          <h2 id="circles-heading">Your circles</h2>
          {circles.data && <span className="count">{circles.data.length === 1 ? '1 circle' : `${circles.data.length} circles`}</span>}
        </div>
        <div aria-live="polite">{notice && <Alert kind="success">{notice}</Alert>}</div>
        {circles.error && (
          <Alert kind="error" action={<Button variant="secondary" onClick={circles.reload}>Try again</Button>}>
            {circles.error}
          </Alert>
        )}
        {!circles.data && !circles.error && <Loading label="Loading the circles…" />}
        {circles.data && circles.data.length === 0 && <p className="empty">No circles yet. Make the first one above, for example "Family".</p>}
        <ul className="circle-list">
          {circles.data?.map((circle) => (
            <CircleCard
              key={circle.id}
              circle={circle}
              users={users.data ?? []}
              onChanged={circles.reload}
              onRename={() => setRenaming(circle)}
              onDelete={() => setDeleting(circle)}
            />
          ))}
        </ul>
      </section>

      <RenameDialog
        circle={renaming}
        onClose={() => setRenaming(undefined)}
        onRenamed={(circle) => {
          setRenaming(undefined);
          setNotice(`The circle is now called ${circle.name}.`);
          circles.reload();
        }}
      />
      <DeleteDialog
        circle={deleting}
        onClose={() => setDeleting(undefined)}
        onDeleted={(circle) => {
          setDeleting(undefined);
          setNotice(`${circle.name} was deleted.`);
          circles.reload();
        }}
      />
    </>
  );
}

function CreateCircle({ onCreated }: { onCreated(circle: Circle): void }) {
  const api = useApi();
  const action = useAction();
  const id = useId();
  const [name, setName] = useState('');
  const [groupChat, setGroupChat] = useState(true);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await action.run(() => api.request('circles.create', { name, groupChat }));
    if (!result) return;
    setName('');
    onCreated(result);
  };
  return (
    <section className="section card" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>Make a circle</h2>
      <form onSubmit={submit} noValidate>
        <div className="field">
          <label htmlFor={`${id}-name`}>Name</label>
          <input id={`${id}-name`} value={name} onChange={(e) => setName(e.target.value)} maxLength={64} placeholder="for example Grandparents" autoComplete="off" />
        </div>
        <label className="choice-inline">
          <input type="checkbox" checked={groupChat} onChange={(e) => setGroupChat(e.target.checked)} />
          Give it a group chat
        </label>
        {action.error && <Alert kind="error">{action.error}</Alert>}
        <div className="actions">
          <Button type="submit" pending={action.pending} pendingLabel="Making the circle…">
            Make the circle
          </Button>
        </div>
      </form>
    </section>
  );
}

function CircleCard({ circle, users, onChanged, onRename, onDelete }: { circle: Circle; users: User[]; onChanged(): void; onRename(): void; onDelete(): void }) {
  const api = useApi();
  const action = useAction();
  const id = useId();
  const outside = users.filter((u) => !circle.members.includes(u.username));
  const [adding, setAdding] = useState('');
  const chosen = outside.some((u) => u.username === adding) ? adding : (outside[0]?.username ?? '');

  const run = async <T,>(work: () => Promise<{ ok: true; value: T } | { ok: false; error: string }>) => {
    const result = await action.run(work);
    if (result !== undefined) onChanged();
  };
  const add = (event: FormEvent) => {
    event.preventDefault();
    if (chosen) void run(() => api.request('circles.addMember', { id: circle.id, username: chosen }));
  };

  return (
    <li className="card circle-card" aria-labelledby={`${id}-name`} data-testid="circle">
      <div className="section-head">
        <h3 id={`${id}-name`} className="circle-name">
          {circle.name}
        </h3>
        <span className="count">{circle.members.length === 1 ? '1 person' : `${circle.members.length} people`}</span>
      </div>
      {circle.members.length === 0 ? (
        <p className="empty">Nobody yet.</p>
      ) : (
        <ul className="member-list" aria-label={`People in ${circle.name}`}>
          {circle.members.map((member) => (
            <li key={member} className="member">
              <span>{member}</span>
              <Button
                variant="quiet"
                disabled={action.pending}
                onClick={() => void run(() => api.request('circles.removeMember', { id: circle.id, username: member }))}
                aria-label={`Take ${member} out of ${circle.name}`}
              >
                Take out
              </Button>
            </li>
          ))}
        </ul>
      )}
      {outside.length > 0 && (
        <form className="form-row member-add" onSubmit={add}>
          <div className="field">
            <label htmlFor={`${id}-add`}>Add someone to {circle.name}</label>
            <select id={`${id}-add`} value={chosen} onChange={(e) => setAdding(e.target.value)}>
              {outside.map((user) => (
                <option key={user.username} value={user.username}>
                  {user.username}
                </option>
              ))}
            </select>
          </div>
          <Button type="submit" variant="secondary" disabled={action.pending}>
            Add
          </Button>
        </form>
      )}
      <label className="choice-inline">
        <input
          type="checkbox"
          checked={circle.groupChat !== undefined}
          disabled={action.pending}
          onChange={(e) => void run(() => api.request('circles.setGroupChat', { id: circle.id, enabled: e.target.checked }))}
          aria-describedby={`${id}-chat`}
        />
        Group chat for the circle
      </label>
      <p className="hint" id={`${id}-chat`}>
        {circle.groupChat ? (
          <>
            <span className="mono">{circle.groupChat}</span>: its members are the circle's, and it is in their apps. Switched off, it stays as an ordinary group chat.
          </>
        ) : (
          'Switched on, the circle gets a private group chat that appears in everyone’s app.'
        )}
      </p>
      {action.error && <Alert kind="error">{action.error}</Alert>}
      <div className="actions">
        <Button variant="secondary" onClick={onRename}>
          Rename
        </Button>
        <Button variant="danger" onClick={onDelete} aria-label={`Delete ${circle.name}`}>
          Delete
        </Button>
      </div>
    </li>
  );
}

function RenameDialog({ circle, onClose, onRenamed }: { circle: Circle | undefined; onClose(): void; onRenamed(circle: Circle): void }) {
  const api = useApi();
  const action = useAction();
  const id = useId();
  const [name, setName] = useState<string | undefined>();
  const value = name ?? circle?.name ?? '';
  const close = () => {
    setName(undefined);
    action.setError(undefined);
    onClose();
  };
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!circle) return;
    const result = await action.run(() => api.request('circles.rename', { id: circle.id, name: value }));
    if (!result) return;
    setName(undefined);
    onRenamed(result);
  };
  return (
    <Dialog open={circle !== undefined} title={circle ? `Rename ${circle.name}` : ''} onClose={close}>
      <form onSubmit={submit} noValidate>
        <div className="field">
          <label htmlFor={`${id}-name`}>New name</label>
          <input id={`${id}-name`} value={value} onChange={(e) => setName(e.target.value)} maxLength={64} autoComplete="off" />
          <p className="hint">Everyone's contacts move to the new name.</p>
        </div>
        {action.error && <Alert kind="error">{action.error}</Alert>}
        <div className="actions">
          <Button type="button" variant="secondary" onClick={close}>
            Cancel
          </Button>
          <Button type="submit" pending={action.pending} pendingLabel="Renaming…">
            Rename
          </Button>
        </div>
      </form>
    </Dialog>
  );
}

function DeleteDialog({ circle, onClose, onDeleted }: { circle: Circle | undefined; onClose(): void; onDeleted(circle: Circle): void }) {
  const api = useApi();
  const action = useAction();
  const close = () => {
    action.setError(undefined);
    onClose();
  };
  const remove = async () => {
    if (!circle) return;
    const result = await action.run(() => api.request('circles.delete', { id: circle.id }));
    if (result) onDeleted(circle);
  };
  return (
    <Dialog open={circle !== undefined} title={circle ? `Delete ${circle.name}?` : ''} onClose={close}>
      <p>
        Its people lose the contacts the circle gave them (contacts they had anyway stay).
        {circle?.groupChat ? ' Its group chat stays, as an ordinary group chat.' : ''} Nobody's account is deleted.
      </p>
      {action.error && <Alert kind="error">{action.error}</Alert>}
      <div className="actions">
        <Button variant="secondary" onClick={close} autoFocus>
          Cancel
        </Button>
        <Button variant="danger" onClick={remove} pending={action.pending} pendingLabel="Deleting…">
          Delete {circle?.name}
        </Button>
      </div>
    </Dialog>
  );
}
