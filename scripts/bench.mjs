#!/usr/bin/env node
// Workspace benchmark: a cold build, a no-op build (a turbo cache hit), and a spec edit followed by
// regeneration and type-checking. Then every package's own `bench` script runs, one at a time so they
// do not compete for the CPU. Results go to stdout and to .reports/bench-workspace.json.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, writeFileSync, existsSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";

const usage = `Usage: pnpm bench [--workspace-only] [--packages-only]

Measures, on this machine:
  cold build      turbo run build --force (every task runs, nothing from the cache)
  no-op build     pnpm build right after (every task is a turbo cache hit)
  spec edit round a description in the spec changes, then turbo run typecheck regenerates the
                  bundle and the types and type-checks every consumer
Then runs the bench script of each package that has one (client, server, console).

Options:
  --workspace-only   skip the package benchmarks
  --packages-only    skip the workspace measurements
  --help             show this text`;

const args = new Set(process.argv.slice(2));
if (args.has("--help") || args.has("-h")) {
  console.log(usage);
  process.exit(0);
}

const env = { ...process.env, TURBO_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1" };
const specFile = join("spec", "components", "schemas", "Tenant.yaml");

function timed(label, command, commandArgs) {
  process.stdout.write(`… ${label}: ${command} ${commandArgs.join(" ")}\n`);
  const started = process.hrtime.bigint();
  const result = spawnSync(command, commandArgs, { env, stdio: ["ignore", "ignore", "pipe"] });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) {
    throw new Error(`${label} failed with exit code ${result.status}:\n${result.stderr.toString().slice(-2000)}`);
  }
  process.stdout.write(`✓ ${label}: ${seconds.toFixed(2)} s\n`);
  return seconds;
}

function benchWorkspace() {
  const cold = timed("cold build", "pnpm", ["turbo", "run", "build", "--force", "--output-logs=none"]);
  const noop = timed("no-op build", "pnpm", ["build", "--output-logs=none"]);

  const original = readFileSync(specFile, "utf8");
  let edit;
  try {
    writeFileSync(specFile, original.replace(/^description: (.*)$/m, `description: $1 (benchmark edit ${Date.now()})`));
    edit = timed("spec edit → regenerate + typecheck", "pnpm", ["turbo", "run", "typecheck", "--output-logs=none"]);
  } finally {
    writeFileSync(specFile, original);
  }
  timed("restore after the edit", "pnpm", ["turbo", "run", "typecheck", "--output-logs=none"]);

  return { coldBuildSeconds: cold, noopBuildSeconds: noop, specEditRoundSeconds: edit };
}

function benchPackages() {
  const folders = ["packages", "apps"].flatMap((root) =>
    readdirSync(root).map((name) => join(root, name)),
  );
  for (const folder of folders) {
    const manifestPath = join(folder, "package.json");
    if (!existsSync(manifestPath)) continue;
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
    if (!manifest.scripts?.bench) continue;

    console.log(`\n=== ${manifest.name}: pnpm --filter ${manifest.name} run bench`);
    const result = spawnSync("pnpm", ["--filter", manifest.name, "run", "bench"], { env, stdio: "inherit" });
    if (result.status !== 0) {
      console.error(`${manifest.name} benchmark failed with exit code ${result.status}`);
      process.exitCode = 1;
    }
  }
}

const machine = `${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
console.log(`Machine: ${machine}`);

if (!args.has("--packages-only")) {
  const results = benchWorkspace();
  console.log("\n| measurement | seconds | target |");
  console.log("| --- | ---: | --- |");
  console.log(`| cold build | ${results.coldBuildSeconds.toFixed(2)} | none |`);
  console.log(`| no-op build (cache hit) | ${results.noopBuildSeconds.toFixed(2)} | under 2 s |`);
  console.log(`| spec edit → regenerate + typecheck | ${results.specEditRoundSeconds.toFixed(2)} | under 10 s |`);
  console.log(`| no-op / cold | ${(results.noopBuildSeconds / results.coldBuildSeconds).toFixed(3)} | |`);
  mkdirSync(".reports", { recursive: true });
  writeFileSync(join(".reports", "bench-workspace.json"), JSON.stringify({ machine, ...results }, null, 2));
}

if (!args.has("--workspace-only")) {
  benchPackages();
}

