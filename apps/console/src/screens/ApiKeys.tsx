// API keys: create (the key shown once) and revoke.
import { type FormEvent, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { client } from '../api.ts';
import { ErrorNote, Loading, SecretOnce, Status, Table, Time, formText } from '../ui.tsx';

export function ApiKeys() {
  const qc = useQueryClient();
  const keys = useQuery({ queryKey: ['api-keys'], queryFn: () => client.apiKeys.list({ limit: 500 }) });
  const [shown, setShown] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: (name: string) => client.apiKeys.create(name ? { name } : {}),
    onSuccess: (k) => {
      setShown(k.key);
      void qc.invalidateQueries({ queryKey: ['api-keys'] });
    },
  });
  const revoke = useMutation({
    mutationFn: (id: string) => client.apiKeys.revoke(id),
    onSuccess: () => {
      setConfirming(null);
      void qc.invalidateQueries({ queryKey: ['api-keys'] });
    },
  });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const name = formText(new FormData(e.currentTarget), 'name').trim();
    create.mutate(name, { onSuccess: () => (e.target as HTMLFormElement).reset() });
  };
  return (
    <>
      <h1>API keys</h1>
      <p className="muted">
        Keys act for the whole account. A revoked key stops working at once, and console sessions signed in with it end.
      </p>
      <form className="row" onSubmit={submit} aria-label="Create API key">
        <label className="inline">
          Key name
          <input name="name" maxLength={200} placeholder="ci-deploys" />
        </label>
        <button type="submit" className="primary" disabled={create.isPending}>
          Create key
        </button>
      </form>
      <ErrorNote error={create.error ?? revoke.error ?? keys.error} />
      {shown && <SecretOnce label="New API key" value={shown} />}
      {keys.isPending ? (
        <Loading />
      ) : (
        <Table
          label="API keys"
          head={
            <tr>
              <th>Name</th>
              <th>Prefix</th>
              <th>State</th>
              <th>Created</th>
              <th>
                <span className="skip">Actions</span>
              </th>
            </tr>
          }
        >
          {(keys.data?.data ?? []).map((k) => (
            <tr key={k.id}>
              <td>{k.name}</td>
              <td>
                <code>{k.prefix}…</code>
              </td>
              <td>{k.revoked_at ? <Status value="revoked" /> : <Status value="active" />}</td>
              <td>
                <Time iso={k.created_at} />
              </td>
              <td>
                {!k.revoked_at &&
                  (confirming === k.id ? (
                    <span className="row">
                      <button
                        type="button"
                        className="danger"
                        onClick={() => revoke.mutate(k.id)}
                        disabled={revoke.isPending}
                      >
                        Confirm revoke {k.name}
                      </button>
                      <button type="button" onClick={() => setConfirming(null)}>
                        Cancel
                      </button>
                    </span>
                  ) : (
                    <button type="button" className="danger" onClick={() => setConfirming(k.id)}>
                      Revoke {k.name}
                    </button>
                  ))}
              </td>
            </tr>
          ))}
        </Table>
      )}
    </>
  );
}
