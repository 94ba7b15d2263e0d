import { defineConfig } from "vitest/config";

// One run over every workspace project, so the JSON report below counts the whole suite.
export default defineConfig({
  test: {
    projects: ["spec", "packages/*", "apps/*"],
    reporters: ["default", ["json", { outputFile: ".reports/vitest.json" }]],
  },
});
