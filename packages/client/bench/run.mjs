#!/usr/bin/env node
// Benchmarks @fruxon/client against what it builds on: bundle size added on top of openapi-fetch,
// tree-shaking of the helpers, and per-request overhead against bare openapi-fetch and raw fetch.
// Run after `pnpm build`: `node bench/run.mjs` (see --help).
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import os from "node:os";

import { build } from "esbuild";
import createClient from "openapi-fetch";

import { createFruxonClient } from "../dist/index.js";

const HELP = `Usage: node bench/run.mjs [options]

Measures the bundle size that @fruxon/client adds on top of openapi-fetch and its per-request
overhead against bare openapi-fetch and raw fetch on a loopback node:http server. The clients take
turns in each round, so all of them see the same machine load; on a busy machine the ratios still
moved by about 15 % from one run to the next, so compare runs on an idle machine.

Options:
  --only <size|speed>     run one part only (default: both)
  --rounds <n>            interleaved rounds per client (default 30)
  --requests <n>          requests per client per round (default 500)
  --concurrency <n>       requests in flight per client (default 1 and 16: one run each)
  --floor                 also run two minimal openapi-fetch clients, with and without a timeout,
                          which show the minimum overhead of any client on openapi-fetch
  --json                  print the results as JSON instead of tables
  --check                 exit with status 1 when a result is over its budget (4 kB added, 10 % slower)
  -h, --help              show this help
`;

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const SIZE_BUDGET_BYTES = 4096;
const OVERHEAD_BUDGET = 0.1;
// Messages that only the helpers contain; none may survive in a bundle that uses createFruxonClient alone.
const HELPER_ONLY_STRINGS = ["a second time", "waitForOperation:", "uploadFile:", "/operations/{operation}", "/storage"];

