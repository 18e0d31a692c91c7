// Pure formatting and judgement used across screens; no DOM, so it is tested under node.

/** Ids are time-ordered (their heads alike within a minute): the tail tells them apart. */
export function shortId(id: string): string {
  return id.length > 14 ? `…${id.slice(-8)}` : id;
}

/**
 * A destination's health in one word: paused, the circuit's state, else its success rate over the
 * range (under 50% failing, under 95% degraded).
 */
export function healthOf(
  active: boolean,
  h: { circuit?: string | null; success_rate?: number | null } | undefined,
): string {
  if (!active) return 'paused';
  if (h?.circuit === 'open') return 'open';
  if (h?.circuit === 'half_open') return 'half_open';
  const rate = h?.success_rate;
  if (rate !== null && rate !== undefined && rate < 0.5) return 'failing';
  if (rate !== null && rate !== undefined && rate < 0.95) return 'degraded';
  return 'closed';
}

const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

export function relative(iso: string, now = Date.now()): string {
  const s = Math.round((new Date(iso).getTime() - now) / 1000);
  const a = Math.abs(s);
  if (a < 45) return rtf.format(s, 'second');
  if (a < 2700) return rtf.format(Math.round(s / 60), 'minute');
  if (a < 79200) return rtf.format(Math.round(s / 3600), 'hour');
  return rtf.format(Math.round(s / 86400), 'day');
}

export function pct(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : `${(n * 100).toFixed(n >= 0.999 || n === 0 ? 0 : 1)}%`;
}

export function ms(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  return n >= 1000 ? `${(n / 1000).toFixed(1)} s` : `${Math.round(n)} ms`;
}

export function num(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : n.toLocaleString('en');
}

/** Parses JSON typed into a field; a message for the field when it is not JSON. */
export function parseJson(text: string, what: string): { ok: true; value: unknown } | { ok: false; error: string } {
  if (!text.trim()) return { ok: true, value: null };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return { ok: false, error: `${what} is not valid JSON: ${(e as Error).message}` };
  }
}

/** Black or white text, whichever reads better on the colour. */
export function inkFor(hex: string): string {
  const h = hex.length === 4 ? hex.replace(/^#(.)(.)(.)$/, '#$1$1$2$2$3$3') : hex;
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16) / 255) as [number, number, number];
  const lum = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  return lum > 0.55 ? '#111111' : '#ffffff';
}

/** A text field of a submitted form; '' when absent (the console's forms hold no file fields). */
export function formText(f: FormData, name: string): string {
  const v = f.get(name);
  return typeof v === 'string' ? v : '';
}
