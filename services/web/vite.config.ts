import tailwindcss from '@tailwindcss/vite';
import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig } from 'vite';

export default defineConfig({
  plugins: [react(), tailwindcss()],
  resolve: {
    // Workspace packages resolve to their TypeScript sources (as in tests and tsx), so the
    // SPA never depends on a stale dist/. @ludic/contracts' root entry is browser-safe; its
    // undici transport lives behind the separate "./undici" entry, which the SPA never imports.
    conditions: ['ludic-source', ...defaultClientConditions],
  },
  build: {
    target: 'es2022',
    // nginx serves /assets/ as immutable: every file there must carry a content hash.
    assetsDir: 'assets',
    sourcemap: false,
  },
  server: {
    // `pnpm dev` proxies the API to a local stack started by ./scripts/up (nginx on 8080).
    proxy: { '/api': { target: process.env.LUDIC_API_URL ?? 'http://127.0.0.1:8080', changeOrigin: false } },
  },
});
