#!/usr/bin/env node
import { pathToFileURL } from "node:url";

import { readCommand, type CommandIo } from "./command-line.js";
import type { Config } from "./config.js";
import { JobWorker } from "./jobs/worker.js";
import { createLogger } from "./logger.js";
import { openContext } from "./server.js";

const USAGE = `Usage: node dist/worker-cli.js [--email] [--help]   (from the repository root: pnpm worker)

Runs the job worker without the HTTP API: it claims batch invites and exports from the database and
runs them, WORKER_CONCURRENCY at a time. Start any number of worker processes next to API processes
started with WORKER=off; they share the database named by DATABASE_URL (PostgreSQL for more than one
process on more than one machine) and, for exports, the file storage under DATA_DIR. The WORKER
variable is ignored here.

SIGTERM or SIGINT stops claiming jobs; a running job stops after its current unit of work and its
lease is released at once, so another worker continues it without waiting for the lease to expire.

Options:
  --email  Also send the email outbox from this process. API processes send it already; use this when
           no API process runs, or to move email sending to workers.
  --help   Print this help and exit.

Environment variables:
`;

export interface WorkerCliDependencies extends CommandIo {
  /** Registers a handler for a stop signal; `process.once` in production. */
  onSignal: (signal: NodeJS.Signals, handler: () => void) => void;
}

/**
 * Runs the worker command. Resolves with the exit code once the worker has stopped, or at once for
 * `--help` and invalid input. Exit codes: 0 stopped cleanly or printed help, 1 start or stop failed,
 * 2 invalid arguments or configuration.
 */
export async function runWorkerCli(deps: WorkerCliDependencies): Promise<number> {
  const command = readCommand(deps, USAGE, ["email"]);
  if ("exitCode" in command) return command.exitCode;
  const { config, flags } = command;

  // start
  const log = createLogger({ level: config.logLevel });
  let stop: () => Promise<void>;
  try {
    stop = await startWorker(config, log, flags.email === true);
  } catch (error) {
    log.fatal({ err: error }, "worker failed to start");
    return 1;
  }

  // stop on the first signal
  return new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, "worker stopping");
      stop().then(
        () => resolve(0),
        (error: unknown) => {
          log.error({ err: error, signal }, "worker failed to stop cleanly");
          resolve(1);
        },
      );
    };
    deps.onSignal("SIGTERM", () => onSignal("SIGTERM"));
    deps.onSignal("SIGINT", () => onSignal("SIGINT"));
  });
}

/** Opens the database, applies migrations and starts the job worker (and the outbox when `sendEmail`). Returns the stop function. */
async function startWorker(config: Config, log: ReturnType<typeof createLogger>, sendEmail: boolean): Promise<() => Promise<void>> {
  const { context, database, dispatcher } = await openContext(config, log);

  if (sendEmail) dispatcher.start();
  const worker = new JobWorker(context);
  worker.start();

  return async () => {
    await worker.stop();
    await dispatcher.stop();
    await database.db.destroy();
    log.info("worker stopped");
  };
}

async function main(): Promise<void> {
  const code = await runWorkerCli({
    argv: process.argv.slice(2),
    env: process.env,
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    onSignal: (signal, handler) => process.once(signal, handler),
  });
  process.exitCode = code;
  // A background loop that failed to stop must not keep a stopped worker's process alive.
  setTimeout(() => process.exit(code), 2000).unref();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  await main();
}
