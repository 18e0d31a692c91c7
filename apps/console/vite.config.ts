// The console is served by the api role at /console/, so every asset URL is built under that base.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  base: '/console/',
  plugins: [react()],
  // The workspace root holds another React (the test runner's); every import of it, including
  // TanStack Query's from the root node_modules, must resolve to this app's copy.
  resolve: { dedupe: ['react', 'react-dom'] },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // CSP forbids inline scripts and data: script URLs; keep every asset a file.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
  server: {
    proxy: { '/v1': 'http://localhost:8080', '/console/session': 'http://localhost:8080' },
  },
});
