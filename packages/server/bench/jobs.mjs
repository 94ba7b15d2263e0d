#!/usr/bin/env node
// Benchmark of the long-running operations of the built server (dist/): a batch invite on SQLite and
// PostgreSQL with the emails it sends, and a large member export against a small one, comparing the
// peak memory of the server process. Prints a markdown table and writes .reports/bench-jobs.json at
// the repository root. `--help` lists the options.
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, loadavg, platform, release, totalmem } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { SignJWT } from "jose";

import { BenchTimeoutError, Deadline } from "./jobs/deadline.mjs";
import { USAGE, parseOptions } from "./jobs/options.mjs";
import { checkPostgres, describeUrl } from "./jobs/postgres.mjs";
import { formatMarkdown, memoryRatios } from "./jobs/report.mjs";
import { benchBatchInvite, benchExport, round } from "./jobs/scenarios.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const packageDir = resolve(here, "..");
const repositoryRoot = resolve(packageDir, "..", "..");

/** Load average above which the results are flagged as measured on a busy machine. */
const BUSY_LOAD = 3;

function progress(message) {
  process.stderr.write(`bench:jobs: ${message}\n`);
}

function currentLoad() {
  return loadavg().map((value) => round(value, 2));
}

/** Creates the ES256 key pair the servers trust, and a token for the admin who creates the tenants. */
async function createAdminCredentials(lifetimeSeconds) {
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const now = Math.floor(Date.now() / 1000);
  const adminToken = await new SignJWT({ email: "bench-admin@bench.example", email_verified: true, name: "Bench Admin" })
    .setProtectedHeader({ alg: "ES256", typ: "JWT" })
    .setSubject(`bench|${randomUUID()}`)
    .setIssuedAt(now)
    .setExpirationTime(now + lifetimeSeconds)
    .sign(privateKey);
  return { publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(), adminToken };
}

/** Runs one measurement; a failure other than the time limit is recorded with its message, and the run goes on. */
async function attempt(results, identity, measure) {
  try {
    results.push(await measure());
  } catch (error) {
    if (error instanceof BenchTimeoutError || error?.cause instanceof BenchTimeoutError) throw error;
    progress(`${Object.values(identity).join(" ")} failed: ${error.stack ?? error}`);
    results.push({ ...identity, error: error.message ?? String(error) });
  }
}

async function main() {
  let options;
  try {
    options = parseOptions(process.argv.slice(2), { env: process.env, packageDir, defaultReportPath: join(repositoryRoot, ".reports", "bench-jobs.json") });
  } catch (error) {
    process.stderr.write(`${error.message}\nRun with --help to see the options.\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!existsSync(options.serverEntry)) {
    process.stderr.write(`The server entry point ${options.serverEntry} does not exist. Build it first: cd ${repositoryRoot} && pnpm turbo run build --filter=@fruxon/server...\n`);
    return 2;
  }

  // machine
  const machine = { cpuModel: cpus()[0]?.model ?? "unknown", cpus: availableParallelism(), node: process.version, platform: `${platform()} ${release()}`, totalMemoryBytes: totalmem() };
  const load = { before: currentLoad(), after: [] };
  progress(`${machine.cpuModel}, ${machine.cpus} CPUs, Node ${machine.node}; load average ${load.before.join(" / ")}`);
  if (load.before[0] > BUSY_LOAD) progress(`the 1-minute load average is above ${BUSY_LOAD}: other work is running, so the times will be slower and noisier than on a quiet machine`);

  // time limit: on expiry, every server is stopped, every schema dropped and every folder removed
  const deadline = new Deadline(options.timeoutMs);
  const cleanups = new Set();
  let aborting;
  const abortRun = (reason, code) =>
    (aborting ??= (async () => {
      progress(reason);
      await Promise.allSettled([...cleanups].map((cleanup) => cleanup()));
      process.exit(code);
    })());
  deadline.signal.addEventListener("abort", () => void abortRun(deadline.signal.reason.message, 1), { once: true });
  for (const signal of ["SIGINT", "SIGTERM"]) process.once(signal, () => void abortRun(`stopped by ${signal}; cleaning up`, 130));

  // databases
  const postgres = { url: describeUrl(options.postgresUrl) };
  let databases = options.databases;
  if (databases.includes("postgres")) {
    const check = await checkPostgres(options.postgresUrl);
    if (check.reachable) {
      postgres.version = check.version;
      progress(`PostgreSQL ${check.version} at ${postgres.url}`);
    } else {
      postgres.skipped = `${check.reason}. Start PostgreSQL or pass --postgres <url> (or TEST_DATABASE_URL); --databases sqlite skips it.`;
      progress(`PostgreSQL skipped: ${postgres.skipped}`);
      databases = databases.filter((database) => database !== "postgres");
    }
  } else {
    postgres.skipped = "not requested (--databases)";
  }

  const credentials = await createAdminCredentials(Math.ceil(options.timeoutMs / 1000) + 600);
  const runtime = { options, deadline, progress, cleanups, ...credentials };
  const startedAt = new Date().toISOString();
  const batchInvites = [];
  const exports = [];

  try {
    for (const database of options.scenarios.includes("batch") ? databases : []) {
      await attempt(batchInvites, { database }, () => benchBatchInvite(runtime, database));
    }
    for (const database of options.scenarios.includes("export") ? databases : []) {
      for (const members of [options.baselineMembers, options.members]) {
        await attempt(exports, { database, members }, () => benchExport(runtime, database, members));
      }
    }
  } catch (error) {
    await abortRun(error.cause instanceof BenchTimeoutError ? error.cause.message : error.message, 1);
  }
  deadline.dispose();
  load.after = currentLoad();

  // report
  const report = {
    startedAt,
    finishedAt: new Date().toISOString(),
    command: `node ${relative(packageDir, fileURLToPath(import.meta.url))} ${process.argv.slice(2).join(" ")}`.trim(),
    machine,
    load,
    options: { batch: options.batch, members: options.members, baselineMembers: options.baselineMembers, databases: options.databases, scenarios: options.scenarios, settleSeconds: options.settleMs / 1000, timeoutSeconds: options.timeoutMs / 1000, logLevel: options.logLevel, nodeArgs: options.nodeArgs },
    postgres,
    timing: "doneMs = completedAt - createdAt of the operation (server clock); observedDoneMs = 202 received until waitForOperation saw DONE (polls at most once per second); emails.allWrittenMs = createdAt until the mtime of the last .eml file",
    batchInvites,
    exports,
    ratios: memoryRatios(exports, options.members, options.baselineMembers),
  };
  process.stdout.write(`${formatMarkdown(report)}\n`);
  await mkdir(dirname(options.reportPath), { recursive: true });
  await writeFile(options.reportPath, `${JSON.stringify(report, null, 2)}\n`);
  progress(`wrote ${options.reportPath}`);

  const failed = [...batchInvites, ...exports].filter((entry) => entry.error !== undefined).length;
  if (failed > 0) progress(`${failed} measurement(s) failed; see the messages above`);
  return failed > 0 ? 1 : 0;
}

process.exitCode = await main();
