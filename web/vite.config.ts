import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

// `pnpm dev` serves the dashboard with hot reload and forwards the API (HTTP and the graphql-ws
// websocket, both on /graphql) to a server started with `pnpm start:server` on port 4000.
export default defineConfig({
  plugins: [vue()],
  server: {
    port: 5173,
    proxy: {
      '/graphql': { target: 'http://127.0.0.1:4000', ws: true, changeOrigin: true },
    },
  },
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    // One small app: a single chunk loads faster than a waterfall of route chunks.
    chunkSizeWarningLimit: 200,
  },
});
