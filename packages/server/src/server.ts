import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";

import { buildApp } from "./app.js";
import { loadLocalSecret } from "./auth/key-store.js";
import type { Config } from "./config.js";
import type { AvatarValidator, Clock, ServerContext } from "./context.js";
import { openDatabase } from "./db/database.js";
import { migrateToLatest } from "./db/migrate.js";
import { PageTokenCodec } from "./domain/page-tokens.js";
import { OutboxDispatcher } from "./email/dispatcher.js";
import type { DispatcherOptions } from "./email/dispatcher.js";
import { createMailer } from "./email/mailer.js";
import type { Mailer } from "./email/mailer.js";
import { createHandlers } from "./handlers/index.js";
import { isDatabaseReady } from "./handlers/health.js";
import { createJobsTrigger } from "./jobs/trigger.js";
import { startJobWorker } from "./jobs/worker.js";
import type { JobWorker, JobWorkerOptions } from "./jobs/worker.js";
import { createLogger } from "./logger.js";
import { createAvatarValidator, createStorageBackend } from "./storage/index.js";
import type { StorageBackend } from "./storage/index.js";

/** Overrides for tests and embedding; production uses the defaults. */
export interface ServerOptions {
  logger?: Logger;
  clock?: Clock;
  mailer?: Mailer;
  /** Timing of the email outbox dispatcher. */
  outbox?: Pick<DispatcherOptions, "pollIntervalMs" | "leaseMs" | "baseRetryDelayMs" | "maxRetryDelayMs" | "batchSize">;
  /** Whether the outbox dispatcher runs in this process (default true). */
  dispatchEmail?: boolean;
  /** Defaults to stored files checked by `createAvatarValidator`. */
  avatars?: AvatarValidator;
  storage?: StorageBackend;
  /** Options of the in-process job worker, which runs when `WORKER=in-process`. */
  worker?: JobWorkerOptions;
}

export interface Server {
  app: FastifyInstance;
  context: ServerContext;
  outbox: OutboxDispatcher;
  /** The in-process job worker; undefined with `WORKER=off`. */
  worker: JobWorker | undefined;
  /** Stops the background loops, closes the app and then the database. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Builds the server: opens the database and applies its migrations, creates the handlers and the
 * Fastify app, and starts the email outbox dispatcher and, with `WORKER=in-process`, the job worker.
 * It does not listen; call `app.listen()`.
 */
export async function createServer(config: Config, options: ServerOptions = {}): Promise<Server> {
  const log = options.logger ?? createLogger({ level: config.logLevel });
  const { context, database, dispatcher } = await openContext(config, log, options);

  let worker: JobWorker | undefined;

  let closed: Promise<void> | undefined;
  const shutdown = async (): Promise<void> => {
    await worker?.stop();
    await dispatcher.stop();
    await database.db.destroy();
    log.info("database closed");
  };

  let app: FastifyInstance;
  try {
    app = await buildApp({
      config,
      handlers: createHandlers(context),
      logger: log,
      readiness: () => isDatabaseReady(context),
      onClose: () => (closed ??= shutdown()),
    });
  } catch (error) {
    await database.db.destroy();
    throw error;
  }
  if (options.dispatchEmail ?? true) dispatcher.start();
  if (config.worker === "in-process") worker = startJobWorker(context, options.worker);

  return {
    app,
    context,
    outbox: dispatcher,
    worker,
    async close() {
      // The worker stops claiming and hands its job back at once, while in-flight requests finish.
      await Promise.all([worker?.stop(), app.close()]);
      await (closed ??= shutdown());
    },
  };
}

/** The context shared by API and worker processes, with the database and outbox it was built on. */
export interface OpenedContext {
  context: ServerContext;
  database: Awaited<ReturnType<typeof openDatabase>>;
  dispatcher: OutboxDispatcher;
}

/**
 * Opens the database and applies its migrations, then builds the outbox dispatcher (not started) and
 * the handler context on it. Used by `createServer` and by worker-only processes, so both see the same
 * storage, page tokens and avatar rules.
 */
export async function openContext(config: Config, log: Logger, options: ServerOptions = {}): Promise<OpenedContext> {
  const clock = options.clock ?? Date.now;

  const database = await openDatabase(config);
  try {
    const applied = await migrateToLatest(database.db, database.dialect === "postgres" ? config.databaseSchema : undefined);
    log.info({ database: database.description, applied }, "database ready");
  } catch (error) {
    await database.db.destroy();
    throw error;
  }

  const dispatcher = new OutboxDispatcher({
    db: database.db,
    dialect: database.dialect,
    mailer: options.mailer ?? createMailer(config),
    from: config.mailFrom,
    log: log.child({ component: "outbox" }),
    clock,
    ...options.outbox,
  });

  const storage = options.storage ?? createStorageBackend(config);
  const context: ServerContext = {
    config,
    db: database.db,
    dialect: database.dialect,
    log,
    clock,
    pageTokens: new PageTokenCodec(config.pageTokenSecret ?? loadLocalSecret(config.dataDir, "page-token-secret"), clock),
    outbox: dispatcher,
    avatars: options.avatars ?? createAvatarValidator({ db: database.db, storage }),
    storage,
    jobs: createJobsTrigger(),
  };
  return { context, database, dispatcher };
}
