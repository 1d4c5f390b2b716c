import { defineConfig } from "vite";

// The site is static: relative asset paths so an export works from any folder.
export default defineConfig({
  base: "./",
  build: { outDir: process.env.DICTLAB_SITE_OUT ?? "dist", emptyOutDir: true },
  test: { include: ["tests/**/*.test.ts"] },
});
