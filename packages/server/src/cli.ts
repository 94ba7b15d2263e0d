#!/usr/bin/env node
import { pathToFileURL } from "node:url";

import type { FastifyInstance } from "fastify";
import type { DestinationStream } from "pino";

import { readCommand, type CommandIo } from "./command-line.js";
import type { Config } from "./config.js";
import { createLogger } from "./logger.js";

const USAGE = `Usage: node dist/cli.js [--help]   (from the repository root: pnpm start)

Starts the Fruxon API server. With no configuration it listens on http://127.0.0.1:8080 and keeps
everything in ./data: a SQLite database, the job worker in this process, emails as .eml files and a
signing key for development tokens (mint one with: pnpm run token --email ana@example.com).

SIGTERM or SIGINT stops accepting connections, lets in-flight requests finish and exits with 0.

Options:
  --help  Print this help and exit.

Environment variables:
`;

/** The part of a created server the CLI drives. */
export interface RunnableServer {
  app: FastifyInstance;
  close(): Promise<void>;
}

export interface CliDependencies extends CommandIo {
  createServer: (config: Config, logger: ReturnType<typeof createLogger>) => Promise<RunnableServer>;
  /** Registers a handler for a stop signal; `process.once` in production. */
  onSignal: (signal: NodeJS.Signals, handler: () => void) => void;
  /** Log destination; stdout when absent. */
  logDestination?: DestinationStream;
}

/**
 * Runs the server command. Resolves with the exit code once the server has stopped, or at once for
 * `--help` and invalid input. Exit codes: 0 stopped cleanly or printed help, 1 start or stop failed,
 * 2 invalid arguments or configuration.
 */
export async function runCli(deps: CliDependencies): Promise<number> {
  const command = readCommand(deps, USAGE, []);
  if ("exitCode" in command) return command.exitCode;
  const { config } = command;

  // start
  const log = createLogger({ level: config.logLevel, ...(deps.logDestination === undefined ? {} : { destination: deps.logDestination }) });
  let server: RunnableServer;
  try {
    server = await deps.createServer(config, log);
    await server.app.listen({ host: config.host, port: config.port });
  } catch (error) {
    log.fatal({ err: error }, "server failed to start");
    return 1;
  }
  log.info({ url: `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${config.port}`, publicUrl: config.publicUrl }, "server listening");

  // stop on the first signal; in-flight requests finish before close() resolves
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, "server stopping");
      server.close().then(
        () => {
          log.info({ signal }, "server stopped");
          resolve(0);
        },
        (error: unknown) => {
          log.error({ err: error, signal }, "server failed to stop cleanly");
          resolve(1);
        },
      );
    };
    deps.onSignal("SIGTERM", () => stop("SIGTERM"));
    deps.onSignal("SIGINT", () => stop("SIGINT"));
  });
}

async function main(): Promise<void> {
  const code = await runCli({
    argv: process.argv.slice(2),
    env: process.env,
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    createServer: async (config, logger) => {
      const { createServer } = await import("./server.js");
      return createServer(config, { logger });
    },
    onSignal: (signal, handler) => process.once(signal, handler),
  });
  process.exitCode = code;
  // A background loop that failed to stop must not keep a stopped server's process alive.
  setTimeout(() => process.exit(code), 2000).unref();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  await main();
}
