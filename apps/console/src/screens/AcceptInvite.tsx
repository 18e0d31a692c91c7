// An invitation's link: who invites whom, then a name and password (or the account's single
// sign-on) to become a member and be signed in. The token is in the link's fragment.
import { type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { SESSION_KEY, client, messageOf } from '../api.ts';
import { ErrorNote, Loading, formText } from '../ui.tsx';
import { useNavigate } from '../router.tsx';

export function AcceptInvite() {
  const token = window.location.hash.slice(1);
  const qc = useQueryClient();
  const navigate = useNavigate();
  const invite = useQuery({
    queryKey: ['invite', token],
    queryFn: () => client.console.invite(token),
    retry: false,
    enabled: token !== '',
  });
  const accept = useMutation({
    mutationFn: (f: { name: string; password: string }) => client.console.acceptInvite({ token, ...f }),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: SESSION_KEY });
      // The token is spent: out of the address bar and history.
      navigate('/', true);
    },
  });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    accept.mutate({ name: formText(f, 'name').trim(), password: formText(f, 'password') });
  };
  if (token === '' || invite.isError) {
    return (
      <main className="signin">
        <div className="form">
          <h1>Invitation</h1>
          {invite.isError ? <ErrorNote error={invite.error} /> : <p>This link carries no invitation.</p>}
          <a href="/console/">Go to sign-in</a>
        </div>
      </main>
    );
  }
  if (invite.isPending) return <Loading />;
  const i = invite.data;
  return (
    <main className="signin">
      <form onSubmit={submit} aria-labelledby="invite-title">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true" />
          <span>Hookstream</span>
        </div>
        <h1 id="invite-title">Join {i.account.name}</h1>
        <p>
          You are invited as <strong>{i.role}</strong> with the email <strong>{i.email}</strong>.
        </p>
        <label>
          Your name
          <input name="name" autoComplete="name" maxLength={200} required autoFocus />
        </label>
        <label>
          Choose a password
          <input type="password" name="password" autoComplete="new-password" minLength={10} required />
        </label>
        {accept.isError && (
          <p className="field-error" role="alert">
            {messageOf(accept.error)}
          </p>
        )}
        <button type="submit" className="primary" disabled={accept.isPending}>
          {accept.isPending ? 'Joining…' : 'Accept invitation'}
        </button>
        {i.sso && (
          <a className="button" href={client.console.ssoStartUrl(i.account.id)}>
            Accept with single sign-on
          </a>
        )}
      </form>
    </main>
  );
}
