// Destinations with their health over the range; create one here.
import { type FormEvent, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { DestinationWithSecret } from '@hookstream/sdk';
import { type StatsRange, client } from '../api.ts';
import { Link } from '../router.tsx';
import { Empty, ErrorNote, Loading, SecretOnce, Status, Table, formText, healthOf, ms, num, pct } from '../ui.tsx';
import { RangePicker } from './Overview.tsx';
import { Can } from '../permissions.tsx';

export function Destinations() {
  const [range, setRange] = useState<StatsRange>('24h');
  const list = useQuery({ queryKey: ['destinations', 'all'], queryFn: () => client.destinations.list({ limit: 500 }) });
  const stats = useQuery({
    queryKey: ['stats', range],
    queryFn: () => client.stats.get({ range }),
    refetchInterval: 10_000,
  });
  const health = new Map((stats.data?.destinations ?? []).map((d) => [d.destination_id, d]));
  const [created, setCreated] = useState<DestinationWithSecret | null>(null);
  const rows = list.data?.data ?? [];
  return (
    <>
      <div className="topline">
        <h1>Destinations</h1>
        <RangePicker value={range} onChange={setRange} />
      </div>
      <ErrorNote error={list.error ?? stats.error} />
      {created?.signing_secret && <SecretOnce label="Signing secret" value={created.signing_secret} />}
      {list.isPending ? (
        <Loading />
      ) : rows.length === 0 ? (
        <Empty title="No destinations yet.">
          <p>
            A destination is an HTTPS endpoint of yours that receives webhooks, signed. Create one below, then route
            events to it.
          </p>
        </Empty>
      ) : (
        <Table
          label="Destinations"
          head={
            <tr>
              <th>Name</th>
              <th>Health</th>
              <th className="num">Success</th>
              <th className="num">p95</th>
              <th className="num">Pending</th>
              <th className="hide-narrow">URL</th>
            </tr>
          }
        >
          {rows.map((d) => {
            const h = health.get(d.id);
            return (
              <tr key={d.id}>
                <td>
                  <Link to={`/destinations/${d.id}`}>{d.name}</Link>
                </td>
                <td>
                  <Status value={healthOf(d.active, h)} />
                </td>
                <td className="num">{pct(h?.success_rate)}</td>
                <td className="num">{ms(h?.p95_ms)}</td>
                <td className="num">{num(h?.pending ?? 0)}</td>
                <td className="hide-narrow mono">{d.url}</td>
              </tr>
            );
          })}
        </Table>
      )}
      <CreateDestination onCreated={setCreated} />
    </>
  );
}

function CreateDestination({ onCreated }: { onCreated: (d: DestinationWithSecret) => void }) {
  const qc = useQueryClient();
  const create = useMutation({
    mutationFn: (p: { name: string; url: string }) => client.destinations.create(p),
    onSuccess: (d) => {
      onCreated(d);
      void qc.invalidateQueries({ queryKey: ['destinations'] });
    },
  });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    create.mutate(
      { name: formText(f, 'name'), url: formText(f, 'url') },
      { onSuccess: () => (e.target as HTMLFormElement).reset() },
    );
  };
  return (
    <section aria-labelledby="new-destination">
      <h2 id="new-destination">New destination</h2>
      <Can action="config.write">
        <form className="form" onSubmit={submit}>
          <label>
            Name
            <input name="name" required maxLength={200} />
          </label>
          <label>
            URL
            <input
              name="url"
              type="url"
              required
              placeholder="https://example.com/webhooks"
              aria-describedby="new-destination-error"
            />
          </label>
          <div>
            <button type="submit" className="primary" disabled={create.isPending}>
              Create destination
            </button>
          </div>
          <div id="new-destination-error" className="wide">
            <ErrorNote error={create.error} />
          </div>
        </form>
      </Can>
    </section>
  );
}
