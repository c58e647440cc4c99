/**
 * The storefront build. JSX is compiled for Preact by Vite's own transform (no framework plugin).
 * `npm run dev` serves with hot reload and proxies the API paths to a running platform
 * (BOXOFFICE_API, default http://127.0.0.1:8080), so the browser still talks to one origin.
 */
import { defineConfig } from "vite";

const api = process.env.BOXOFFICE_API ?? "http://127.0.0.1:8080";

export default defineConfig({
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: { target: "es2022", outDir: "dist", sourcemap: true, assetsInlineLimit: 0 },
  server: {
    proxy: { "^/(boxoffice|grpc)\\.": { target: api, changeOrigin: false } },
  },
});
