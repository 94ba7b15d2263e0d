import type { FastifyBaseLogger } from "fastify";
import type { Kysely } from "kysely";

import type { Config } from "./config.js";
import type { Database, SqlDialect } from "./db/schema.js";
import type { PageTokenCodec } from "./domain/page-tokens.js";
import type { JobsTrigger } from "./jobs/trigger.js";
import type { StorageBackend } from "./storage/backend.js";

/** Returns the current time as Unix epoch milliseconds. Tests inject their own. */
export type Clock = () => number;

/** Starts a delivery round of the email outbox early, after a transaction enqueued mail. */
export interface OutboxTrigger {
  wake(): void;
}

/**
 * Avatar check of stored files: whether `fileId` is an image the account uploaded that may serve as
 * its avatar (PNG, JPEG or WebP of at most 5 MiB).
 */
export interface AvatarValidator {
  isAvatarOf(fileId: string, accountSub: string): Promise<boolean>;
}

/** Everything a handler factory needs: configuration, database, logger, clock and services. */
export interface ServerContext {
  config: Config;
  db: Kysely<Database>;
  dialect: SqlDialect;
  log: FastifyBaseLogger;
  clock: Clock;
  pageTokens: PageTokenCodec;
  outbox: OutboxTrigger;
  /** Set once stored files exist; until then an `avatarFileId` cannot be validated and is rejected. */
  avatars: AvatarValidator | undefined;
  /**
   * Where stored file bytes live. Build it with `createStorageBackend(config)` from `storage/index.ts`;
   * `createAvatarValidator(ctx)` from the same module implements `avatars` on it.
   */
  storage: StorageBackend;
  /**
   * Wakes the job worker after a transaction created an operation. Build it with `createJobsTrigger()`
   * from `jobs/trigger.ts`; with `WORKER=in-process`, `startJobWorker(ctx)` from `jobs/worker.ts` runs the
   * worker and `await worker.stop()` belongs in `close()`.
   */
  jobs: JobsTrigger;
}
