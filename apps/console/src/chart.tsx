// A uPlot chart that follows its container's width and the theme's colours.
import { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';

export interface Series {
  label: string;
  /** A CSS variable name, e.g. --ok: the chart follows light/dark and brand colours. */
  color: string;
  values: Array<number | null>;
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

export function Chart({
  label,
  times,
  series,
  height = 220,
  unit = '',
}: {
  label: string;
  times: number[];
  series: Series[];
  height?: number;
  unit?: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  // Colours are read from CSS variables when the chart is drawn: draw again when light/dark flips.
  const [scheme, setScheme] = useState(0);
  useEffect(() => {
    const mq = window.matchMedia('(prefers-color-scheme: dark)');
    const flip = () => setScheme((n) => n + 1);
    mq.addEventListener('change', flip);
    return () => mq.removeEventListener('change', flip);
  }, []);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const ink = cssVar('--ink-soft');
    const grid = cssVar('--line');
    const axis = { stroke: ink, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const opts: uPlot.Options = {
      width: Math.max(280, el.clientWidth),
      height,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [axis, { ...axis, size: 48, values: (_u, v) => v.map((n) => `${n}${unit}`) }],
      series: [
        {},
        ...series.map((s) => ({ label: s.label, stroke: cssVar(s.color), width: 2, points: { show: false } })),
      ],
    };
    const plot = new uPlot(opts, [times, ...series.map((s) => s.values)] as uPlot.AlignedData, el);
    const ro = new ResizeObserver(() => plot.setSize({ width: Math.max(280, el.clientWidth), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, [times, series, height, unit, scheme]);
  return (
    <figure className="chart" aria-label={label}>
      <div className="legend" aria-hidden="true">
        {series.map((s) => (
          <span key={s.label} data-color={s.color} ref={(n) => n?.style.setProperty('color', `var(${s.color})`)}>
            {s.label}
          </span>
        ))}
      </div>
      <div
        ref={box}
        role="img"
        aria-label={`${label}: ${series.map((s) => `${s.label} ${s.values.reduce<number>((a, b) => a + (b ?? 0), 0)}`).join(', ')}`}
      />
    </figure>
  );
}
