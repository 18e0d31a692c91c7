// The event types the customer can subscribe to: each with its description, JSON Schema and an example.
import { useQuery } from '@tanstack/react-query';
import { Empty, ErrorNote, Loading } from '../ui.tsx';
import { client } from './client.ts';
import { examplePayload } from './example.ts';

export function Catalog() {
  const types = useQuery({ queryKey: ['event-types'], queryFn: () => client.eventTypes.list({ limit: 500 }) });
  return (
    <>
      <h1>Event catalog</h1>
      <ErrorNote error={types.error} />
      {types.isPending && <Loading />}
      {types.data && types.data.data.length === 0 && (
        <Empty title="No event types yet">The events you can receive will be listed here.</Empty>
      )}
      {types.data?.data.map((t) => (
        <details key={t.id} className="catalog-type">
          <summary>
            <code>{t.name}</code>
            <span className="muted">{t.description ?? ''}</span>
          </summary>
          <div>
            <section aria-label={`Schema of ${t.name}`}>
              <h3>Schema</h3>
              {t.schema ? (
                <pre tabIndex={0}>{JSON.stringify(t.schema, null, 2)}</pre>
              ) : (
                <p className="muted">No schema: any JSON object.</p>
              )}
            </section>
            <section aria-label={`Example of ${t.name}`}>
              <h3>Example payload</h3>
              <pre tabIndex={0}>{JSON.stringify(examplePayload(t.schema, t.name), null, 2)}</pre>
            </section>
          </div>
        </details>
      ))}
    </>
  );
}
