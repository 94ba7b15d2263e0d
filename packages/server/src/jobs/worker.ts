import { randomUUID } from "node:crypto";

import type { OperationMetadata, OperationType } from "@fruxon/api-types";
import type { FastifyBaseLogger } from "fastify";
import type { Updateable } from "kysely";

import type { ServerContext } from "../context.js";
import { transaction } from "../db/database.js";
import type { Queryable } from "../db/schema.js";
import { ProblemError } from "../problems.js";
import { runBatchInvite } from "./batch-invite.js";
import { runExportUsers } from "./export-users.js";
import { JobFailure, JobInterrupted, type InterruptReason, type JobContext, type JobHandler, type JobResult } from "./job.js";
import { UNFINISHED_STATUSES } from "./operations.js";
import type { OperationsTable } from "./tables.js";

export interface JobWorkerOptions {
  /** Jobs run at once; defaults to `WORKER_CONCURRENCY`. */
  concurrency?: number;
  /** How long a claim keeps a job, in ms; renewed every third of it. Defaults to `JOB_LEASE_MS`. */
  leaseMs?: number;
  /** Attempts before a job ends FAILED; defaults to `JOB_MAX_ATTEMPTS`. */
  maxAttempts?: number;
  /** How often an idle worker looks for due jobs, in ms. */
  pollIntervalMs?: number;
  /** Delay before the first retry, in ms; it doubles per attempt, with ±20 % jitter, up to `retryMaxMs`. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Job handlers by operation type; tests replace them. */
  handlers?: Partial<Record<OperationType, JobHandler>>;
}

const DEFAULT_HANDLERS: Record<OperationType, JobHandler> = {
  BATCH_INVITE: runBatchInvite,
  EXPORT_USERS: runExportUsers,
};

/** Longest `error` the API returns (see the Operation schema). */
const MAX_ERROR_LENGTH = 1000;

/**
 * Runs operations as jobs. Each slot claims one due job at a time with a lease. On PostgreSQL the
 * claim reads with `FOR UPDATE SKIP LOCKED`, so concurrent workers in any number of processes never
 * claim one job twice. On SQLite the claim is one write transaction. The lease is renewed while the
 * job runs, and every write of the attempt is guarded by `lease_owner`, so an attempt whose lease
 * expired and was taken over cannot overwrite the newer attempt's result. A job whose worker died is
 * claimed again once its lease expires.
 */
export class JobWorker {
  readonly workerId = randomUUID();
  readonly #ctx: ServerContext;
  readonly #log: FastifyBaseLogger;
  readonly #concurrency: number;
  readonly #leaseMs: number;
  readonly #maxAttempts: number;
  readonly #pollIntervalMs: number;
  readonly #retryBaseMs: number;
  readonly #retryMaxMs: number;
  readonly #handlers: Record<OperationType, JobHandler>;
  readonly #running = new Map<string, AbortController>();
  readonly #sleepers = new Set<() => void>();
  #slots: Promise<void>[] = [];
  #stopping = false;
  #stopped: Promise<void> | undefined;
  #unsubscribe: (() => void) | undefined;

  constructor(ctx: ServerContext, options: JobWorkerOptions = {}) {
    this.#ctx = ctx;
    this.#log = ctx.log.child({ component: "jobs", workerId: this.workerId });
    this.#concurrency = options.concurrency ?? ctx.config.workerConcurrency;
    this.#leaseMs = options.leaseMs ?? ctx.config.jobLeaseMs;
    this.#maxAttempts = options.maxAttempts ?? ctx.config.jobMaxAttempts;
    this.#pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.#retryBaseMs = options.retryBaseMs ?? 1000;
    this.#retryMaxMs = options.retryMaxMs ?? 60_000;
    this.#handlers = { ...DEFAULT_HANDLERS, ...options.handlers };
  }

