#!/usr/bin/env node
// HTTP benchmark of the built server (dist/) on SQLite, side by side with a bare Fastify app that sends
// the same fixed JSON and with the Prism mock, plus list latency with 100,000 members against 100.
// Prints a markdown table and writes .reports/bench-server.json at the repository root.
import { spawn } from "node:child_process";
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer as createNetServer } from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import autocannon from "autocannon";
import Database from "better-sqlite3";
import { SignJWT } from "jose";

import { integerOption } from "./jobs/options.mjs";

const USAGE = `Usage: pnpm --filter @fruxon/server bench [-- options]   (or: node bench/run.mjs [options])

Benchmarks the built server (dist/, build it first with
pnpm turbo run build --filter=@fruxon/server...) on SQLite against a bare Fastify app answering the
same fixed JSON, the same app logging each request as Fastify does by default, and the Prism mock,
with autocannon on 127.0.0.1. Each column also shows the CPU time per request of the process under
test, which varies far less than requests per second on a shared machine. Cases: GET one user, GET a
page of 25 members, PATCH a role (every request changes a row). Then the latency of a page of 25 and
of role changes in a tenant of --members members against one of 100. Writes
.reports/bench-server.json at the repository root.

Options:
  --duration <s>       seconds per case, 1 to 30 (default 5)
  --connections <n>    concurrent connections, 1 to 200 (default 50)
  --members <n>        members of the large tenant, 1000 to 1000000 (default 100000)
  --skip-prism         leave out the Prism mock column
  --cases <list>       cases to run, comma-separated from user, list, patch (default all three)
  --skip-scaling       leave out the comparisons of a tenant of 100 members with a large one
  --profile <dir>      run the server with --cpu-prof and write its CPU profile into <dir>
  --server <file>      server entry point to run (default dist/cli.js), to compare two builds
  --report <file>      where to write the JSON report (default .reports/bench-server.json)
  --help               print this help and exit
`;

const here = dirname(fileURLToPath(import.meta.url));
const packageDir = resolve(here, "..");
const repositoryRoot = resolve(packageDir, "..", "..");
const reportPath = join(repositoryRoot, ".reports", "bench-server.json");

/** Linux reports process CPU times in ticks of 1/100 s on every common platform. */
const CLOCK_TICKS_PER_SECOND = 100;
const CASE_KEYS = ["user", "list", "patch"];
/** The token subject of the benchmark's caller, who creates the tenants and so is their ADMIN. */
const CALLER_SUB = "bench|admin";
const TARGETS = { p99Ms: 20, readsVsBare: 0.5, vsPrism: 20, largeListVsSmall: 2, largeRoleChangeVsSmall: 2 };

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv.filter((argument) => argument !== "--"),
    options: {
      duration: { type: "string", default: "5" },
      connections: { type: "string", default: "50" },
      members: { type: "string", default: "100000" },
      "skip-prism": { type: "boolean", default: false },
      cases: { type: "string", default: "user,list,patch" },
      "skip-scaling": { type: "boolean", default: false },
      profile: { type: "string" },
      server: { type: "string", default: "dist/cli.js" },
      report: { type: "string" },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  const integer = (name, min, max) => integerOption(values, name, min, max);
  const cases = values.cases.split(",").map((name) => name.trim());
  const unknown = cases.filter((name) => !CASE_KEYS.includes(name));
  if (unknown.length > 0 || cases.length === 0) throw new Error(`--cases takes a comma-separated list from ${CASE_KEYS.join(", ")}, got "${values.cases}"`);
  return {
    help: values.help,
    cases,
    skipScaling: values["skip-scaling"],
    durationSeconds: integer("duration", 1, 30),
    connections: integer("connections", 1, 200),
    members: integer("members", 1000, 1_000_000),
    skipPrism: values["skip-prism"],
    profileDir: values.profile === undefined ? undefined : resolve(values.profile),
    serverEntry: resolve(packageDir, values.server),
    reportPath: values.report === undefined ? reportPath : resolve(values.report),
  };
}

function progress(message) {
  process.stderr.write(`bench: ${message}\n`);
}

