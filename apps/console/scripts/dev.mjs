#!/usr/bin/env node
// Starts the console's Vite dev server with `/v1` proxied to the Prism mock or to a running server.
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const HELP = `Usage: node scripts/dev.mjs (--mock | --server) [options]

Starts the Fruxon console in development mode (Vite, hot reload) and forwards /v1 to an API.

Options:
  --mock            Start the Prism mock of the spec (@fruxon/mock) and use it as the API.
                    Any bearer token signs in.
  --dynamic         With --mock: generate responses from the schemas instead of the examples.
  --server          Use a running server as the API (default http://127.0.0.1:8080, start it
                    with \`pnpm start\`; print a token with \`pnpm run token --email you@example.com\`).
  --api <url>       With --server: the server's URL. Default http://127.0.0.1:8080.
  --port <number>   Port of the console. Default 5173.
  -h, --help        Show this help.

Root shortcuts: \`pnpm dev:console\` (mock) and \`pnpm dev\` (server).`;

const { values } = parseArgs({
  options: {
    mock: { type: "boolean", default: false },
    dynamic: { type: "boolean", default: false },
    server: { type: "boolean", default: false },
    api: { type: "string" },
    port: { type: "string", default: "5173" },
    help: { type: "boolean", short: "h", default: false },
  },
});

if (values.help) {
  console.log(HELP);
  process.exit(0);
}
if (values.mock === values.server) {
  console.error("dev: pass exactly one of --mock or --server.\n");
  console.error(HELP);
  process.exit(2);
}
const port = Number(values.port);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`dev: --port must be an integer from 1 to 65535, got "${values.port}"`);
  process.exit(2);
}

let mock;
let apiTarget = values.api ?? "http://127.0.0.1:8080";
if (values.mock) {
  const { startMock } = await import("@fruxon/mock");
  console.log("Starting the Prism mock…");
  mock = await startMock({ dynamic: values.dynamic });
  apiTarget = mock.url;
  console.log(`Prism mock listening on ${mock.url}${values.dynamic ? " (dynamic responses)" : ""}`);
} else {
  await checkServer(apiTarget);
}

process.env.FRUXON_API_TARGET = apiTarget;
const { createServer } = await import("vite");
const root = fileURLToPath(new URL("..", import.meta.url));
const vite = await createServer({ root, configFile: `${root}vite.config.ts`, server: { port, strictPort: true } });
await vite.listen();
vite.printUrls();
console.log(`  /v1 → ${apiTarget}`);
console.log(values.mock ? "  Sign in with any text as the token." : "  Sign in with a token from `pnpm run token --email you@example.com`.");

let stopping = false;
async function stop(signal) {
  if (stopping) {
    return;
  }
  stopping = true;
  console.log(`\nReceived ${signal}; stopping.`);
  await vite.close();
  await mock?.stop();
  process.exit(0);
}
process.on("SIGINT", () => void stop("SIGINT"));
process.on("SIGTERM", () => void stop("SIGTERM"));

/** Warns, without exiting, when the server URL does not respond, because the server may start later. */
async function checkServer(url) {
  try {
    const response = await fetch(new URL("/healthz", url), { signal: AbortSignal.timeout(2_000) });
    console.log(`Server at ${url} returned ${response.status} for /healthz.`);
  } catch (error) {
    console.warn(`Warning: no server responds at ${url} (${error.cause?.code ?? error.message}). Start it with \`pnpm start\`, because the console proxies /v1 there.`);
  }
}
