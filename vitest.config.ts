import { defineConfig } from "vitest/config";

// One run over every workspace project, so the JSON report below counts the whole suite.
export default defineConfig({
  test: {
    projects: ["spec", "packages/*", "apps/*"],
    // At most two test files at once across all projects: the crash, scale-out and browser suites
    // start processes of their own, and CI machines have two cores.
    maxWorkers: 2,
    reporters: ["default", ["json", { outputFile: ".reports/vitest.json" }]],
  },
});
