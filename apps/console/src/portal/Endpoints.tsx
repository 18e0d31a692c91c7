// The customer's endpoints: where its webhooks go, whether each is on, and adding one.
import { type FormEvent, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Empty, ErrorNote, Id, Loading, SecretOnce, Status, Table, Time } from '../ui.tsx';
import { client } from './client.ts';
import { Link, useNavigate } from './router.tsx';
import { useCanManage } from './App.tsx';

export function Endpoints() {
  const canManage = useCanManage();
  const list = useQuery({ queryKey: ['endpoints'], queryFn: () => client.destinations.list({ limit: 200 }) });
  return (
    <>
      <div className="topline">
        <h1>Endpoints</h1>
      </div>
      {canManage && <AddEndpoint />}
      <ErrorNote error={list.error} />
      {list.isPending ? (
        <Loading />
      ) : list.data && list.data.data.length === 0 ? (
        <Empty title="No endpoints yet">
          <p>
            {canManage
              ? 'Add the URL of a server of yours above: the events you subscribe it to are sent there, signed.'
              : 'Endpoints added for you appear here.'}
          </p>
        </Empty>
      ) : (
        <Table
          label="Endpoints"
          head={
            <tr>
              <th>Endpoint</th>
              <th>Status</th>
              <th className="hide-narrow">Id</th>
              <th className="hide-narrow">Added</th>
            </tr>
          }
        >
          {list.data?.data.map((d) => (
            <tr key={d.id}>
              <td>
                <Link to={`/endpoints/${encodeURIComponent(d.id)}`}>{d.name}</Link>
                <div className="muted mono">{d.url}</div>
              </td>
              <td>
                <Status value={d.active ? 'active' : 'paused'} />
              </td>
              <td className="hide-narrow">
                <Id value={d.id} short />
              </td>
              <td className="hide-narrow">
                <Time iso={d.created_at} />
              </td>
            </tr>
          ))}
        </Table>
      )}
    </>
  );
}

function AddEndpoint() {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [url, setUrl] = useState('');
  const [name, setName] = useState('');
  const create = useMutation({
    mutationFn: () => client.destinations.create({ url: url.trim(), name: name.trim() || new URL(url.trim()).host }),
    onSuccess: () => {
      setUrl('');
      setName('');
      void qc.invalidateQueries({ queryKey: ['endpoints'] });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  const made = create.data;
  return (
    <section className="panel" aria-label="Add an endpoint">
      <form className="form" onSubmit={submit}>
        <label className="wide">
          Endpoint URL
          <input
            type="url"
            required
            value={url}
            onChange={(e) => setUrl(e.target.value)}
            placeholder="https://example.com/webhooks"
          />
        </label>
        <label>
          Description
          <input
            value={name}
            onChange={(e) => setName(e.target.value)}
            maxLength={200}
            placeholder="Production orders"
          />
        </label>
        <div>
          <button type="submit" className="primary" disabled={create.isPending}>
            Add endpoint
          </button>
        </div>
      </form>
      <ErrorNote error={create.error} />
      {made && (
        <>
          {made.signing_secret && (
            <SecretOnce
              label="Signing secret"
              value={made.signing_secret}
              note="Verify every webhook with it; you can reveal it again on the endpoint's page."
            />
          )}
          <p>
            <button type="button" onClick={() => navigate(`/endpoints/${encodeURIComponent(made.id)}`)}>
              Choose its event types
            </button>
          </p>
        </>
      )}
    </section>
  );
}