async function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createNetServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/** Starts a child process in its own group and resolves once `readyUrl` responds with 200; `stop()` ends the group. */
async function startChild(name, args, { env, readyUrl, timeoutMs = 30_000 }) {
  const child = spawn(process.execPath, args, { cwd: packageDir, env: { ...process.env, ...env }, detached: true, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  let exited = false;
  child.once("exit", () => {
    exited = true;
  });
  const stop = async () => {
    if (exited) return;
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      return;
    }
    for (let waited = 0; waited < 5000 && !exited; waited += 50) await delay(50);
    if (!exited) process.kill(-child.pid, "SIGKILL");
  };
  process.once("exit", () => {
    if (!exited) process.kill(-child.pid, "SIGKILL");
  });

  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${name} exited before it was ready:\n${stderr}`);
    try {
      const response = await fetch(readyUrl);
      await response.arrayBuffer();
      if (response.ok) return { stop, pid: child.pid };
    } catch {
      // not listening yet
    }
    await delay(100);
  }
  await stop();
  throw new Error(`${name} was not ready at ${readyUrl} within ${timeoutMs} ms:\n${stderr}`);
}

/** Runs autocannon once and returns requests per second, latencies and error counts. */
async function measure(label, { url, method = "GET", headers = {}, body, requests, connections, durationSeconds }) {
  progress(`${label}: ${connections} connections for ${durationSeconds} s`);
  const result = await autocannon({
    url,
    method,
    headers,
    connections,
    duration: durationSeconds,
    ...(body === undefined ? {} : { body }),
    ...(requests === undefined ? {} : { requests }),
  });
  const bad = result.non2xx + result.errors + result.timeouts;
  if (bad > 0) progress(`${label}: ${result.non2xx} non-2xx responses, ${result.errors} errors, ${result.timeouts} timeouts`);
  return {
    requestsPerSecond: Math.round(result.requests.average),
    total: result.requests.total,
    latencyMs: { mean: round(result.latency.mean), p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

/** User plus system CPU seconds of a process so far, from /proc; undefined where there is no /proc. */
async function processCpuSeconds(pid) {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th fields.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

function round(value, digits = 2) {
  return Math.round(value * 10 ** digits) / 10 ** digits;
}

async function api(baseUrl, token, method, path, body) {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} failed with status ${response.status}: ${text}`);
  return text === "" ? undefined : JSON.parse(text);
}

/** Inserts `count` ACTIVE members (each with a profile) into a tenant, straight into the SQLite file. */
function seedMembers(databasePath, tenantId, count, prefix) {
  const db = new Database(databasePath);
  db.pragma("busy_timeout = 10000");
  const insertAccount = db.prepare(
    "INSERT INTO accounts (sub, email, email_verified, first_name, last_name, avatar_file_id, created_at, modified_at) VALUES (?, ?, 1, ?, ?, NULL, ?, ?)",
  );
  const insertMember = db.prepare(
    "INSERT INTO members (id, tenant_id, email, email_lower, account_sub, role, status, version, created_at, modified_at) VALUES (?, ?, ?, ?, ?, 'MEMBER', 'ACTIVE', 1, ?, ?)",
  );
  const start = Date.now() - count;
  db.transaction(() => {
    for (let index = 0; index < count; index++) {
      const email = `${prefix}${index}@bench.example`;
      const sub = `bench|${prefix}${index}`;
      const at = start + index;
      insertAccount.run(sub, email, `First${index}`, `Last${index}`, at, at);
      insertMember.run(randomUUID(), tenantId, email, email, sub, at, at);
    }
  })();
  db.pragma("optimize");
  db.close();
}

/**
 * autocannon requests that change roles in a tenant: request k flips member k mod n, from its role at the
 * start on even rounds and back on odd ones. A member's next request thus comes n requests later, by
 * when the previous one has nearly always completed, so nearly every request changes a row (the
 * benchmark checks 99 %). With one member for all connections, most requests would ask for the role it
 * already has. autocannon resets a connection's context after each request, so the count cannot live
 * there.
 */
