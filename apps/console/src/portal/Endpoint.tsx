// One endpoint: its settings, the event types it receives, its signing secret, its custom headers,
// and a test send. Controls that change anything show only in a manage session.
import { type FormEvent, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Destination } from '@hookstream/sdk';
import { ErrorNote, Id, Loading, SecretOnce, Status, Time } from '../ui.tsx';
import { client } from './client.ts';
import { Link, useNavigate } from './router.tsx';
import { useCanManage } from './App.tsx';
import { Subscriptions } from './Subscriptions.tsx';
import { TestSend } from './TestSend.tsx';

export function Endpoint({ id }: { id: string }) {
  const canManage = useCanManage();
  const d = useQuery({ queryKey: ['endpoint', id], queryFn: () => client.destinations.get(id) });
  if (d.isPending) return <Loading />;
  if (d.error || !d.data) {
    return (
      <>
        <h1>Endpoint</h1>
        <ErrorNote error={d.error} />
        <Link to="/endpoints">Back to your endpoints</Link>
      </>
    );
  }
  const e = d.data;
  return (
    <>
      <div className="topline">
        <h1>{e.name}</h1>
        <Status value={e.active ? 'active' : 'paused'} />
      </div>
      <dl className="meta">
        <dt>URL</dt>
        <dd className="mono">{e.url}</dd>
        <dt>Id</dt>
        <dd>
          <Id value={e.id} />
        </dd>
        <dt>Added</dt>
        <dd>
          <Time iso={e.created_at} />
        </dd>
        <dt>Messages</dt>
        <dd>
          <Link to={`/messages?endpoint=${encodeURIComponent(e.id)}`}>Messages sent to this endpoint</Link>
        </dd>
      </dl>
      {canManage && <Settings endpoint={e} />}
      <Subscriptions endpointId={e.id} />
      {canManage && <Secret endpointId={e.id} />}
      <Headers endpoint={e} />
      {canManage && <TestSend endpoint={e} />}
    </>
  );
}

function Settings({ endpoint: e }: { endpoint: Destination }) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [url, setUrl] = useState(e.url);
  const [name, setName] = useState(e.name);
  const [confirm, setConfirm] = useState(false);
  const done = () => {
    void qc.invalidateQueries({ queryKey: ['endpoint', e.id] });
    void qc.invalidateQueries({ queryKey: ['endpoints'] });
  };
  const save = useMutation({
    mutationFn: () => client.destinations.update(e.id, { url: url.trim(), name: name.trim() }),
    onSuccess: done,
  });
  const toggle = useMutation({
    mutationFn: () => client.destinations.update(e.id, { active: !e.active }),
    onSuccess: done,
  });
  const remove = useMutation({
    mutationFn: () => client.destinations.delete(e.id),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['endpoints'] });
      navigate('/endpoints');
    },
  });
  const submit = (ev: FormEvent) => {
    ev.preventDefault();
    save.mutate();
  };
  return (
    <section className="panel" aria-label="Endpoint settings">
      <form className="form" onSubmit={submit}>
        <label className="wide">
          Endpoint URL
          <input type="url" required value={url} onChange={(ev) => setUrl(ev.target.value)} />
        </label>
        <label>
          Description
          <input required value={name} onChange={(ev) => setName(ev.target.value)} maxLength={200} />
        </label>
        <div className="row">
          <button type="submit" className="primary" disabled={save.isPending}>
            Save
          </button>
          <button type="button" onClick={() => toggle.mutate()} disabled={toggle.isPending}>
            {e.active ? 'Disable' : 'Enable'}
          </button>
          {confirm ? (
            <button type="button" className="danger" onClick={() => remove.mutate()} disabled={remove.isPending}>
              Delete for good
            </button>
          ) : (
            <button type="button" className="danger" onClick={() => setConfirm(true)}>
              Delete
            </button>
          )}
        </div>
      </form>
      {save.isSuccess && <p className="notice">Saved.</p>}
      <ErrorNote error={save.error ?? toggle.error ?? remove.error} />
    </section>
  );
}

