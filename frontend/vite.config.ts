import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

const root = fileURLToPath(new URL('.', import.meta.url));

// The Go server used by `npm run dev` for API calls (override with FUSEBOX_URL).
const backend = process.env.FUSEBOX_URL ?? 'http://127.0.0.1:8787';

// One multi-page build: every HTML entry below becomes a page served by the Go
// binary from the embedded dist/ (console at /, the importer iframe at
// /embed/importer, the marketplace at /marketplace, the demo host app at /demo).
// The SDKs are built separately in library mode by build.mjs.
export default defineConfig({
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: false, // build.mjs cleans dist/ but keeps dist/.gitkeep for go:embed
    rollupOptions: {
      input: {
        console: resolve(root, 'index.html'),
        embedImporter: resolve(root, 'embed/importer.html'),
        marketplace: resolve(root, 'marketplace/index.html'),
        demo: resolve(root, 'demo/index.html'),
      },
    },
  },
  server: {
    proxy: {
      '/api': backend,
      '/login': backend,
      '/healthz': backend,
      '/sdk': backend,
    },
  },
  test: {
    environment: 'happy-dom',
    include: ['src/**/*.test.{ts,tsx}', 'packages/*/src/**/*.test.{ts,tsx}'],
  },
});
