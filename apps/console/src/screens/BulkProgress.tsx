// A bulk replay's progress, polled until it ends; the bar runs to its end on completion.
import { useQuery } from '@tanstack/react-query';
import type { Replay } from '@hookstream/sdk';
import { client } from '../api.ts';
import { ErrorNote, Status, num } from '../ui.tsx';

const DONE = new Set(['completed', 'cancelled', 'failed']);

/** processed/total when the server reports them; otherwise only the end is known. */
function fraction(r: Replay): number | null {
  if (r.status === 'completed') return 1;
  const x = r as Replay & { total?: number | null; processed?: number | null };
  if (typeof x.total === 'number' && x.total > 0 && typeof x.processed === 'number')
    return Math.min(1, x.processed / x.total);
  return null;
}

export function BulkProgress({ id, onDone }: { id: string; onDone?: (r: Replay) => void }) {
  const q = useQuery({
    queryKey: ['replay', id],
    queryFn: async () => {
      const r = await client.replays.get(id);
      if (DONE.has(r.status)) onDone?.(r);
      return r;
    },
    refetchInterval: (s) => (s.state.data && DONE.has(s.state.data.status) ? false : 500),
  });
  const r = q.data;
  const f = r ? fraction(r) : null;
  const pctNow = f === null ? undefined : Math.round(f * 100);
  return (
    <div className="panel" aria-label="Bulk replay">
      <div className="row">
        <strong>Bulk replay</strong>
        {r && <Status value={r.status} />}
        {r && (
          <span className="muted">
            {num(r.replayed)} replayed of {num(r.matched)} matching ({num(r.deliveries)} new deliveries)
          </span>
        )}
      </div>
      <div
        role="progressbar"
        aria-label="Bulk replay progress"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={pctNow}
        aria-valuetext={pctNow === undefined ? 'in progress' : `${pctNow}%`}
      >
        <progress max={100} value={pctNow} />
      </div>
      {r?.error && <ErrorNote error={{ message: r.error }} />}
      <ErrorNote error={q.error} />
    </div>
  );
}
