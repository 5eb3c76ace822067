import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type ProxyOptions } from 'vite';

const api = process.env.TROUPE_API_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`;

/** The API sees the dev server's requests as its own origin's, as it sees the built UI's. */
const toApi: ProxyOptions = {
  target: api,
  changeOrigin: true,
  ws: true,
  configure: (proxy) => {
    proxy.on('proxyReq', (req) => req.setHeader('origin', api));
    proxy.on('proxyReqWs', (req) => req.setHeader('origin', api));
  },
};

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 800 },
  server: {
    port: Number(process.env.VITE_PORT ?? 5173),
    strictPort: false,
    proxy: Object.fromEntries(
      ['/api', '/socket.io', '/healthz', '/readyz', '/metrics'].map((p) => [p, toApi]),
    ),
  },
});