const OVERLAPS: Array<[number, string]> = [
  [3600, '1 hour'],
  [86_400, '24 hours'],
  [0, 'none: the old secret stops now'],
];

function Secret({ endpointId }: { endpointId: string }) {
  const qc = useQueryClient();
  const [overlap, setOverlap] = useState(86_400);
  const reveal = useMutation({ mutationFn: () => client.destinations.revealSecret(endpointId) });
  const rotate = useMutation({
    mutationFn: () => client.destinations.rotateSecret(endpointId, { overlap_s: overlap }),
    onSuccess: () => {
      reveal.reset();
      void qc.invalidateQueries({ queryKey: ['endpoint', endpointId] });
    },
  });
  return (
    <section aria-label="Signing secret">
      <h2>Signing secret</h2>
      <p className="muted">
        Every webhook carries <code>webhook-signature</code> made with this secret (Standard Webhooks); verify it before
        trusting a message.
      </p>
      <div className="row">
        <button type="button" onClick={() => reveal.mutate()} disabled={reveal.isPending}>
          Reveal secret
        </button>
        <label className="inline">
          Old secret stays valid for
          <select value={overlap} onChange={(e) => setOverlap(Number(e.target.value))}>
            {OVERLAPS.map(([s, label]) => (
              <option key={s} value={s}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={() => rotate.mutate()} disabled={rotate.isPending}>
          Rotate secret
        </button>
      </div>
      {reveal.data && (
        <div className="panel" aria-label="Revealed secret">
          <p>
            <strong>Current:</strong> <code>{reveal.data.signing_secret ?? 'none'}</code>
          </p>
          {reveal.data.previous.map((p) => (
            <p key={p.signing_secret}>
              <strong>Previous</strong>, valid until <Time iso={p.expires_at} />: <code>{p.signing_secret}</code>
            </p>
          ))}
        </div>
      )}
      {rotate.data && (
        <SecretOnce
          label="New signing secret"
          value={rotate.data.signing_secret}
          note={
            rotate.data.previous_expires_at ? (
              <>
                Until {new Date(rotate.data.previous_expires_at).toLocaleString()} webhooks carry signatures with both
                secrets.
              </>
            ) : (
              'The old secret no longer signs.'
            )
          }
        />
      )}
      <ErrorNote error={reveal.error ?? rotate.error} />
    </section>
  );
}

const toText = (h: Record<string, string>) =>
  Object.entries(h)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n');

function parseHeaders(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const i = line.indexOf(':');
    if (i <= 0) throw new Error(`"${line.trim()}" is not a header: write "Name: value"`);
    out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return out;
}

function Headers({ endpoint: e }: { endpoint: Destination }) {
  const canManage = useCanManage();
  const qc = useQueryClient();
  const [text, setText] = useState(toText(e.headers));
  const save = useMutation({
    mutationFn: async () => client.destinations.update(e.id, { headers: parseHeaders(text) }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['endpoint', e.id] }),
  });
  if (!canManage) {
    return (
      <section aria-label="Custom headers">
        <h2>Custom headers</h2>
        {Object.keys(e.headers).length === 0 ? <p className="muted">None.</p> : <pre>{toText(e.headers)}</pre>}
      </section>
    );
  }
  return (
    <section aria-label="Custom headers">
      <h2>Custom headers</h2>
      <label>
        Sent with every webhook, one "Name: value" a line
        <textarea value={text} onChange={(ev) => setText(ev.target.value)} placeholder="X-Team: payments" />
      </label>
      <p>
        <button type="button" onClick={() => save.mutate()} disabled={save.isPending}>
          Save headers
        </button>
      </p>
      {save.isSuccess && <p className="notice">Headers saved.</p>}
      <ErrorNote error={save.error} />
    </section>
  );
}
