// The account's brand on the portal: its colours as CSS variables (CSSOM, which the CSP allows), its
// name as the page title.
import { useEffect } from 'react';
import type { PortalContext } from '@hookstream/sdk';
import { inkFor } from '../format.ts';

const HEX = /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;

export function usePortalBrand(session: PortalContext | undefined): void {
  const color = session?.brand?.primary_color ?? session?.brand?.accent_color ?? null;
  const name = session?.brand?.name ?? session?.account.name ?? null;
  useEffect(() => {
    const root = document.documentElement.style;
    if (color && HEX.test(color)) {
      root.setProperty('--accent', color);
      root.setProperty('--focus', color);
      root.setProperty('--accent-ink', inkFor(color));
    }
  }, [color]);
  useEffect(() => {
    document.title = name ? `${name} · webhooks` : 'Webhooks';
  }, [name]);
}