  /** Starts the worker's slots; they poll for due jobs until `stop()`. */
  start(): void {
    if (this.#slots.length > 0 || this.#stopping) return;
    this.#unsubscribe = this.#ctx.jobs.onWake(() => this.#wakeSleepers());
    this.#slots = Array.from({ length: this.#concurrency }, (_, slot) => this.#runSlot(slot));
    this.#log.info({ concurrency: this.#concurrency, leaseMs: this.#leaseMs, maxAttempts: this.#maxAttempts }, "job worker started");
  }

  /**
   * Stops claiming, and signals running jobs to stop after their current unit of work. Each such job's
   * lease is released at once (`lease_until` set to now), so another worker takes the job over without
   * waiting for the lease to expire. Resolves when every slot has stopped; later calls return the same promise.
   */
  stop(): Promise<void> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  async #stop(): Promise<void> {
    this.#stopping = true;
    this.#unsubscribe?.();
    for (const controller of this.#running.values()) controller.abort("shutdown" satisfies InterruptReason);
    this.#wakeSleepers();
    await Promise.all(this.#slots);
    this.#log.info("job worker stopped");
  }

  /** Operation ids of the jobs this worker is running now. */
  get runningJobs(): string[] {
    return [...this.#running.keys()];
  }

  /** Claims one due job and runs it to the end of this attempt. Returns false when no job was due. */
  async runOnce(): Promise<boolean> {
    const claim = await this.#claim();
    if (claim === undefined) return false;
    if (claim === "retired") return true;
    await this.#run(claim.row, claim.attemptId);
    return true;
  }

  async #runSlot(slot: number): Promise<void> {
    let failures = 0;
    while (!this.#stopping) {
      let worked = false;
      try {
        worked = await this.runOnce();
        failures = 0;
      } catch (error) {
        // Typically the database is unreachable: wait longer after each failure in a row, up to the retry cap.
        failures += 1;
        const retryInMs = Math.min(this.#retryMaxMs, this.#pollIntervalMs * 2 ** (failures - 1));
        this.#log.error({ err: error, slot, failures, retryInMs }, "job worker round failed");
        await this.#sleep(retryInMs);
        continue;
      }
      if (!worked && !this.#stopping) await this.#sleep(this.#pollIntervalMs);
    }
  }

  #sleep(ms: number): Promise<void> {
    if (this.#stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#sleepers.add(done);
    });
  }

  #wakeSleepers(): void {
    for (const wake of [...this.#sleepers]) wake();
  }

  /**
   * Claims the oldest due job: PENDING, or RUNNING with no live lease (its worker died, stopped or its
   * attempt failed and the retry is due). A job that already used every attempt is FAILED instead and
   * reported as `retired`.
   */
  async #claim(): Promise<{ row: OperationsTable; attemptId: string } | "retired" | undefined> {
    const { db, dialect } = this.#ctx;
    return transaction(db, async (trx) => {
      const now = this.#ctx.clock();
      let query = trx
        .selectFrom("operations")
        .selectAll()
        .where("status", "in", UNFINISHED_STATUSES)
        .where("next_attempt_at", "<=", now)
        .where(({ eb, or }) => or([eb("lease_until", "is", null), eb("lease_until", "<=", now)]))
        .orderBy("next_attempt_at")
        .orderBy("created_at")
        .limit(1);
      if (dialect === "postgres") query = query.forUpdate().skipLocked();
      const row = await query.executeTakeFirst();
      if (row === undefined) return undefined;

      if (row.attempts >= this.#maxAttempts) {
        const error = truncate(`Gave up after ${row.attempts} attempts: ${row.last_error ?? "the last attempt did not finish (its worker stopped or lost the lease)"}`);
        await trx
          .updateTable("operations")
          .set({ status: "FAILED", error, completed_at: now, lease_owner: null, lease_until: null })
          .where("id", "=", row.id)
          .where("status", "in", UNFINISHED_STATUSES)
          .execute();
        this.#log.error({ operationId: row.id, tenantId: row.tenant_id, attempts: row.attempts, error }, "job failed for good");
        return "retired";
      }

      const attemptId = randomUUID();
      const result = await trx
        .updateTable("operations")
        .set({
          status: "RUNNING",
          started_at: row.started_at ?? now,
          attempts: row.attempts + 1,
          lease_owner: attemptId,
          lease_until: now + this.#leaseMs,
        })
        .where("id", "=", row.id)
        .where("status", "in", UNFINISHED_STATUSES)
        .where(({ eb, or }) => or([eb("lease_until", "is", null), eb("lease_until", "<=", now)]))
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) return undefined;

      const claimed: OperationsTable = { ...row, status: "RUNNING", started_at: row.started_at ?? now, attempts: row.attempts + 1, lease_owner: attemptId, lease_until: now + this.#leaseMs };
      return { row: claimed, attemptId };
    });
  }

  async #run(row: OperationsTable, attemptId: string): Promise<void> {
    const log = this.#log.child({ operationId: row.id, tenantId: row.tenant_id, type: row.type, attempt: row.attempts, attemptId });
    const controller = new AbortController();
    this.#running.set(row.id, controller);
    if (this.#stopping) controller.abort("shutdown" satisfies InterruptReason);
    const heartbeat = setInterval(() => void this.#renewLease(row.id, attemptId, controller, log), Math.max(200, Math.floor(this.#leaseMs / 3)));
    log.info("job started");

    try {
      const handler = this.#handlers[row.type];
      const result = await handler(this.#jobContext(row, attemptId, controller, log));
      checkpoint(controller.signal);
      await this.#complete(row, attemptId, result);
      log.info({ metadata: summarize(result.metadata) }, "job done");
    } catch (error) {
      await this.#handleError(row, attemptId, error, log);
    } finally {
      clearInterval(heartbeat);
      this.#running.delete(row.id);
    }
  }

  #jobContext(row: OperationsTable, attemptId: string, controller: AbortController, log: FastifyBaseLogger): JobContext {
    return {
      ctx: this.#ctx,
      operation: row,
      attemptId,
      log,
      signal: controller.signal,
      checkpoint: () => checkpoint(controller.signal),
      assertLease: async (trx) => {
        if (!(await holdsLease(trx, row.id, attemptId))) {
          controller.abort("lease-lost" satisfies InterruptReason);
          throw new JobInterrupted("lease-lost");
        }
      },
      saveProgress: async (metadata) => {
        if (!(await this.#updateHeld(row.id, attemptId, { metadata: JSON.stringify(metadata) }))) {
          controller.abort("lease-lost" satisfies InterruptReason);
          throw new JobInterrupted("lease-lost");
        }
        log.info({ processed: metadata.processed, total: metadata.total }, "job progress");
      },
    };
  }

  /** Extends the lease; aborts the job when the operation is no longer this attempt's to run. */
  async #renewLease(operationId: string, attemptId: string, controller: AbortController, log: FastifyBaseLogger): Promise<void> {
    if (controller.signal.aborted) return;
    try {
      if (!(await this.#updateHeld(operationId, attemptId, { lease_until: this.#ctx.clock() + this.#leaseMs }))) {
        log.warn("job lease lost: the operation was cancelled or taken over; stopping after the current unit");
        controller.abort("lease-lost" satisfies InterruptReason);
      }
    } catch (error) {
      // The job keeps running: the next renewal may succeed, and a lost lease shows at the next guarded write.
      log.warn({ err: error }, "job lease renewal failed");
    }
  }

  /** Writes DONE with the result, and the result's extra writes, if this attempt still holds the lease. */
  async #complete(row: OperationsTable, attemptId: string, result: JobResult): Promise<void> {
    await transaction(this.#ctx.db, async (trx) => {
      await result.finalize?.(trx);
      const update = await trx
        .updateTable("operations")
        .set({
          status: "DONE",
          completed_at: this.#ctx.clock(),
          metadata: JSON.stringify(result.metadata),
          resource_name: result.resourceName ?? null,
          resource_type: result.resourceType ?? null,
          last_error: null,
          lease_owner: null,
          lease_until: null,
        })
        .where("id", "=", row.id)
        .where("lease_owner", "=", attemptId)
        .where("status", "=", "RUNNING")
        .executeTakeFirst();
      // Throwing rolls back `finalize` too: a cancelled or taken-over attempt leaves no trace of its result.
      if (Number(update.numUpdatedRows) !== 1) throw new JobInterrupted("lease-lost");
    });
  }

  async #handleError(row: OperationsTable, attemptId: string, error: unknown, log: FastifyBaseLogger): Promise<void> {
    if (error instanceof JobInterrupted) {
      if (error.reason === "shutdown") await this.#release(row, attemptId, log);
      else log.info("job stopped: the operation was cancelled or another attempt took it over");
      return;
    }

    const now = this.#ctx.clock();
    const message = truncate(readableError(error, row.id));
    const permanent = error instanceof JobFailure && !error.retryable;
    try {
      if (permanent || row.attempts >= this.#maxAttempts) {
        const finalError = permanent ? message : truncate(`Gave up after ${row.attempts} attempts: ${message}`);
        await this.#updateHeld(row.id, attemptId, { status: "FAILED", error: finalError, last_error: message, completed_at: now, lease_owner: null, lease_until: null });
        log.error({ err: error, attempts: row.attempts }, "job failed");
        return;
      }

      const delay = backoff(row.attempts, this.#retryBaseMs, this.#retryMaxMs);
      await this.#updateHeld(row.id, attemptId, { last_error: message, lease_owner: null, lease_until: null, next_attempt_at: now + delay });
      log.warn({ err: error, attempts: row.attempts, retryInMs: delay }, "job attempt failed; retrying");
    } catch (writeError) {
      // The lease expires on its own, and the next claim retries the job or ends it after the last attempt.
      log.error({ err: writeError, jobError: message }, "could not record the failed job attempt");
    }
  }

  /** Updates the operation only while this attempt holds the lease of the RUNNING operation. */
  async #updateHeld(operationId: string, attemptId: string, values: Updateable<OperationsTable>): Promise<boolean> {
    const result = await this.#ctx.db
      .updateTable("operations")
      .set(values)
      .where("id", "=", operationId)
      .where("lease_owner", "=", attemptId)
      .where("status", "=", "RUNNING")
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Hands the job back for another worker at once; the attempt does not count. */
  async #release(row: OperationsTable, attemptId: string, log: FastifyBaseLogger): Promise<void> {
    try {
      const now = this.#ctx.clock();
      await this.#updateHeld(row.id, attemptId, { lease_owner: null, lease_until: now, next_attempt_at: now, attempts: Math.max(0, row.attempts - 1) });
      log.info("job lease released for another worker");
    } catch (error) {
      log.error({ err: error }, "could not release the job lease; another worker takes the job over when it expires");
    }
  }

}

/** Starts a worker in this process (`WORKER=in-process`); call `stop()` on shutdown. */
export function startJobWorker(ctx: ServerContext, options: JobWorkerOptions = {}): JobWorker {
  const worker = new JobWorker(ctx, options);
  worker.start();
  return worker;
}

function checkpoint(signal: AbortSignal): void {
  if (signal.aborted) throw new JobInterrupted(signal.reason === "shutdown" ? "shutdown" : "lease-lost");
}

async function holdsLease(trx: Queryable, operationId: string, attemptId: string): Promise<boolean> {
  const row = await trx.selectFrom("operations").select(["status", "lease_owner"]).where("id", "=", operationId).executeTakeFirst();
  return row !== undefined && row.status === "RUNNING" && row.lease_owner === attemptId;
}

/** Capped exponential backoff with ±20 % jitter: base, 2×base, 4×base … up to `max`. */
export function backoff(attempt: number, baseMs: number, maxMs: number): number {
  const exponential = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential * (0.8 + Math.random() * 0.4));
}

/** Returns the `error` shown to users: a job's or a problem's own message, else a pointer to the server log. */
function readableError(error: unknown, operationId: string): string {
  if (error instanceof JobFailure) return error.message;
  if (error instanceof ProblemError) return error.detail ?? error.title;
  return `The job failed with an internal error; the server log has the details under operation ${operationId}.`;
}

function truncate(text: string): string {
  return text.length <= MAX_ERROR_LENGTH ? text : `${text.slice(0, MAX_ERROR_LENGTH - 1)}…`;
}

function summarize(metadata: OperationMetadata): Omit<OperationMetadata, "failures"> {
  const { failures: _failures, ...counts } = metadata;
  return counts;
}
