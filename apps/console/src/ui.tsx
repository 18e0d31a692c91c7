// Small shared pieces: status with a word, ids with a copy button, relative times, empty and error states.
import { type ReactNode, useEffect, useState } from 'react';
import { messageOf } from './api.ts';
import { relative, shortId } from './format.ts';

export { formText, healthOf, ms, num, parseJson, pct, shortId } from './format.ts';

type Tone = 'ok' | 'warn' | 'bad' | 'dead' | 'idle';

/** Every status the console shows, mapped to one of five colours and a word. */
const STATUS: Record<string, [Tone, string]> = {
  delivered: ['ok', 'delivered'],
  succeeded: ['ok', 'delivered'],
  success: ['ok', 'delivered'],
  completed: ['ok', 'completed'],
  verified: ['ok', 'verified'],
  closed: ['ok', 'healthy'],
  active: ['ok', 'active'],
  ready: ['ok', 'ready'],
  received: ['idle', 'received'],
  queued: ['idle', 'queued'],
  pending: ['warn', 'pending'],
  running: ['warn', 'running'],
  delivering: ['warn', 'delivering'],
  retry_scheduled: ['warn', 'retrying'],
  retrying: ['warn', 'retrying'],
  half_open: ['warn', 'recovering'],
  degraded: ['warn', 'degraded'],
  failed: ['bad', 'failed'],
  failing: ['bad', 'failing'],
  open: ['bad', 'failing'],
  not_ready: ['bad', 'not ready'],
  dead_letter: ['dead', 'dead-lettered'],
  dead_lettered: ['dead', 'dead-lettered'],
  unrouted: ['idle', 'unrouted'],
  paused: ['idle', 'paused'],
  revoked: ['idle', 'revoked'],
  cancelled: ['idle', 'cancelled'],
  expired: ['idle', 'expired'],
};

export function Status({ value }: { value: string | null | undefined }) {
  const [tone, word] = STATUS[value ?? ''] ?? (['idle', value ?? 'unknown'] as [Tone, string]);
  return <span className={`status tone-${tone}`}>{word}</span>;
}

export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [done, setDone] = useState(false);
  useEffect(() => {
    if (!done) return;
    const t = setTimeout(() => setDone(false), 1500);
    return () => clearTimeout(t);
  }, [done]);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      // No clipboard permission (plain http, old browsers): select-and-copy still works on the text.
    }
    setDone(true);
  };
  return (
    <button
      type="button"
      className="copy small"
      onClick={() => void copy()}
      aria-label={`${label} ${text.length > 40 ? '' : text}`.trim()}
    >
      {done ? 'Copied' : 'Copy'}
    </button>
  );
}

/** An id: monospace, shortened in tables, with a copy button. */
export function Id({ value, short = false }: { value: string | null | undefined; short?: boolean }) {
  if (!value) return <span className="muted">—</span>;
  return (
    <span className="id">
      <code title={value}>{short ? shortId(value) : value}</code>
      <CopyButton text={value} label="Copy id" />
    </span>
  );
}

/** A relative time that stays fresh, with the exact time on hover. */
export function Time({ iso }: { iso: string | null | undefined }) {
  const [, tick] = useState(0);
  useEffect(() => {
    const t = setInterval(() => tick((n) => n + 1), 15_000);
    return () => clearInterval(t);
  }, []);
  if (!iso) return <span className="muted">—</span>;
  const d = new Date(iso);
  return (
    <time
      dateTime={iso}
      title={d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' }) + ` (${iso})`}
    >
      {relative(iso)}
    </time>
  );
}

export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <div className="error" role="alert">
      {messageOf(error)}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <p>
        <strong>{title}</strong>
      </p>
      {children}
    </div>
  );
}

export function Loading() {
  return (
    <p className="muted" role="status">
      Loading…
    </p>
  );
}

export function Table({ label, head, children }: { label: string; head: ReactNode; children: ReactNode }) {
  return (
    <div className="table-wrap">
      <table aria-label={label}>
        <thead>{head}</thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

/** A secret shown this once, with a copy button and a word that it will not be shown again. */
export function SecretOnce({ label, value, note }: { label: string; value: string; note?: ReactNode }) {
  return (
    <div className="secret" role="status" aria-label={label}>
      <p>
        <strong>{label}</strong> — shown this once; copy it now.
      </p>
      <div className="row">
        <code>{value}</code>
        <CopyButton text={value} label={`Copy ${label.toLowerCase()}`} />
      </div>
      {note && <p className="muted">{note}</p>}
    </div>
  );
}
