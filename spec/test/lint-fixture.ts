import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** One problem of a lint run, located by the file that contains it and a JSON pointer into it. */
export interface LintProblem {
  ruleId: string;
  message: string;
  file: string;
  pointer: string;
}

interface JsonReport {
  problems: Array<{
    ruleId: string;
    message: string;
    location: Array<{ source: { ref: string }; pointer: string }>;
  }>;
}

const specDir = fileURLToPath(new URL("..", import.meta.url));
const configPath = join(specDir, "redocly.yaml");
const cliPackage = createRequire(import.meta.url).resolve("@redocly/cli/package.json");
const cliPath = join(dirname(cliPackage), "bin", "cli.js");

/**
 * Lints a fixture with the spec's own redocly.yaml, so a rule that is removed from the config or
 * broken fails the tests. `files` maps relative paths to YAML text, and `openapi.yaml` is the root.
 * The real CLI runs in a temporary folder that is removed afterwards.
 */
export async function lintFixture(files: Record<string, string>): Promise<LintProblem[]> {
  const dir = await mkdtemp(join(tmpdir(), "fruxon-spec-lint-"));
  try {
    for (const [path, text] of Object.entries(files)) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), text);
    }

    const args = [cliPath, "lint", "openapi.yaml", "--config", configPath, "--format", "json"];
    const stdout = await runCli([...args, "--max-problems", "10000"], dir);
    const report = JSON.parse(stdout) as JsonReport;

    return report.problems.map((problem) => ({
      ruleId: problem.ruleId,
      message: problem.message,
      file: problem.location[0]?.source.ref ?? "",
      pointer: problem.location[0]?.pointer ?? "",
    }));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs the CLI and returns its standard output; exit code 1 only means that problems were found. */
function runCli(args: string[], cwd: string): Promise<string> {
  const env = { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" };

  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd, env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (stdout.trimStart().startsWith("{")) {
        resolve(stdout);
        return;
      }
      reject(new Error(`redocly lint printed no JSON report (${error?.message ?? "exit 0"}):\n${stderr}`));
    });
  });
}
