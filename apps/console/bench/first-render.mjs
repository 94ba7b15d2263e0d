#!/usr/bin/env node
// Measures the console's production bundle (gzipped JS + CSS) and the time to first render of the
// members page with 25 rows in headless Chromium, against the Prism mock. Run after a build:
//   pnpm --filter @fruxon/console build && node apps/console/bench/first-render.mjs [--runs 10]
import { readdirSync, readFileSync, writeFileSync, mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir, cpus } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";

import { resolveBundledSpec, startMock } from "@fruxon/mock";
import { chromium } from "playwright-core";
import { preview } from "vite";

const HELP = `Usage: node bench/first-render.mjs [--runs <count>] [--json]

Reports the gzipped size of dist/assets (JS and CSS, zlib level 9) and the time from navigation start
to the first render of 25 member rows (performance mark "fruxon:members-rendered"), in headless
Chromium against the Prism mock with a 25-member example. Build first: pnpm --filter @fruxon/console build.

Options:
  --runs <count>  Page loads to measure, each in a fresh browser context (cold HTTP cache). Default 10.
  --json          Print one JSON object instead of text.
  -h, --help      Show this help.`;

const ROWS = 25;
const MARK = "fruxon:members-rendered";
const root = fileURLToPath(new URL("..", import.meta.url));

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "10" },
    json: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1 || runs > 100) {
  console.error(`first-render: --runs must be an integer from 1 to 100, got "${values.runs}"`);
  process.exit(2);
}
if (!existsSync(join(root, "dist/index.html"))) {
  console.error("first-render: dist/index.html is missing; run pnpm --filter @fruxon/console build first");
  process.exit(1);
}
const log = values.json ? () => {} : (line) => console.log(line);

// bundle size
const assets = readdirSync(join(root, "dist/assets")).filter((name) => name.endsWith(".js") || name.endsWith(".css"));
const size = { js: { raw: 0, gzip: 0 }, css: { raw: 0, gzip: 0 } };
for (const name of assets) {
  const bytes = readFileSync(join(root, "dist/assets", name));
  const kind = name.endsWith(".js") ? "js" : "css";
  size[kind].raw += bytes.length;
  size[kind].gzip += gzipSync(bytes, { level: 9 }).length;
}
log(`bundle: JS ${kib(size.js.gzip)} gzip (${kib(size.js.raw)} raw), CSS ${kib(size.css.gzip)} gzip (${kib(size.css.raw)} raw), total ${kib(size.js.gzip + size.css.gzip)} gzip`);

// a copy of the bundled spec whose member list example has 25 users, served by Prism
const spec = JSON.parse(readFileSync(resolveBundledSpec(), "utf8"));
const example = spec.components.examples.UserList.value;
const template = example.items[0];
example.items = Array.from({ length: ROWS }, (_, index) => ({
  ...template,
  id: `3f2b8c4d-1e6a-4b7f-9c0d-${String(index).padStart(12, "0")}`,
  email: `member${index}@example.com`,
  username: `member${index}@example.com`,
  firstName: `Member`,
  lastName: `${index}`,
}));
const workDir = mkdtempSync(join(tmpdir(), "fruxon-console-bench-"));
const specPath = join(workDir, "openapi.json");
writeFileSync(specPath, JSON.stringify(spec));

log("starting the Prism mock, the preview server and Chromium…");
const mock = await startMock({ specPath });
const server = await preview({
  root,
  configFile: false,
  logLevel: "warn",
  build: { outDir: "dist" },
  preview: { host: "127.0.0.1", port: 0, proxy: { "/v1": { target: mock.url, changeOrigin: true } } },
});
const url = server.resolvedUrls?.local[0]?.replace(/\/$/, "");
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

const samples = [];
try {
  for (let run = 0; run < runs; run++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.addInitScript(() => window.sessionStorage.setItem("fruxon.console.token", "bench-token"));
    const page = await context.newPage();
    await page.goto(`${url}/tenants/acme/members`);
    await page.waitForFunction((mark) => performance.getEntriesByName(mark).length > 0, MARK);
    const sample = await page.evaluate((mark) => {
      const rendered = performance.getEntriesByName(mark)[0];
      const paint = performance.getEntriesByName("first-contentful-paint")[0];
      // when the member list arrived from the mock, to separate API latency from rendering
      const list = performance
        .getEntriesByType("resource")
        .find((entry) => /\/v1\/tenants\/acme\/users\?.*pageSize=25/.test(entry.name));
      return {
        usersResponseEndMs: list?.responseEnd ?? null,
        membersRenderedMs: rendered.startTime,
        rows: document.querySelectorAll("[data-testid=member-row]").length,
        firstContentfulPaintMs: paint?.startTime ?? null,
      };
    }, MARK);
    if (sample.rows !== ROWS) {
      throw new Error(`run ${run + 1}: expected ${ROWS} member rows, found ${sample.rows}`);
    }
    samples.push(sample);
    log(
      `run ${run + 1}/${runs}: ${sample.membersRenderedMs.toFixed(1)} ms to ${sample.rows} rows ` +
        `(first contentful paint ${sample.firstContentfulPaintMs?.toFixed(1) ?? "n/a"} ms, member list received ${sample.usersResponseEndMs?.toFixed(1) ?? "n/a"} ms)`,
    );
    await context.close();
  }
} finally {
  await browser.close();
  await server.close();
  await mock.stop();
  rmSync(workDir, { recursive: true, force: true });
}

const times = samples.map((sample) => sample.membersRenderedMs).sort((a, b) => a - b);
const paints = samples.map((sample) => sample.firstContentfulPaintMs ?? Number.NaN).sort((a, b) => a - b);
const renderAfterList = samples
  .filter((sample) => sample.usersResponseEndMs !== null)
  .map((sample) => sample.membersRenderedMs - sample.usersResponseEndMs)
  .sort((a, b) => a - b);
const result = {
  machine: `${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}, Node ${process.version}`,
  bundle: { jsGzipBytes: size.js.gzip, cssGzipBytes: size.css.gzip, totalGzipBytes: size.js.gzip + size.css.gzip, jsRawBytes: size.js.raw, cssRawBytes: size.css.raw },
  membersFirstRender: {
    rows: ROWS,
    runs,
    medianMs: round(percentile(times, 0.5)),
    p90Ms: round(percentile(times, 0.9)),
    minMs: round(times[0]),
    maxMs: round(times[times.length - 1]),
    firstContentfulPaintMedianMs: round(percentile(paints, 0.5)),
    renderAfterListMedianMs: renderAfterList.length === 0 ? null : round(percentile(renderAfterList, 0.5)),
  },
};
if (values.json) {
  console.log(JSON.stringify(result, null, 2));
} else {
  const first = result.membersFirstRender;
  log(`members page, ${ROWS} rows: median ${first.medianMs} ms, p90 ${first.p90Ms} ms, min ${first.minMs} ms, max ${first.maxMs} ms over ${runs} cold loads`);
  log(`first contentful paint: median ${first.firstContentfulPaintMedianMs} ms; rows on screen ${first.renderAfterListMedianMs ?? "n/a"} ms (median) after the member list arrived`);
  log(`machine: ${result.machine}`);
}

function percentile(sorted, fraction) {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[index];
}

function round(value) {
  return Math.round(value * 10) / 10;
}

function kib(bytes) {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}
