// Event types with their JSON Schema; the API's validation errors shown beside the form.
import { type FormEvent, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { CreateEventTypeParams } from '@hookstream/sdk';
import { client } from '../api.ts';
import { Empty, ErrorNote, Loading, Table, Time, formText, parseJson } from '../ui.tsx';
import { Can } from '../permissions.tsx';

export function EventTypes() {
  const qc = useQueryClient();
  const list = useQuery({ queryKey: ['event-types'], queryFn: () => client.eventTypes.list({ limit: 500 }) });
  const [fieldError, setFieldError] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: (p: CreateEventTypeParams) => client.eventTypes.create(p),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['event-types'] }),
  });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    setFieldError(null);
    const f = new FormData(e.currentTarget);
    const schema = parseJson(formText(f, 'schema'), 'Schema');
    if (!schema.ok) return setFieldError(schema.error);
    const description = formText(f, 'description').trim();
    create.mutate(
      {
        name: formText(f, 'name').trim(),
        ...(description ? { description } : {}),
        ...(schema.value ? { schema: schema.value as Record<string, unknown> } : {}),
      },
      { onSuccess: () => (e.target as HTMLFormElement).reset() },
    );
  };
  const rows = list.data?.data ?? [];
  return (
    <>
      <h1>Event types</h1>
      <ErrorNote error={list.error} />
      {list.isPending ? (
        <Loading />
      ) : rows.length === 0 ? (
        <Empty title="No event types yet.">
          <p>
            Declaring a type (e.g. order.created) with a JSON Schema lets Hookstream check outbound payloads before they
            are sent.
          </p>
        </Empty>
      ) : (
        <Table
          label="Event types"
          head={
            <tr>
              <th>Name</th>
              <th>Description</th>
              <th>Schema</th>
              <th>Created</th>
            </tr>
          }
        >
          {rows.map((t) => (
            <tr key={t.id}>
              <td>
                <code>{t.name}</code>
              </td>
              <td>{t.description ?? <span className="muted">—</span>}</td>
              <td>
                {t.schema ? (
                  <details>
                    <summary>JSON Schema</summary>
                    <pre>{JSON.stringify(t.schema, null, 2)}</pre>
                  </details>
                ) : (
                  <span className="muted">none</span>
                )}
              </td>
              <td>
                <Time iso={t.created_at} />
              </td>
            </tr>
          ))}
        </Table>
      )}
      <h2>New event type</h2>
      <Can action="config.write">
        <form className="form" onSubmit={submit}>
          <label>
            Name
            <input name="name" required placeholder="order.created" />
          </label>
          <label>
            Description
            <input name="description" />
          </label>
          <label className="wide">
            JSON Schema
            <textarea
              name="schema"
              placeholder='{"type": "object", "required": ["id"]}'
              aria-invalid={!!fieldError || undefined}
            />
          </label>
          <div>
            <button type="submit" className="primary" disabled={create.isPending}>
              Create event type
            </button>
          </div>
          <div className="wide">
            {fieldError && (
              <p className="field-error" role="alert">
                {fieldError}
              </p>
            )}
            <ErrorNote error={create.error} />
          </div>
        </form>
      </Can>
    </>
  );
}
