/** The dashboard's build: a static site (relative paths, so it works under any prefix), Preact for its views. */
import { fileURLToPath } from "node:url";
import preact from "@preact/preset-vite";
import { defineConfig } from "vite";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "./",
  plugins: [preact()],
  // The API reference (Scalar, loaded on its page only) comes in large chunks; the first load stays small.
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 2000 },
  logLevel: "warn",
});
