#!/usr/bin/env node
import { parseArgs } from "node:util";

import { startMock, type StartMockOptions } from "./start-mock.js";

const HELP = `Usage: pnpm mock [options]
       node packages/mock/dist/cli.js [options]

Starts Prism on the bundled Fruxon workspace API spec and serves its examples over HTTP.
Stop it with Ctrl+C.

Options:
  --port <number>      TCP port to listen on. Default 4010. Environment: MOCK_PORT.
  --host <address>     Interface to listen on. Default 127.0.0.1. Environment: MOCK_HOST.
  --dynamic            Generate responses from the schemas instead of returning the spec's
                       examples. Environment: MOCK_DYNAMIC=1 (or true).
  --spec <path>        OpenAPI file to serve. Default: spec/dist/openapi.json from @fruxon/spec
                       (build it with \`pnpm turbo run build --filter=@fruxon/spec\`).
  --proxy <url>        Run as a validating proxy: forward every request to this upstream URL
                       (for example http://127.0.0.1:8080) and report requests and responses
                       that break the spec.
  --errors             Turn violations into error responses: a response that breaks the spec
                       becomes a 500 problem, and with --proxy an invalid request gets Prism's
                       own 401 or 422 response instead of being forwarded.
  --timeout <ms>       Maximum time to wait for Prism to start, in milliseconds. Default 30000.
  -h, --help           Show this help.

Command-line options take precedence over environment variables.

Examples:
  pnpm mock
  pnpm mock --port 4020 --dynamic
  pnpm mock --proxy http://127.0.0.1:8080 --errors
`;

function fail(message: string): never {
  process.stderr.write(`mock: ${message}\nRun with --help for the list of options.\n`);
  process.exit(2);
}

function parseBoolean(name: string, value: string | undefined): boolean | undefined {
  if (value === undefined || value === "") {
    return undefined;
  }
  if (/^(1|true|yes)$/i.test(value)) {
    return true;
  }
  if (/^(0|false|no)$/i.test(value)) {
    return false;
  }
  return fail(`${name} must be 1, true, yes, 0, false or no, got "${value}"`);
}

function parsePositiveInteger(name: string, value: string): number {
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(parsed) || parsed <= 0) {
    return fail(`${name} must be a positive integer, got "${value}"`);
  }
  return parsed;
}

function readOptions(argv: string[]): StartMockOptions {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(argv);
  } catch (error) {
    return fail((error as Error).message);
  }
  const { values } = parsed;
  if (values.help === true) {
    process.stdout.write(HELP);
    process.exit(0);
  }

  const port = values.port ?? process.env["MOCK_PORT"] ?? "4010";
  const options: StartMockOptions = {
    port: parsePositiveInteger(values.port === undefined && process.env["MOCK_PORT"] !== undefined ? "MOCK_PORT" : "--port", port),
    host: values.host ?? (process.env["MOCK_HOST"] || "127.0.0.1"),
    errors: values.errors === true,
  };
  const dynamic = values.dynamic === true ? true : parseBoolean("MOCK_DYNAMIC", process.env["MOCK_DYNAMIC"]);
  if (dynamic === true) {
    options.dynamic = true;
  }
  if (values.spec !== undefined) {
    options.specPath = values.spec;
  }
  if (values.proxy !== undefined) {
    options.proxy = values.proxy;
  }
  if (values.timeout !== undefined) {
    options.timeoutMs = parsePositiveInteger("--timeout", values.timeout);
  }
  return options;
}

function parseCommandLine(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      port: { type: "string" },
      host: { type: "string" },
      dynamic: { type: "boolean" },
      spec: { type: "string" },
      proxy: { type: "string" },
      errors: { type: "boolean" },
      timeout: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}

async function main(): Promise<void> {
  const options = readOptions(process.argv.slice(2));
  let mode = "mock (static examples)";
  if (options.proxy !== undefined) {
    mode = `proxy to ${options.proxy}`;
  } else if (options.dynamic === true) {
    mode = "dynamic mock";
  }
  process.stdout.write(`mock: starting Prism in ${mode} mode...\n`);

  let mock;
  try {
    mock = await startMock({ ...options, log: (line) => process.stdout.write(`${line}\n`) });
  } catch (error) {
    process.stderr.write(`mock: ${(error as Error).message}\n`);
    process.exit(1);
  }
  process.stdout.write(`mock: ready at ${mock.url} (Prism pid ${mock.pid}, spec ${mock.specPath}). Press Ctrl+C to stop.\n`);

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) {
      return;
    }
    stopping = true;
    process.stdout.write(`mock: received ${signal}, stopping Prism...\n`);
    mock.stop().then(
      () => {
        process.stdout.write("mock: stopped\n");
        process.exit(0);
      },
      (error: unknown) => {
        process.stderr.write(`mock: failed to stop Prism (pid ${mock.pid}): ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);

  const exit = await mock.exited;
  if (!stopping) {
    process.stderr.write(`mock: Prism exited unexpectedly (code ${String(exit.code)}, signal ${String(exit.signal)})\n`);
    process.exit(1);
  }
}

await main();