function parseOptions() {
  const { values } = parseArgs({
    options: {
      only: { type: "string" },
      rounds: { type: "string", default: "30" },
      requests: { type: "string", default: "500" },
      concurrency: { type: "string", multiple: true },
      floor: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      check: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  if (values.only !== undefined && values.only !== "size" && values.only !== "speed") {
    throw new Error(`--only must be "size" or "speed", got "${values.only}"`);
  }
  const positive = (name, text) => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1) {
      throw new Error(`--${name} must be a positive integer, got "${text}"`);
    }
    return value;
  };
  return {
    only: values.only,
    rounds: positive("rounds", values.rounds),
    requests: positive("requests", values.requests),
    concurrency: (values.concurrency ?? ["1", "16"]).map((text) => positive("concurrency", text)),
    floor: values.floor,
    json: values.json,
    check: values.check,
  };
}

// size

async function bundle(source) {
  const result = await build({
    stdin: { contents: source, resolveDir: packageDir, loader: "js" },
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  const code = result.outputFiles[0].text;
  return { code, minified: Buffer.byteLength(code), gzipped: gzipSync(code, { level: 9 }).length };
}

async function measureSize() {
  const base = await bundle(`
    import createClient from "openapi-fetch";
    export const client = createClient({ baseUrl: "https://api.example.com" });
  `);
  const full = await bundle(`
    import * as fruxon from "@fruxon/client";
    export const client = fruxon.createFruxonClient({ baseUrl: "https://api.example.com" });
    export const helpers = [fruxon.paginate, fruxon.waitForOperation, fruxon.uploadFile, fruxon.unwrap];
    export const errors = [fruxon.ProblemError, fruxon.NetworkError, fruxon.TimeoutError, fruxon.AbortError, fruxon.OperationFailedError];
  `);
  const core = await bundle(`
    import { createFruxonClient } from "@fruxon/client";
    export const client = createFruxonClient({ baseUrl: "https://api.example.com" });
  `);
  const leaked = HELPER_ONLY_STRINGS.filter((text) => core.code.includes(text));
  const missing = HELPER_ONLY_STRINGS.filter((text) => !full.code.includes(text));
  return {
    openapiFetch: { minified: base.minified, gzipped: base.gzipped },
    everything: { minified: full.minified, gzipped: full.gzipped },
    clientOnly: { minified: core.minified, gzipped: core.gzipped },
    addedGzipped: full.gzipped - base.gzipped,
    addedGzippedClientOnly: core.gzipped - base.gzipped,
    budgetBytes: SIZE_BUDGET_BYTES,
    helperStringsInClientOnlyBundle: leaked,
    helperStringsMissingFromFullBundle: missing,
  };
}

// speed

async function startServer() {
  const child = spawn(process.execPath, [join(packageDir, "bench", "server.mjs")], { stdio: ["ignore", "pipe", "inherit"] });
  const [chunk] = await once(child.stdout, "data");
  const port = Number(String(chunk).trim());
  if (!Number.isInteger(port)) {
    child.kill();
    throw new Error(`bench server printed "${String(chunk).trim()}" instead of its port`);
  }
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill("SIGTERM") };
}

function makeClients(baseUrl, floor) {
  const token = "bench-token";
  const tenant = "acme";

  const raw = async () => {
    const response = await fetch(`${baseUrl}/v1/tenants/${encodeURIComponent(tenant)}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const data = await response.json();
    if (!response.ok || data.slug !== tenant) throw new Error(`raw fetch: unexpected response ${response.status}`);
  };

  // What an AbortSignal alone costs the built-in fetch, for comparison with the client's timeout.
  const rawWithSignal = async () => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 30_000);
    const response = await fetch(`${baseUrl}/v1/tenants/${encodeURIComponent(tenant)}`, {
      headers: { authorization: `Bearer ${token}` },
      signal: controller.signal,
    });
    const data = await response.json();
    clearTimeout(timer);
    if (!response.ok || data.slug !== tenant) throw new Error(`raw fetch with signal: unexpected response ${response.status}`);
  };

  const bare = createClient({ baseUrl, headers: { authorization: `Bearer ${token}` } });
  const openapiFetch = async () => {
    const { data, error } = await bare.GET("/v1/tenants/{tenant}", { params: { path: { tenant } } });
    if (error !== undefined || data.slug !== tenant) throw new Error("openapi-fetch: unexpected response");
  };

  // Every feature on: token, request id, per-attempt timeout, retries armed, logger gated off.
  const fruxon = createFruxonClient({ baseUrl, token, timeoutMs: 30_000, maxRetries: 2, logger: console, logLevel: "warn" });
  const fruxonClient = async () => {
    const { data, error } = await fruxon.GET("/v1/tenants/{tenant}", { params: { path: { tenant } } });
    if (error !== undefined || data.slug !== tenant) throw new Error("@fruxon/client: unexpected response");
  };

  // The same client without a timeout, to show what the per-attempt AbortSignal costs.
  const untimed = createFruxonClient({ baseUrl, token, timeoutMs: 0, maxRetries: 2, logger: console, logLevel: "warn" });
  const fruxonUntimed = async () => {
    const { data, error } = await untimed.GET("/v1/tenants/{tenant}", { params: { path: { tenant } } });
    if (error !== undefined || data.slug !== tenant) throw new Error("@fruxon/client without timeout: unexpected response");
  };

  const clients = {
    "raw fetch": raw,
    "raw fetch + AbortSignal": rawWithSignal,
    "openapi-fetch": openapiFetch,
    "@fruxon/client": fruxonClient,
    "@fruxon/client, timeoutMs 0": fruxonUntimed,
  };
  if (floor) {
    // The minimum work of a client on openapi-fetch: no middleware, no request id, no retries, and
    // instead of a Request the init that openapi-fetch built it from, so the built-in fetch builds the
    // only one. The timed variant adds one AbortController and timer per request and clears the timer
    // when the headers arrive, earlier than a timeout that covers the body can.
    function PlainRequest(url, init) {
      init.url = url;
      return init;
    }
    const minimal = createClient({ baseUrl, headers: { authorization: `Bearer ${token}` }, Request: PlainRequest, fetch: (request) => fetch(request.url, request) });
    const minimalTimed = createClient({
      baseUrl,
      headers: { authorization: `Bearer ${token}` },
      Request: PlainRequest,
      fetch: (request) => {
        const controller = new AbortController();
        const timer = setTimeout(() => controller.abort(), 30_000);
        return fetch(request.url, { ...request, signal: controller.signal }).finally(() => clearTimeout(timer));
      },
    });
    clients["minimal client"] = async () => {
      const { data, error } = await minimal.GET("/v1/tenants/{tenant}", { params: { path: { tenant } } });
      if (error !== undefined || data.slug !== tenant) throw new Error("minimal openapi-fetch client: unexpected response");
    };
    clients["minimal client + timeout"] = async () => {
      const { data, error } = await minimalTimed.GET("/v1/tenants/{tenant}", { params: { path: { tenant } } });
      if (error !== undefined || data.slug !== tenant) throw new Error("minimal openapi-fetch client with timeout: unexpected response");
    };
  }
  return clients;
}

/** Sends `requests` requests, `concurrency` at a time; returns req/s and this process's CPU µs per request. */
async function runBatch(send, requests, concurrency) {
  let next = 0;
  const worker = async () => {
    while (next < requests) {
      next++;
      await send();
    }
  };
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  return { rate: requests / seconds, cpuMicros: (cpu.user + cpu.system) / requests };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

async function measureSpeed(options) {
  const server = await startServer();
  try {
    const clients = makeClients(server.url, options.floor);
    const names = Object.keys(clients);
    const results = [];
    for (const concurrency of options.concurrency) {
      // warm-up: connections, JIT
      for (const name of names) {
        await runBatch(clients[name], Math.min(500, options.requests), concurrency);
      }
      const rateSamples = Object.fromEntries(names.map((name) => [name, []]));
      const cpuSamples = Object.fromEntries(names.map((name) => [name, []]));
      for (let round = 0; round < options.rounds; round++) {
        // Rotate the order so no client always runs first or last in a round.
        const order = names.map((_, index) => names[(index + round) % names.length]);
        for (const name of order) {
          const { rate, cpuMicros } = await runBatch(clients[name], options.requests, concurrency);
          rateSamples[name].push(rate);
          cpuSamples[name].push(cpuMicros);
        }
        process.stderr.write(`concurrency ${concurrency}: round ${round + 1}/${options.rounds}\r`);
      }
      process.stderr.write("\n");
      const rates = Object.fromEntries(names.map((name) => [name, median(rateSamples[name])]));
      const cpu = Object.fromEntries(names.map((name) => [name, median(cpuSamples[name])]));
      results.push({
        concurrency,
        requestsPerSecond: Object.fromEntries(names.map((name) => [name, Math.round(rates[name])])),
        cpuMicrosPerRequest: Object.fromEntries(names.map((name) => [name, Math.round(cpu[name] * 10) / 10])),
        // Throughput ratios: above 1 means @fruxon/client served more requests per second.
        fruxonVsOpenapiFetch: rates["@fruxon/client"] / rates["openapi-fetch"],
        fruxonVsRawFetch: rates["@fruxon/client"] / rates["raw fetch"],
        // CPU ratios: client-side CPU time per request, above 1 means @fruxon/client spent more.
        cpuVsOpenapiFetch: cpu["@fruxon/client"] / cpu["openapi-fetch"],
        cpuVsRawFetch: cpu["@fruxon/client"] / cpu["raw fetch"],
        timeoutOffVsOpenapiFetch: rates["@fruxon/client, timeoutMs 0"] / rates["openapi-fetch"],
        timeoutOffVsRawFetch: rates["@fruxon/client, timeoutMs 0"] / rates["raw fetch"],
        ...(options.floor && {
          floorVsRawFetch: rates["minimal client"] / rates["raw fetch"],
          floorTimedVsRawFetch: rates["minimal client + timeout"] / rates["raw fetch"],
        }),
      });
    }
    return results;
  } finally {
    server.stop();
  }
}

// report

function printSize(size) {
  const kb = (bytes) => `${(bytes / 1024).toFixed(2)} kB`;
  console.log("Bundle size (esbuild, minified, gzip -9)");
  console.log(`  openapi-fetch alone                 ${kb(size.openapiFetch.gzipped)} (${kb(size.openapiFetch.minified)} minified)`);
  console.log(`  @fruxon/client, everything          ${kb(size.everything.gzipped)} (${kb(size.everything.minified)} minified)`);
  console.log(`  @fruxon/client, createFruxonClient  ${kb(size.clientOnly.gzipped)} (${kb(size.clientOnly.minified)} minified)`);
  console.log(`  added on top of openapi-fetch       ${kb(size.addedGzipped)} everything, ${kb(size.addedGzippedClientOnly)} client only (budget ${kb(size.budgetBytes)})`);
  console.log(`  helper strings left in a client-only bundle: ${size.helperStringsInClientOnlyBundle.length === 0 ? "none" : size.helperStringsInClientOnlyBundle.join(", ")}`);
}

function printSpeed(speed, options) {
  console.log(`Per-request overhead (GET /v1/tenants/{tenant} on loopback, median of ${options.rounds} interleaved rounds of ${options.requests} requests)`);
  for (const result of speed) {
    console.log(`  concurrency ${result.concurrency}`);
    for (const [name, rate] of Object.entries(result.requestsPerSecond)) {
      console.log(`    ${name.padEnd(28)} ${String(rate).padStart(7)} req/s  ${String(result.cpuMicrosPerRequest[name]).padStart(7)} µs CPU/request`);
    }
    console.log(`    throughput of @fruxon/client: ${result.fruxonVsOpenapiFetch.toFixed(3)} × openapi-fetch, ${result.fruxonVsRawFetch.toFixed(3)} × raw fetch`);
    console.log(`    CPU per request of @fruxon/client: ${result.cpuVsOpenapiFetch.toFixed(3)} × openapi-fetch, ${result.cpuVsRawFetch.toFixed(3)} × raw fetch`);
    console.log(`    throughput with timeoutMs 0: ${result.timeoutOffVsOpenapiFetch.toFixed(3)} × openapi-fetch, ${result.timeoutOffVsRawFetch.toFixed(3)} × raw fetch`);
    if (result.floorVsRawFetch !== undefined) {
      console.log(`    throughput of the minimal client (the floor): ${result.floorVsRawFetch.toFixed(3)} × raw fetch, with a timeout ${result.floorTimedVsRawFetch.toFixed(3)} × raw fetch`);
    }
  }
}

const options = parseOptions();
const environment = { node: process.version, cpu: os.cpus()[0]?.model ?? "unknown", cores: os.cpus().length, platform: `${os.platform()} ${os.arch()}` };
const size = options.only === "speed" ? undefined : await measureSize();
const speed = options.only === "size" ? undefined : await measureSpeed(options);

if (options.json) {
  console.log(JSON.stringify({ environment, size, speed }, null, 2));
} else {
  console.log(`Node ${environment.node} on ${environment.cpu} (${environment.cores} cores, ${environment.platform})`);
  if (size) printSize(size);
  if (speed) printSpeed(speed, options);
}

const failures = [];
if (size && size.addedGzipped > SIZE_BUDGET_BYTES) failures.push(`bundle adds ${size.addedGzipped} bytes gzipped, over ${SIZE_BUDGET_BYTES}`);
if (size && size.helperStringsInClientOnlyBundle.length > 0) failures.push("helpers were not tree-shaken from a client-only bundle");
if (size && size.helperStringsMissingFromFullBundle.length > 0) failures.push(`the helper-string check is stale: ${size.helperStringsMissingFromFullBundle.join(", ")} not found in the full bundle`);
for (const result of speed ?? []) {
  if (result.fruxonVsOpenapiFetch < 1 - OVERHEAD_BUDGET || result.fruxonVsRawFetch < 1 - OVERHEAD_BUDGET) {
    failures.push(`concurrency ${result.concurrency}: @fruxon/client is more than ${OVERHEAD_BUDGET * 100}% slower`);
  }
}
if (failures.length > 0) {
  console.error(`Over budget: ${failures.join("; ")}`);
  if (options.check) {
    process.exitCode = 1;
  }
} else {
  console.error("Within budget: at most 4 kB added, helpers tree-shaken, at most 10 % slower.");
}
