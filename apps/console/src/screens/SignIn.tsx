import { type FormEvent, useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { SESSION_KEY, client, messageOf } from '../api.ts';

export function SignIn() {
  const [key, setKey] = useState('');
  const qc = useQueryClient();
  const signIn = useMutation({
    mutationKey: ['sign-in'],
    mutationFn: (apiKey: string) => client.console.signIn(apiKey),
    onSuccess: async () => {
      setKey('');
      await qc.invalidateQueries({ queryKey: SESSION_KEY });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (key.trim()) signIn.mutate(key.trim());
  };
  return (
    <main className="signin">
      <form onSubmit={submit} aria-labelledby="signin-title">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true" />
          <span>Hookstream</span>
        </div>
        <h1 id="signin-title">Sign in to the console</h1>
        <label>
          API key
          <input
            type="password"
            name="api_key"
            autoComplete="off"
            spellCheck={false}
            placeholder="hk_…"
            value={key}
            onChange={(e) => setKey(e.target.value)}
            aria-invalid={signIn.isError || undefined}
            aria-describedby={signIn.isError ? 'signin-error' : undefined}
            required
            autoFocus
          />
        </label>
        {signIn.isError && (
          <p id="signin-error" className="field-error" role="alert">
            {messageOf(signIn.error)}
          </p>
        )}
        <button type="submit" className="primary" disabled={signIn.isPending}>
          {signIn.isPending ? 'Signing in…' : 'Sign in'}
        </button>
        <p className="muted">
          The key is exchanged for a session cookie and is not kept in this browser. Create one with the{' '}
          <code>hookstream</code> CLI or <code>POST /v1/accounts</code>.
        </p>
      </form>
    </main>
  );
}