function rolePatches(tenant, members, headers) {
  let count = 0;
  return [
    {
      method: "PATCH",
      headers,
      setupRequest: (request) => {
        const k = count++;
        const member = members[k % members.length];
        const flipped = member.role === "ADMIN" ? "MEMBER" : "ADMIN";
        const role = Math.floor(k / members.length) % 2 === 0 ? flipped : member.role;
        return { ...request, path: `/v1/tenants/${tenant}/users/${member.id}`, body: JSON.stringify({ role }) };
      },
    },
  ];
}

/**
 * Throws unless at least 99 % of a PATCH run's counted responses changed a row. Requests still in
 * flight when autocannon stops are served but not counted, so a few more rows than responses is normal.
 */
function checkRowsChanged(label, result) {
  if (result.rowsChanged >= 0.99 * result.total) return;
  throw new Error(
    `${label}: only ${result.rowsChanged} of ${result.total} PATCH requests changed a row (${result.non2xx} non-2xx responses). ` +
      "Check that the requested roles still alternate with the members' roles.",
  );
}

/** Reads the ids and roles of a tenant's first 1,000 members other than the benchmark's caller from the SQLite file. */
function otherMembers(databasePath, tenantId) {
  return readDatabase(databasePath, (db) =>
    db.prepare("SELECT id, role FROM members WHERE tenant_id = ? AND account_sub <> ? ORDER BY created_at LIMIT 1000").all(tenantId, CALLER_SUB));
}

/** Returns the sum of the versions of a tenant's members, which each change of a member raises by one. */
function versionSum(databasePath, tenantId) {
  return readDatabase(databasePath, (db) => db.prepare("SELECT sum(version) FROM members WHERE tenant_id = ?").pluck().get(tenantId));
}

