// Prints "N passed, N failed" from vitest's JSON report, and exits non-zero when any test failed or
// the report is missing (lint, typecheck or build failed before the tests ran).
import { readFileSync } from "node:fs";

const reportPath = process.argv[2] ?? ".reports/vitest.json";

let report;
try {
  report = JSON.parse(readFileSync(reportPath, "utf8"));
} catch (error) {
  console.error(`No test report at ${reportPath} (${error.code ?? error.message}): lint, typecheck or build failed before the tests ran.`);
  console.log("0 passed, 1 failed");
  process.exit(1);
}

const passed = report.numPassedTests ?? 0;
// A file that fails before any test runs (an import error, a failing hook) has no failed test of its
// own, so it counts as one failure here.
const brokenFiles = (report.testResults ?? []).filter(
  (file) => file.status === "failed" && !file.assertionResults?.some((test) => test.status === "failed"),
).length;
const failed = (report.numFailedTests ?? 0) + brokenFiles;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);

if (passed === 0 && failed === 0) {
  // Vitest writes an empty report when it stops before running a file, for example on an invalid configuration.
  console.error(`The report at ${reportPath} counts no test: vitest stopped before running any; see its output above.`);
  console.log("0 passed, 1 failed");
  process.exit(1);
}

console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
