import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    name: "mock",
    include: ["test/**/*.test.ts"],
    // Each file starts its own Prism process, which takes one to three seconds.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