function readDatabase(databasePath, read) {
  const db = new Database(databasePath, { readonly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

function ratio(numerator, denominator) {
  return denominator > 0 ? round(numerator / denominator) : null;
}

function check(passed) {
  return passed ? "met" : "MISSED";
}

async function main() {
  let options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error.message}\nRun with --help to see the usage.\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!existsSync(options.serverEntry)) {
    process.stderr.write(`bench: ${options.serverEntry} is missing; build first: pnpm turbo run build --filter=@fruxon/server...\n`);
    return 1;
  }

  const { durationSeconds, connections } = options;
  const loadBefore = loadavg().map((value) => round(value));
  progress(`load average before: ${loadBefore.join(", ")} on ${cpus().length} CPUs`);

  const keys = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({ email: "bench-admin@bench.example", email_verified: true, name: "Bench Admin" })
    .setProtectedHeader({ alg: "ES256", typ: "JWT" })
    .setSubject(CALLER_SUB)
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(keys.privateKey);
  const authorization = `Bearer ${token}`;

  const dataDir = await mkdtemp(join(tmpdir(), "fruxon-bench-"));
  const stops = [];
  try {
    // (a) the server, from dist/, as its own process
    const serverPort = await freePort();
    const serverUrl = `http://127.0.0.1:${serverPort}`;
    progress(`starting the server (${options.serverEntry}) on ${serverUrl}, data in ${dataDir}`);
    const profileArgs = options.profileDir === undefined ? [] : ["--cpu-prof", "--cpu-prof-interval", "100", "--cpu-prof-dir", options.profileDir];
    const server = await startChild("server", [...profileArgs, options.serverEntry], {
      env: {
        HOST: "127.0.0.1",
        PORT: String(serverPort),
        DATA_DIR: dataDir,
        PUBLIC_URL: serverUrl,
        AUTH_PUBLIC_KEY: keys.publicKey.export({ type: "spki", format: "pem" }).toString(),
        RATE_LIMIT_PER_MINUTE: "1000000",
        LOG_LEVEL: process.env.LOG_LEVEL ?? "info",
        WORKER: "off",
      },
      readyUrl: `${serverUrl}/readyz`,
    });
    stops.push(server.stop);

    // seed: tenants through the API (the caller becomes their ADMIN), members straight into the database
    progress(`seeding 100 members in "bench" and ${options.members} in "big"`);
    const bench = await api(serverUrl, token, "POST", "/v1/tenants", { slug: "bench", displayName: "Bench" });
    const big = await api(serverUrl, token, "POST", "/v1/tenants", { slug: "big", displayName: "Big" });
    const databasePath = join(dataDir, "fruxon.db");
    seedMembers(databasePath, bench.id, 99, "small");
    seedMembers(databasePath, big.id, options.members - 1, "big");
    const page = await api(serverUrl, token, "GET", "/v1/tenants/bench/users?pageSize=25");
    const target = page.items.find((user) => user.role === "MEMBER");
    const user = await api(serverUrl, token, "GET", `/v1/tenants/bench/users/${target.id}`);
    if (page.totalCount !== 100 || page.items.length !== 25) throw new Error(`the bench tenant lists ${page.totalCount} members, expected 100`);

    // (b) a bare Fastify app with the same JSON
    const fixturesPath = join(dataDir, "fixtures.json");
    await writeFile(fixturesPath, JSON.stringify({ user, page }));
    const barePort = await freePort();
    const bareUrl = `http://127.0.0.1:${barePort}`;
    progress(`starting bare Fastify on ${bareUrl}`);
    const bare = await startChild("bare fastify", ["bench/bare-fastify.mjs", fixturesPath, String(barePort)], {
      env: {},
      readyUrl: `${bareUrl}/v1/tenants/bench/users/${user.id}`,
    });
    stops.push(bare.stop);
    // (d) the same app logging each request as Fastify does by default: what logging alone costs
    const loggingPort = await freePort();
    const loggingUrl = `http://127.0.0.1:${loggingPort}`;
    progress(`starting bare Fastify with request logging on ${loggingUrl}`);
    const logging = await startChild("bare fastify with logging", ["bench/bare-fastify.mjs", fixturesPath, String(loggingPort), "--log"], {
      env: {},
      readyUrl: `${loggingUrl}/v1/tenants/bench/users/${user.id}`,
    });
    stops.push(logging.stop);

    // (c) the Prism mock
    let prism;
    if (!options.skipPrism) {
      progress("starting the Prism mock");
      const { startMock } = await import("@fruxon/mock");
      prism = await startMock({ timeoutMs: 60_000 });
      stops.push(() => prism.stop());
    }

    const json = { authorization, "content-type": "application/json" };
    const patchTargets = otherMembers(databasePath, bench.id).filter(({ id }) => id !== user.id);
    const userPath = `/v1/tenants/bench/users/${user.id}`;
    const cases = [
      { key: "user", name: "GET one user", kind: "read", request: { path: userPath } },
      { key: "list", name: "GET page of 25 members", kind: "read", request: { path: "/v1/tenants/bench/users?pageSize=25" } },
      {
        key: "patch",
        name: "PATCH role",
        kind: "write",
        request: {
          path: userPath,
          method: "PATCH",
          requests: rolePatches("bench", patchTargets, json),
        },
      },
    ];
    const targets = [
      { key: "server", label: "server (SQLite)", baseUrl: serverUrl, pid: server.pid },
      { key: "bare", label: "bare Fastify", baseUrl: bareUrl, pid: bare.pid },
      { key: "bareLogging", label: "bare Fastify with request logs", baseUrl: loggingUrl, pid: logging.pid },
      ...(prism === undefined ? [] : [{ key: "prism", label: "Prism mock", baseUrl: prism.url }]),
    ];

    const results = [];
    // CPU time per request of the process under test: unlike requests per second, it barely moves
    // when other work shares the machine's cores.
    for (const benchCase of cases.filter(({ key }) => options.cases.includes(key))) {
      const row = { case: benchCase.name, kind: benchCase.kind };
      for (const { key, label, baseUrl, pid } of targets) {
        const cpuBefore = pid === undefined ? undefined : await processCpuSeconds(pid);
        const versionsBefore = benchCase.kind === "write" && key === "server" ? versionSum(databasePath, bench.id) : undefined;
        const { path, method = "GET", requests } = benchCase.request;
        row[key] = await measure(`${benchCase.name} on ${label}`, {
          url: `${baseUrl}${path}`,
          method,
          headers: { authorization },
          ...(requests === undefined ? {} : { requests }),
          connections,
          durationSeconds,
        });
        const cpuAfter = pid === undefined ? undefined : await processCpuSeconds(pid);
        if (cpuBefore !== undefined && cpuAfter !== undefined && row[key].total > 0) {
          row[key].cpuMicrosecondsPerRequest = Math.round(((cpuAfter - cpuBefore) * 1e6) / row[key].total);
        }
        if (versionsBefore !== undefined) {
          row[key].rowsChanged = versionSum(databasePath, bench.id) - versionsBefore;
          progress(`${benchCase.name} on ${label}: ${row[key].rowsChanged} rows changed by ${row[key].total} counted responses`);
          // With more connections than members, two connections may request the same role for one member.
          if (connections <= patchTargets.length) checkRowsChanged(`${benchCase.name} on ${label}`, row[key]);
        }
      }
      row.serverVsBare = ratio(row.server.requestsPerSecond, row.bare.requestsPerSecond);
      row.serverVsBareLogging = ratio(row.server.requestsPerSecond, row.bareLogging.requestsPerSecond);
      row.serverVsPrism = row.prism === undefined ? null : ratio(row.server.requestsPerSecond, row.prism.requestsPerSecond);
      results.push(row);
    }

    // list latency: 100 members against options.members members
    const listConnections = Math.min(connections, 10);
    let listScaling = null;
    if (!options.skipScaling) {
    const small = await measure("GET page of 25 in a tenant of 100", { url: `${serverUrl}/v1/tenants/bench/users?pageSize=25`, headers: { authorization }, connections: listConnections, durationSeconds });
    const large = await measure(`GET page of 25 in a tenant of ${options.members}`, { url: `${serverUrl}/v1/tenants/big/users?pageSize=25`, headers: { authorization }, connections: listConnections, durationSeconds });
    listScaling = { connections: listConnections, smallMembers: 100, largeMembers: options.members, small, large, latencyRatio: ratio(large.latencyMs.mean, small.latencyMs.mean) };
    }

    // role changes: 100 members against options.members members; half of them demote an ADMIN, which
    // first counts the tenant's ACTIVE admins
    let roleScaling = null;
    if (!options.skipScaling) {
      const changeRoles = async (tenant, members) => {
        const targets = otherMembers(databasePath, tenant.id).filter(({ id }) => id !== user.id).slice(0, 50);
        const before = versionSum(databasePath, tenant.id);
        const result = await measure(`PATCH role in a tenant of ${members}`, {
          url: `${serverUrl}/v1/tenants/${tenant.slug}/users/${targets[0].id}`,
          method: "PATCH",
          requests: rolePatches(tenant.slug, targets, json),
          connections: listConnections,
          durationSeconds,
        });
        result.rowsChanged = versionSum(databasePath, tenant.id) - before;
        checkRowsChanged(`PATCH role in tenant ${tenant.slug}`, result);
        return result;
      };
      const small = await changeRoles(bench, 100);
      const large = await changeRoles(big, options.members);
      roleScaling = { connections: listConnections, smallMembers: 100, largeMembers: options.members, small, large, latencyRatio: ratio(large.latencyMs.mean, small.latencyMs.mean) };
    }

    const loadAfter = loadavg().map((value) => round(value));
    const report = {
      generatedAt: new Date().toISOString(),
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version, platform: process.platform, loadAverageBefore: loadBefore, loadAverageAfter: loadAfter },
      settings: { server: options.serverEntry, connections, durationSeconds, members: options.members, serverLogLevel: process.env.LOG_LEVEL ?? "info", database: "SQLite (WAL) in a temporary folder" },
      targets: TARGETS,
      cases: results,
      listScaling,
      roleScaling,
    };
    report.verdicts = verdicts(report);
    await mkdir(dirname(options.reportPath), { recursive: true });
    await writeFile(options.reportPath, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`${markdown(report)}\nReport written to ${options.reportPath}\n`);
    return 0;
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  }
}

