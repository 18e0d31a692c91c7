// The console is served by the api role at /console/, so every asset URL is built under that base.
// The customer portal is a second page of the same build (portal.html), served at /portal/<account>/;
// it shares the console's hashed assets under /console/assets/.
import { createLogger, defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The SDK's index also exports its webhook verifier, which needs node:crypto; the console never
// imports it and the bundler drops it, so the warning that it was left out of the browser build is noise.
const logger = createLogger();
const warn = logger.warn.bind(logger);
logger.warn = (msg, options) => {
  if (msg.includes('"node:crypto" has been externalized for browser compatibility')) return;
  warn(msg, options);
};

export default defineConfig({
  customLogger: logger,
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
    rollupOptions: { input: { console: 'index.html', portal: 'portal.html' } },
  },
  server: {
    proxy: {
      '/v1': 'http://localhost:8080',
      '/console/session': 'http://localhost:8080',
      '/portal/session': 'http://localhost:8080',
    },
  },
});
