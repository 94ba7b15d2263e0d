import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [react()],
  test: {
    name: "console",
    include: ["test/**/*.test.ts", "test/**/*.test.tsx"],
    // Component tests run in happy-dom; the end-to-end files switch to Node with a
    // `@vitest-environment node` comment because they drive a real Chromium.
    environment: "happy-dom",
    setupFiles: ["test/setup.ts"],
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 90_000,
  },
});