function verdicts(report) {
  const list = [];
  for (const row of report.cases) {
    if (row.kind === "read") list.push({ target: `${row.case}: server >= ${TARGETS.readsVsBare}x bare Fastify`, value: row.serverVsBare, result: check(row.serverVsBare >= TARGETS.readsVsBare) });
    if (row.serverVsPrism !== null) list.push({ target: `${row.case}: server >= ${TARGETS.vsPrism}x Prism`, value: row.serverVsPrism, result: check(row.serverVsPrism >= TARGETS.vsPrism) });
    list.push({ target: `${row.case}: server p99 < ${TARGETS.p99Ms} ms`, value: row.server.latencyMs.p99, result: check(row.server.latencyMs.p99 < TARGETS.p99Ms) });
  }
  const results = report.cases.flatMap((row) => ["server", "bare", "bareLogging", "prism"].map((key) => row[key]).filter(Boolean));
  const { listScaling } = report;
  if (listScaling !== null) results.push(listScaling.small, listScaling.large);
  if (report.roleScaling !== null) results.push(report.roleScaling.small, report.roleScaling.large);
  const bad = results.reduce((sum, result) => sum + result.non2xx + result.errors + result.timeouts, 0);
  list.push({ target: "every response 2xx (no errors, no timeouts)", value: bad, result: check(bad === 0) });
  if (listScaling !== null) list.push({
    target: `list of ${listScaling.largeMembers} within ${TARGETS.largeListVsSmall}x of ${listScaling.smallMembers}`,
    value: listScaling.latencyRatio,
    result: check(listScaling.latencyRatio <= TARGETS.largeListVsSmall),
  });
  const { roleScaling } = report;
  if (roleScaling !== null) list.push({
    target: `role change in ${roleScaling.largeMembers} within ${TARGETS.largeRoleChangeVsSmall}x of ${roleScaling.smallMembers}`,
    value: roleScaling.latencyRatio,
    result: check(roleScaling.latencyRatio <= TARGETS.largeRoleChangeVsSmall),
  });
  return list;
}

