#!/usr/bin/env node
// Builds the API reference, dist/index.html, from the bundled spec with Redocly CLI's `build-docs`,
// and makes it work offline: the page may load nothing from another host.
//
// What `build-docs` (Redocly CLI 2.77, Redoc 3.0.1) emits and what this script changes:
// - By default the page imports Redoc from cdn.redocly.com. `--inlineBundle` embeds the Redoc
//   bundle that ships inside the CLI instead, so the script matches the server-rendered markup.
// - The sidebar footer loads the Redocly logo from cdn.redoc.ly; it is replaced by an inline SVG.
// - Redoc 3 sends telemetry unless the page sets `disableTelemetry`; REDOCLY_TELEMETRY=off makes the
//   CLI set it (and keeps the CLI itself from sending usage data).
// - Its styles reference no web fonts; the check below fails the build if a later version adds any.
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const appDir = dirname(dirname(fileURLToPath(import.meta.url)));
const distDir = join(appDir, "dist");
const outputPath = join(distDir, "index.html");
const renderedPath = join(distDir, "index.rendered.tmp.html");

const REDOCLY_LOGO_URLS = ["https://cdn.redoc.ly/redoc/logo-mini-full.svg", "https://cdn.redoc.ly/redoc/logo-mini.svg"];
const LOCAL_LOGO = `data:image/svg+xml,${encodeURIComponent(
  '<svg xmlns="http://www.w3.org/2000/svg" width="72" height="16" viewBox="0 0 72 16">' +
    '<text x="0" y="12" font-family="sans-serif" font-size="12" font-weight="600" fill="#0044d4">Redocly</text></svg>',
)}`;

// Markup and code that would make the browser fetch from another host when the page loads.
const EXTERNAL_LOADERS = [
  { label: "script src", pattern: /<script\b[^>]*\bsrc\s*=\s*["']?(?:https?:)?\/\//gi },
  { label: "link href", pattern: /<link\b[^>]*\bhref\s*=\s*["']?(?:https?:)?\/\//gi },
  { label: "img src", pattern: /<img\b[^>]*\bsrc\s*=\s*["']?(?:https?:)?\/\//gi },
  { label: "ES module import", pattern: /\bimport\s*(?:\{[^}]*\}\s*from\s*)?["'](?:https?:)?\/\//g },
  { label: "dynamic import", pattern: /\bimport\(\s*["'`](?:https?:)?\/\//g },
  { label: "CSS @import", pattern: /@import\s+(?:url\()?\s*["']?(?:https?:)?\/\//gi },
  { label: "CSS url()", pattern: /url\(\s*["']?(?:https?:)?\/\/[^)]*\)/gi },
  { label: "web font", pattern: /fonts\.(?:googleapis|gstatic)\.com/gi },
  ...REDOCLY_LOGO_URLS.map((url) => ({ label: "Redocly logo", pattern: new RegExp(url.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&"), "g") })),
];

function step(message) {
  process.stdout.write(`docs: ${message}\n`);
}

function fail(message) {
  process.stderr.write(`docs: ${message}\n`);
  process.exit(1);
}

function resolveSpec() {
  try {
    return require.resolve("@fruxon/spec/openapi.json");
  } catch {
    return fail("the bundled spec @fruxon/spec/openapi.json is missing; run `pnpm turbo run build --filter=@fruxon/spec` first");
  }
}

function resolveRedoclyCli() {
  const packageJsonPath = require.resolve("@redocly/cli/package.json");
  const { bin, version } = JSON.parse(readFileSync(packageJsonPath, "utf8"));
  const script = typeof bin === "string" ? bin : bin.redocly;
  return { script: join(dirname(packageJsonPath), script), version };
}

/** Runs `redocly build-docs` and prefixes its output, leaving out the decorative box borders. */
function runBuildDocs(cliScript, specPath) {
  const args = [cliScript, "build-docs", specPath, "--inlineBundle", "--output", renderedPath];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: appDir,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true", NO_COLOR: "1", FORCE_COLOR: "0" },
    });
    let output = "";
    const forward = (chunk) => {
      output += chunk;
      for (const line of String(chunk).split("\n")) {
        const text = line.replace(/[║╔╗╚╝═]/g, "").trim();
        if (text !== "") {
          process.stdout.write(`docs:   redocly: ${text}\n`);
        }
      }
    };
    child.stdout.on("data", forward);
    child.stderr.on("data", forward);
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      if (code === 0) {
        resolve();
      } else {
        reject(new Error(`redocly build-docs failed (code ${code}, signal ${signal}):\n${output.slice(-4000)}`));
      }
    });
  });
}

/** Replaces the remote logo and returns how many references were replaced. */
function replaceRemoteLogo(html) {
  let count = 0;
  let result = html;
  for (const url of REDOCLY_LOGO_URLS) {
    const parts = result.split(url);
    count += parts.length - 1;
    result = parts.join(LOCAL_LOGO);
  }
  return { html: result, count };
}

function findExternalLoaders(html) {
  const found = [];
  for (const { label, pattern } of EXTERNAL_LOADERS) {
    for (const match of html.matchAll(pattern)) {
      found.push(`${label}: ${match[0].slice(0, 160)}`);
    }
  }
  return found;
}

async function main() {
  const startedAt = Date.now();
  const specPath = resolveSpec();
  const spec = JSON.parse(readFileSync(specPath, "utf8"));
  const cli = resolveRedoclyCli();
  step(`building the API reference for "${spec.info?.title}" ${spec.info?.version} from ${relative(appDir, specPath)}`);

  // render: Redocly prerenders the page and embeds the Redoc bundle
  mkdirSync(distDir, { recursive: true });
  step(`rendering with @redocly/cli ${cli.version} (build-docs --inlineBundle)`);
  await runBuildDocs(cli.script, specPath);

  // offline: replace the remote logo, then check that nothing else loads from another host
  step("making the page self-contained");
  const rendered = readFileSync(renderedPath, "utf8");
  const { html, count } = replaceRemoteLogo(rendered);
  step(`  replaced ${count} reference(s) to the remote Redocly logo with an inline SVG`);
  if (!html.includes('"disableTelemetry":true')) {
    rmSync(renderedPath, { force: true });
    fail('the page does not set "disableTelemetry":true; check how this Redocly CLI version reads REDOCLY_TELEMETRY');
  }
  const externalLoaders = findExternalLoaders(html);
  if (externalLoaders.length > 0) {
    rmSync(renderedPath, { force: true });
    fail(`the page would still load from other hosts:\n  ${externalLoaders.join("\n  ")}`);
  }

  // write: replace the previous page only once the new one passed the checks
  writeFileSync(renderedPath, html);
  renameSync(renderedPath, outputPath);
  const kib = Math.ceil(statSync(outputPath).size / 1024);
  step(`wrote ${relative(process.cwd(), outputPath) || outputPath} (${kib} KiB) in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
}

main().catch((error) => {
  rmSync(renderedPath, { force: true });
  fail(error instanceof Error ? error.message : String(error));
});
