// The event types an endpoint receives. Each ticked type is a route to the endpoint; "every type" is
// one route without a pattern.
import { useEffect, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ErrorNote, Loading } from '../ui.tsx';
import { client } from './client.ts';
import { useCanManage } from './App.tsx';

const ALL = '*all*';

export function Subscriptions({ endpointId }: { endpointId: string }) {
  const canManage = useCanManage();
  const qc = useQueryClient();
  const types = useQuery({ queryKey: ['event-types'], queryFn: () => client.eventTypes.list({ limit: 500 }) });
  const routes = useQuery({
    queryKey: ['routes', endpointId],
    queryFn: () => client.routes.list({ destination_id: endpointId, limit: 500 }),
  });
  const current = new Set((routes.data?.data ?? []).map((r) => r.event_type_pattern ?? ALL));
  const [picked, setPicked] = useState<Set<string> | null>(null);
  useEffect(() => setPicked(null), [routes.data]);
  const chosen = picked ?? current;
  const save = useMutation({
    mutationFn: async () => {
      for (const r of routes.data?.data ?? [])
        if (!chosen.has(r.event_type_pattern ?? ALL)) await client.routes.delete(r.id);
      for (const p of chosen) {
        if (!current.has(p))
          await client.routes.create({ destination_id: endpointId, event_type_pattern: p === ALL ? null : p });
      }
    },
    onSettled: () => void qc.invalidateQueries({ queryKey: ['routes', endpointId] }),
  });
  const toggle = (name: string) => {
    const next = new Set(chosen);
    if (next.has(name)) next.delete(name);
    else next.add(name);
    setPicked(next);
  };
  if (types.isPending || routes.isPending) return <Loading />;
  return (
    <section aria-label="Event types">
      <h2>Event types</h2>
      {!canManage && (
        <p>
          {chosen.size === 0 ? (
            <span className="muted">None: this endpoint receives nothing.</span>
          ) : (
            [...chosen].map((c) => (c === ALL ? 'every type' : c)).join(', ')
          )}
        </p>
      )}
      {canManage && (
        <>
          <div className="types">
            <label className="inline">
              <input type="checkbox" checked={chosen.has(ALL)} onChange={() => toggle(ALL)} />
              Every event type
            </label>
            {types.data?.data.map((t) => (
              <label key={t.id} className="inline">
                <input type="checkbox" checked={chosen.has(t.name)} onChange={() => toggle(t.name)} />
                <code>{t.name}</code>
              </label>
            ))}
          </div>
          <button type="button" onClick={() => save.mutate()} disabled={save.isPending || picked === null}>
            Save event types
          </button>
          {save.isSuccess && picked === null && <p className="notice">Event types saved.</p>}
        </>
      )}
      <ErrorNote error={types.error ?? routes.error ?? save.error} />
    </section>
  );
}
