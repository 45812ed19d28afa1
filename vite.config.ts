import { defineConfig } from "vite";

// The API server (npm run dev) listens on 3000; in development Vite serves the SPA and
// forwards everything the server owns to it, so cookies stay on one origin.
const server = "http://localhost:3000";

export default defineConfig({
  root: "src/web",
  // Vite's own esbuild JSX transform is enough: no Fast Refresh plugin, one dependency fewer.
  esbuild: { jsx: "automatic" },
  build: {
    outDir: "../../dist/web",
    emptyOutDir: true,
    rollupOptions: {
      // Libraries change less often than the app: separate files stay cached across releases.
      output: {
        manualChunks(id) {
          if (!id.includes("/node_modules/")) return undefined;
          if (/\/node_modules\/(react|react-dom|scheduler)\//.test(id)) return "react";
          if (id.includes("/node_modules/zod/")) return "zod";
          return "vendor";
        },
      },
      onwarn(warning, warn) {
        // Known and harmless: "use client" directives (meaningful only to server components) and
        // a comment zod places where Rollup cannot read it.
        if (warning.code === "MODULE_LEVEL_DIRECTIVE" || warning.code === "INVALID_ANNOTATION") return;
        warn(warning);
      },
    },
  },
  server: {
    proxy: {
      // Not all of "/api": the SPA's own modules live in src/web/api/ and are served as /api/*.ts.
      "/api/v1": server,
      "/api/openapi.json": server,
      "/line": server,
      "/__line": server,
      "/__mail": server,
      // A regex: the plain prefix "/i" would also swallow "/index.html" and friends.
      "^/i/": server,
    },
  },
});
