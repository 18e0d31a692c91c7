// Brand settings re-theme the console: the colours set CSS variables on the root element (CSSOM, so
// the strict style-src of the CSP allows it).
import { useEffect } from 'react';
import { inkFor } from './format.ts';

export interface BrandLike {
  name?: string | null;
  logo_url?: string | null;
  primary_color?: string | null;
  accent_color?: string | null;
}

const HEX = /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;

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
