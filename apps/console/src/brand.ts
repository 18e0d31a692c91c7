// Brand settings re-theme the console: the colours set CSS variables on the root element (CSSOM, so
// the strict style-src of the CSP allows it).
import { useEffect } from 'react';

export interface BrandLike {
  name?: string | null;
  logo_url?: string | null;
  primary_color?: string | null;
  accent_color?: string | null;
}

const HEX = /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;

/** Black or white text, whichever reads better on the colour. */
export function inkFor(hex: string): string {
  const h = hex.length === 4 ? hex.replace(/^#(.)(.)(.)$/, '#$1$1$2$2$3$3') : hex;
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16) / 255) as [number, number, number];
  const lum = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  return lum > 0.55 ? '#111111' : '#ffffff';
}

export function useBrand(brand: BrandLike | null): void {
  const color = brand?.primary_color ?? brand?.accent_color ?? null;
  useEffect(() => {
    const root = document.documentElement.style;
    if (color && HEX.test(color)) {
      root.setProperty('--accent', color);
      root.setProperty('--focus', color);
      root.setProperty('--accent-ink', inkFor(color));
    } else {
      root.removeProperty('--accent');
      root.removeProperty('--focus');
      root.removeProperty('--accent-ink');
    }
  }, [color]);
  useEffect(() => {
    document.title = brand?.name ? `${brand.name} · console` : 'Hookstream console';
  }, [brand?.name]);
}
