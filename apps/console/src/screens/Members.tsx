// Settings → Members: the account's people and pending invitations. Everyone sees who is here;
// admins and owners invite, change roles and remove (the server decides; this hides what it would refuse).
import { type FormEvent, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { MemberRole } from '@hookstream/sdk';
import { client } from '../api.ts';
import { useCan, useSession } from '../permissions.tsx';
import { ErrorNote, Loading, SecretOnce, Table, Time, formText } from '../ui.tsx';
import { SettingsTabs } from './SettingsTabs.tsx';

const ROLES: MemberRole[] = ['viewer', 'developer', 'admin', 'owner'];
const ROLE_NOTE: Record<MemberRole, string> = {
  viewer: 'reads events, deliveries and configuration; changes nothing',
  developer: 'configures sources, destinations and routes; replays, exports and signing secrets',
  admin: 'also manages members, API keys and account settings, and reads the audit log',
  owner: 'also grants and takes away ownership',
};

export function Members() {
  const qc = useQueryClient();
  const can = useCan();
  const me = useSession()?.member?.id ?? null;
  const manage = can('members.manage');
  const grantable = ROLES.filter((r) => r !== 'owner' || can('owners.manage'));
  const members = useQuery({ queryKey: ['members'], queryFn: () => client.members.list({ limit: 500 }) });
  const invites = useQuery({
    queryKey: ['invites'],
    queryFn: () => client.invites.list({ limit: 500 }),
    enabled: manage,
  });
  const [link, setLink] = useState<{ email: string; url: string } | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const refresh = () => {
    void qc.invalidateQueries({ queryKey: ['members'] });
    void qc.invalidateQueries({ queryKey: ['invites'] });
  };
  const invite = useMutation({
    mutationFn: (p: { email: string; role: MemberRole }) => client.invites.create(p),
    onSuccess: (i) => {
      setLink({ email: i.email, url: i.url });
      refresh();
    },
  });
  const setRole = useMutation({
    mutationFn: (p: { id: string; role: MemberRole }) => client.members.setRole(p.id, p.role),
    onSettled: refresh,
  });
  const remove = useMutation({
    mutationFn: (id: string) => client.members.remove(id),
    onSuccess: () => setConfirming(null),
    onSettled: refresh,
  });
  // The last owner can be neither demoted nor removed: no control that the server would refuse.
  const owners = (members.data?.data ?? []).filter((m) => m.role === 'owner').length;
  const changeable = (role: MemberRole) => manage && (role !== 'owner' || (can('owners.manage') && owners > 1));
  const cancel = useMutation({ mutationFn: (id: string) => client.invites.cancel(id), onSettled: refresh });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const email = formText(f, 'email').trim();
    const role = (formText(f, 'role') || 'viewer') as MemberRole;
    if (email) invite.mutate({ email, role }, { onSuccess: () => (e.target as HTMLFormElement).reset() });
  };
  return (
    <>
      <h1>Settings</h1>
      <SettingsTabs />
      <h2>Members</h2>
      {manage && (
        <form className="row" onSubmit={submit} aria-label="Invite a member">
          <label className="inline">
            Email
            <input type="email" name="email" required placeholder="colleague@example.com" />
          </label>
          <label className="inline">
            Role
            <select name="role" defaultValue="developer">
              {grantable.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" className="primary" disabled={invite.isPending}>
            Invite
          </button>
        </form>
      )}
      <ErrorNote error={invite.error ?? setRole.error ?? remove.error ?? cancel.error ?? members.error} />
      {link && (
        <SecretOnce
          label={`Invitation link for ${link.email}`}
          value={link.url}
          note="Send it to them: it works once and expires in a week. It is not shown again; invite again for a new one."
        />
      )}
      {members.isPending ? (
        <Loading />
      ) : (
        <Table
          label="Members"
          head={
            <tr>
              <th>Name</th>
              <th>Email</th>
              <th>Role</th>
              <th>Sign-in</th>
              <th>Joined</th>
              <th>
                <span className="skip">Actions</span>
              </th>
            </tr>
          }
        >
          {(members.data?.data ?? []).map((m) => (
            <tr key={m.id}>
              <td>
                {m.name}
                {m.id === me && <span className="muted"> (you)</span>}
              </td>
              <td>{m.email}</td>
              <td>
                {changeable(m.role) ? (
                  <select
                    aria-label={`Role of ${m.email}`}
                    value={m.role}
                    onChange={(e) => setRole.mutate({ id: m.id, role: e.target.value as MemberRole })}
                    disabled={setRole.isPending}
                  >
                    {grantable.map((r) => (
                      <option key={r} value={r}>
                        {r}
                      </option>
                    ))}
                  </select>
                ) : (
                  <span title={ROLE_NOTE[m.role]}>{m.role}</span>
                )}
              </td>
              <td className="muted">
                {[m.password_set && 'password', m.sso_linked && 'SSO'].filter(Boolean).join(', ') || '—'}
              </td>
              <td>
                <Time iso={m.created_at} />
              </td>
              <td>
                {changeable(m.role) &&
                  (confirming === m.id ? (
                    <span className="row">
                      <button
                        type="button"
                        className="danger"
                        onClick={() => remove.mutate(m.id)}
                        disabled={remove.isPending}
                      >
                        Confirm remove {m.email}
                      </button>
                      <button type="button" onClick={() => setConfirming(null)}>
                        Cancel
                      </button>
                    </span>
                  ) : (
                    <button type="button" className="danger" onClick={() => setConfirming(m.id)}>
                      Remove {m.email}
                    </button>
                  ))}
              </td>
            </tr>
          ))}
        </Table>
      )}
      {manage && (
        <>
          <h2>Pending invitations</h2>
          {invites.isPending ? (
            <Loading />
          ) : (invites.data?.data ?? []).length === 0 ? (
            <p className="muted">No pending invitations.</p>
          ) : (
            <Table
              label="Pending invitations"
              head={
                <tr>
                  <th>Email</th>
                  <th>Role</th>
                  <th>Expires</th>
                  <th>
                    <span className="skip">Actions</span>
                  </th>
                </tr>
              }
            >
              {(invites.data?.data ?? []).map((i) => (
                <tr key={i.id}>
                  <td>{i.email}</td>
                  <td>{i.role}</td>
                  <td>{i.expired ? <span className="status tone-bad">expired</span> : <Time iso={i.expires_at} />}</td>
                  <td>
                    <button type="button" onClick={() => cancel.mutate(i.id)} disabled={cancel.isPending}>
                      Cancel invitation to {i.email}
                    </button>
                  </td>
                </tr>
              ))}
            </Table>
          )}
        </>
      )}
      <h2>Roles</h2>
      <ul className="muted">
        {ROLES.map((r) => (
          <li key={r}>
            <strong>{r}</strong>: {ROLE_NOTE[r]}
          </li>
        ))}
      </ul>
    </>
  );
}
