import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    name: "docs",
    include: ["test/**/*.test.ts"],
    // Chromium starts in a few seconds; rendering the 2.5 MiB page takes about one more.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
