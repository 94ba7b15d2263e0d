import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

/**
 * The upstream of `/v1` for the dev and preview servers: the real server by default, or the Prism mock
 * when `scripts/dev.mjs --mock` sets FRUXON_API_TARGET.
 */
const apiTarget = process.env.FRUXON_API_TARGET ?? "http://127.0.0.1:8080";

export default defineConfig({
  plugins: [react()],
  server: {
    host: "127.0.0.1",
    port: Number(process.env.CONSOLE_PORT ?? 5173),
    proxy: { "/v1": { target: apiTarget, changeOrigin: true } },
  },
  preview: {
    host: "127.0.0.1",
    proxy: { "/v1": { target: apiTarget, changeOrigin: true } },
  },
  build: {
    outDir: "dist",
    sourcemap: true,
  },
});
