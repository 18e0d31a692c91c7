// Sign-in: a member by email and password (or the account's single sign-on); an operator by API key.
import { type FormEvent, useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { SESSION_KEY, client, messageOf } from '../api.ts';
import { useLocation, useNavigate } from '../router.tsx';
import { formText } from '../format.ts';

type Mode = 'password' | 'sso' | 'key';

const SSO_ERRORS: Record<string, string> = {
  not_configured: 'That account has no single sign-on set up.',
  expired_flow: 'The single sign-on took too long or was interrupted: try again.',
  token_refused: 'The identity provider’s answer was not accepted.',
  not_a_member: 'That identity is not a member of the account. Ask an admin for an invitation.',
  provider_unreachable: 'The identity provider could not be reached: try again later.',
};

export function SignIn() {
  const [mode, setMode] = useState<Mode>('password');
  const qc = useQueryClient();
  const navigate = useNavigate();
  const { path } = useLocation();
  const ssoError = new URLSearchParams(window.location.search).get('sso_error');
  const signIn = useMutation({
    mutationKey: ['sign-in'],
    mutationFn: (f: FormData) => {
      const v = (k: string) => formText(f, k).trim();
      if (mode === 'key') return client.console.signIn(v('api_key'));
      return client.console.signInWithPassword({ email: v('email'), password: formText(f, 'password') });
    },
    onSuccess: async () => {
      // A single sign-on's refusal is answered at /console/signin: once signed in, that page has no use.
      if (path === '/signin') navigate('/', true);
      await qc.invalidateQueries({ queryKey: SESSION_KEY });
    },
  });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    if (mode === 'sso') {
      const account = formText(f, 'account').trim();
      if (account) window.location.assign(client.console.ssoStartUrl(account));
      return;
    }
    signIn.mutate(f);
  };
  const switchTo = (m: Mode) => {
    signIn.reset();
    setMode(m);
  };
  return (
    <main className="signin">
      <form onSubmit={submit} aria-labelledby="signin-title" key={mode}>
        <div className="brand">
          <span className="brand-mark" aria-hidden="true" />
          <span>Hookstream</span>
        </div>
        <h1 id="signin-title">Sign in to the console</h1>
        {ssoError && mode !== 'key' && (
          <p className="field-error" role="alert">
            {SSO_ERRORS[ssoError] ?? 'Single sign-on failed.'}
          </p>
        )}
        {mode === 'password' && (
          <>
            <label>
              Email
              <input type="email" name="email" autoComplete="username" required autoFocus />
            </label>
            <label>
              Password
              <input type="password" name="password" autoComplete="current-password" required />
            </label>
          </>
        )}
        {mode === 'sso' && (
          <label>
            Account ID
            <input name="account" autoComplete="organization" spellCheck={false} required autoFocus />
          </label>
        )}
        {mode === 'key' && (
          <label>
            API key
            <input
              type="password"
              name="api_key"
              autoComplete="off"
              spellCheck={false}
              placeholder="hk_…"
              required
              autoFocus
            />
          </label>
        )}
        {signIn.isError && (
          <p id="signin-error" className="field-error" role="alert">
            {messageOf(signIn.error)}
          </p>
        )}
        <button type="submit" className="primary" disabled={signIn.isPending}>
          {signIn.isPending ? 'Signing in…' : mode === 'sso' ? 'Continue with single sign-on' : 'Sign in'}
        </button>
        <div className="row">
          {mode !== 'password' && (
            <button type="button" onClick={() => switchTo('password')}>
              Email and password
            </button>
          )}
          {mode !== 'sso' && (
            <button type="button" onClick={() => switchTo('sso')}>
              Single sign-on (SSO)
            </button>
          )}
          {mode !== 'key' && (
            <button type="button" onClick={() => switchTo('key')}>
              Use an API key
            </button>
          )}
        </div>
        {mode === 'key' && (
          <p className="muted">
            The key is exchanged for a session cookie and is not kept in this browser. Create one with the{' '}
            <code>hookstream</code> CLI or <code>POST /v1/accounts</code>.
          </p>
        )}
      </form>
    </main>
  );
}
