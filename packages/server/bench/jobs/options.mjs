import { resolve } from "node:path";
import { parseArgs } from "node:util";

export const DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/test";

export const USAGE = `Usage: pnpm --filter @fruxon/server bench:jobs [-- options]   (or: node bench/jobs.mjs [options])

Benchmarks the long-running operations of the built server (dist/; build it first with
pnpm turbo run build --filter=@fruxon/server...). Every server runs as a child process on
127.0.0.1 with its own temporary DATA_DIR (and, on PostgreSQL, its own schema, dropped afterwards),
the job worker in process and emails written as .eml files under DATA_DIR/outbox.

  1. Batch invite of --batch entries on SQLite and on PostgreSQL: time from the 202 to DONE, and
     the time until every .eml file exists, as emails per second.
  2. Export of --members members against an export of --baseline-members members, each in a fresh
     server process: time to DONE, CSV size and record count, and the server's peak resident memory
     (VmHWM from /proc/<pid>/status, reset when the export starts) with the ratio of the two peaks.

Members for the exports are inserted straight into the database; the export job then reads them
through the server. Progress goes to stderr, the markdown table to stdout, and the JSON report to
.reports/bench-jobs.json at the repository root.

Options:
  --batch <n>              entries of the batch invite, 1 to 1000 (the API's limit; default 1000)
  --members <n>            members of the large export, 1000 to 1000000 (default 100000)
  --baseline-members <n>   members of the comparison export, 100 to 1000000 (default 10000)
  --databases <list>       comma-separated, from sqlite and postgres (default sqlite,postgres)
  --scenarios <list>       comma-separated, from batch and export (default batch,export)
  --postgres <url>         PostgreSQL server to use (default TEST_DATABASE_URL, else
                           ${DEFAULT_POSTGRES_URL}); skipped with the reason when unreachable
  --settle <s>             seconds the idle server waits before each export, 0 to 120 (default 25),
                           so V8 has shrunk its heap and every export starts from a similar RSS
  --timeout <s>            the whole run must end within this many seconds, 60 to 7200 (default 900)
  --log-level <level>      LOG_LEVEL of the server processes (default info); logs go to a file
                           under each DATA_DIR, printed when a server fails
  --server <file>          server entry point to run (default dist/cli.js)
  --node-args <flags>      extra node flags for the server processes, space-separated, such as
                           "--trace-gc --max-semi-space-size=1"
  --keep-logs <dir>        copy each server's log into <dir> (as <scenario>.log) before removing its DATA_DIR
  --report <file>          where to write the JSON report (default .reports/bench-jobs.json)
  --help                   print this help and exit
`;

const DATABASES = ["sqlite", "postgres"];
const SCENARIOS = ["batch", "export"];
const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/** Parses the command line; throws an Error whose message names the invalid option and its range. */
/** Returns the option `--name` of parsed `values` as an integer, or throws when it is not one from `min` to `max`. */
export function integerOption(values, name, min, max) {
  const value = Number(values[name]);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`--${name} must be an integer from ${min} to ${max}, got "${values[name]}"`);
  return value;
}

export function parseOptions(argv, { env, packageDir, defaultReportPath }) {
  const { values } = parseArgs({
    args: argv.filter((argument) => argument !== "--"),
    options: {
      batch: { type: "string", default: "1000" },
      members: { type: "string", default: "100000" },
      "baseline-members": { type: "string", default: "10000" },
      databases: { type: "string", default: DATABASES.join(",") },
      scenarios: { type: "string", default: SCENARIOS.join(",") },
      postgres: { type: "string" },
      settle: { type: "string", default: "25" },
      timeout: { type: "string", default: "900" },
      "log-level": { type: "string", default: "info" },
      server: { type: "string", default: "dist/cli.js" },
      "node-args": { type: "string" },
      "keep-logs": { type: "string" },
      report: { type: "string" },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });

  const integer = (name, min, max) => integerOption(values, name, min, max);

  const list = (name, allowed) => {
    const items = values[name].split(",").map((item) => item.trim()).filter((item) => item !== "");
    if (items.length === 0 || items.some((item) => !allowed.includes(item))) {
      throw new Error(`--${name} must list ${allowed.join(" and/or ")} separated by commas, got "${values[name]}"`);
    }
    return allowed.filter((item) => items.includes(item));
  };
  const databases = list("databases", DATABASES);
  const scenarios = list("scenarios", SCENARIOS);
  if (!LOG_LEVELS.includes(values["log-level"])) throw new Error(`--log-level must be one of ${LOG_LEVELS.join(", ")}, got "${values["log-level"]}"`);

  const postgresUrl = values.postgres ?? env.TEST_DATABASE_URL ?? DEFAULT_POSTGRES_URL;
  if (databases.includes("postgres") && !/^postgres(ql)?:\/\//.test(postgresUrl)) {
    throw new Error(`--postgres must be a postgres:// URL such as ${DEFAULT_POSTGRES_URL}, got "${postgresUrl}"`);
  }

  const members = integer("members", 1000, 1_000_000);
  const baselineMembers = integer("baseline-members", 100, 1_000_000);
  if (baselineMembers >= members) throw new Error(`--baseline-members (${baselineMembers}) must be smaller than --members (${members}) for the memory comparison`);

  return {
    help: values.help,
    batch: integer("batch", 1, 1000),
    members,
    baselineMembers,
    databases,
    scenarios,
    postgresUrl,
    settleMs: integer("settle", 0, 120) * 1000,
    timeoutMs: integer("timeout", 60, 7200) * 1000,
    logLevel: values["log-level"],
    serverEntry: resolve(packageDir, values.server),
    nodeArgs: (values["node-args"] ?? "").split(" ").filter((flag) => flag !== ""),
    keepLogsDir: values["keep-logs"] === undefined ? undefined : resolve(values["keep-logs"]),
    reportPath: values.report === undefined ? defaultReportPath : resolve(values.report),
  };
}