function scalingLines(title, scaling) {
  if (scaling === null) return [];
  return [
    `${title} (${scaling.connections} connections):`,
    "",
    "| members in the tenant | req/s | mean | p50 | p99 |",
    "| --- | --- | --- | --- | --- |",
    ...[
      [scaling.smallMembers, scaling.small],
      [scaling.largeMembers, scaling.large],
    ].map(([members, result]) => `| ${members} | ${result.requestsPerSecond} | ${result.latencyMs.mean} ms | ${result.latencyMs.p50} ms | ${result.latencyMs.p99} ms |`),
    "",
    `Ratio of mean latencies: ${scaling.latencyRatio}`,
    "",
  ];
}

function markdown(report) {
  const cpu = (result) => (result.cpuMicrosecondsPerRequest === undefined ? "" : `, ${result.cpuMicrosecondsPerRequest} µs CPU/request`);
  const cell = (result) => (result === undefined ? "n/a" : `${result.requestsPerSecond} req/s, p99 ${result.latencyMs.p99} ms${cpu(result)}`);
  const lines = [
    `## Server benchmark (${report.settings.connections} connections, ${report.settings.durationSeconds} s per case, load ${report.machine.loadAverageBefore.join("/")} on ${report.machine.cpus} CPUs)`,
    "",
    "| case | (a) server, SQLite | (b) bare Fastify | (c) Prism mock | (d) bare Fastify with request logs | a/b | a/c | a/d |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ...report.cases.map(
      (row) =>
        `| ${row.case} | ${cell(row.server)} | ${cell(row.bare)} | ${cell(row.prism)} | ${cell(row.bareLogging)} | ${row.serverVsBare ?? "n/a"} | ${row.serverVsPrism ?? "n/a"} | ${row.serverVsBareLogging ?? "n/a"} |`,
    ),
    "",
    ...scalingLines("List latency (GET page of 25)", report.listScaling),
    ...scalingLines("Role change latency (PATCH role, every other request a demotion)", report.roleScaling),
    "| target | value | result |",
    "| --- | --- | --- |",
    ...report.verdicts.map((verdict) => `| ${verdict.target} | ${verdict.value} | ${verdict.result} |`),
  ];
  return `${lines.join("\n")}\n`;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`bench: ${error.stack ?? error}\n`);
    process.exit(1);
  },
);
