// Sources: the ingest URL to give a provider, and how its signatures are verified.
import { type FormEvent, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { CreateSourceParams } from '@hookstream/sdk';
import { client } from '../api.ts';
import { CopyButton, Empty, ErrorNote, Loading, Status, Table, Time, formText } from '../ui.tsx';
import { Can } from '../permissions.tsx';

const PROVIDERS = ['stripe', 'github', 'shopify', 'standard_webhooks', 'hmac'] as const;

export function Sources() {
  const qc = useQueryClient();
  const list = useQuery({ queryKey: ['sources', 'all'], queryFn: () => client.sources.list({ limit: 500 }) });
  const [provider, setProvider] = useState('');
  const create = useMutation({
    mutationFn: (p: CreateSourceParams) => client.sources.create(p),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['sources'] }),
  });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const p: CreateSourceParams = { name: formText(f, 'name') };
    if (provider)
      p.verification_config = { provider: provider as (typeof PROVIDERS)[number], secret: formText(f, 'secret') };
    create.mutate(p, { onSuccess: () => (e.target as HTMLFormElement).reset() });
  };
  const rows = list.data?.data ?? [];
  return (
    <>
      <h1>Sources</h1>
      <ErrorNote error={list.error} />
      {list.isPending ? (
        <Loading />
      ) : rows.length === 0 ? (
        <Empty title="No sources yet.">
          <p>
            A source gives a provider (Stripe, GitHub, your own service) a URL to send webhooks to. Create one below.
          </p>
        </Empty>
      ) : (
        <Table
          label="Sources"
          head={
            <tr>
              <th>Name</th>
              <th>Ingest URL</th>
              <th>Verification</th>
              <th>State</th>
              <th>Created</th>
            </tr>
          }
        >
          {rows.map((s) => (
            <tr key={s.id}>
              <td>{s.name}</td>
              <td>
                <span className="id">
                  <code>{s.ingest_url}</code>
                  <CopyButton text={s.ingest_url} label={`Copy ingest URL of ${s.name}`} />
                </span>
              </td>
              <td>{s.verification_config ? s.verification_config.provider : <span className="muted">none</span>}</td>
              <td>
                <Status value={s.active ? 'active' : 'paused'} />
              </td>
              <td>
                <Time iso={s.created_at} />
              </td>
            </tr>
          ))}
        </Table>
      )}
      <h2>New source</h2>
      <Can action="config.write">
        <form className="form" onSubmit={submit}>
          <label>
            Name
            <input name="name" required maxLength={200} />
          </label>
          <label>
            Verification provider
            <select value={provider} onChange={(e) => setProvider(e.target.value)}>
              <option value="">none</option>
              {PROVIDERS.map((p) => (
                <option key={p}>{p}</option>
              ))}
            </select>
          </label>
          {provider && (
            <label>
              Signing secret
              <input name="secret" type="password" required autoComplete="off" />
            </label>
          )}
          <div>
            <button type="submit" className="primary" disabled={create.isPending}>
              Create source
            </button>
          </div>
          <div className="wide">
            <ErrorNote error={create.error} />
          </div>
        </form>
      </Can>
    </>
  );
}
