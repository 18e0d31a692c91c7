// "Recover failed since <time>": one bulk replay of the customer's failed messages from then to now,
// with its progress.
import { type FormEvent, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Replay } from '@hookstream/sdk';
import { ErrorNote, Status, num } from '../ui.tsx';
import { client } from './client.ts';

const DONE = new Set(['completed', 'cancelled', 'failed']);

const localNow = (offsetMs: number) => {
  const d = new Date(Date.now() - offsetMs);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};

export function Recovery() {
  const [since, setSince] = useState(() => localNow(24 * 3_600_000));
  const start = useMutation({
    mutationFn: () =>
      client.replays.create({
        status: 'dead_letter',
        since: new Date(since).toISOString(),
        until: new Date().toISOString(),
      }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    start.mutate();
  };
  return (
    <section className="panel" aria-label="Recover failed messages">
      <form className="row" onSubmit={submit}>
        <label className="inline">
          Recover failed messages since
          <input type="datetime-local" required value={since} onChange={(e) => setSince(e.target.value)} />
        </label>
        <button type="submit" disabled={start.isPending}>
          Recover
        </button>
      </form>
      <ErrorNote error={start.error} />
      {start.data && <Progress id={start.data.id} />}
    </section>
  );
}

function Progress({ id }: { id: string }) {
  const qc = useQueryClient();
  const q = useQuery({
    queryKey: ['recovery', id],
    queryFn: async () => {
      const r = await client.replays.get(id);
      if (DONE.has(r.status)) void qc.invalidateQueries({ queryKey: ['messages'] });
      return r;
    },
    refetchInterval: (s) => (s.state.data && DONE.has(s.state.data.status) ? false : 500),
  });
  const r: Replay | undefined = q.data;
  const f = r?.status === 'completed' ? 1 : r && r.total ? Math.min(1, r.processed / r.total) : null;
  const pct = f === null ? undefined : Math.round(f * 100);
  return (
    <div aria-label="Recovery">
      <p className="row">
        {r && <Status value={r.status} />}
        {r && (
          <span className="muted">
            {num(r.replayed)} of {num(r.matched)} failed messages sent again
          </span>
        )}
      </p>
      <div
        role="progressbar"
        aria-label="Recovery progress"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={pct}
        aria-valuetext={pct === undefined ? 'in progress' : `${pct}%`}
      >
        <progress max={100} value={pct} />
      </div>
      {r?.error && <ErrorNote error={{ message: r.error }} />}
      <ErrorNote error={q.error} />
    </div>
  );
}
