import type { OperationMetadata, ResourceType } from "@fruxon/api-types";
import type { FastifyBaseLogger } from "fastify";

import type { ServerContext } from "../context.js";
import type { Queryable } from "../db/schema.js";
import type { OperationsTable } from "./tables.js";

/** The reason a job stopped before finishing. */
export type InterruptReason =
  /** The worker is shutting down: the job is handed back at once for another worker. */
  | "shutdown"
  /** The operation was cancelled, or another attempt took the lease over: this attempt must stop writing. */
  | "lease-lost";

/** Thrown inside a job when it must stop between units of work; not a failure of the job. */
export class JobInterrupted extends Error {
  readonly reason: InterruptReason;

  constructor(reason: InterruptReason) {
    super(reason === "shutdown" ? "The worker is shutting down." : "The operation was cancelled or its lease was taken over.");
    this.name = "JobInterrupted";
    this.reason = reason;
  }
}

/** A failure whose message is readable by the operation's users; it becomes the operation's `error`. */
export class JobFailure extends Error {
  /** Whether another attempt could succeed; a permanent failure ends the operation at once. */
  readonly retryable: boolean;

  constructor(message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "JobFailure";
    this.retryable = options.retryable ?? false;
  }
}

/** The context a job handler gets for one attempt. */
export interface JobContext {
  ctx: ServerContext;
  /** The operation row as claimed. */
  operation: OperationsTable;
  /** The random id of this attempt; it is the lease owner. */
  attemptId: string;
  log: FastifyBaseLogger;
  /** Aborted when the job must stop; `checkpoint()` turns it into `JobInterrupted`. */
  signal: AbortSignal;
  /** Throws `JobInterrupted` when the job must stop. Call it between units of work. */
  checkpoint(): void;
  /**
   * Inside a unit's transaction: throws `JobInterrupted` unless this attempt still holds the lease of
   * the RUNNING operation, so no unit commits after a cancel or a takeover that committed first.
   */
  assertLease(trx: Queryable): Promise<void>;
  /** Writes progress to the operation, guarded by the lease; throws `JobInterrupted` when it is lost. */
  saveProgress(metadata: OperationMetadata): Promise<void>;
}

/** The outcome of a finished job, which the worker writes with the DONE status in one guarded transaction. */
export interface JobResult {
  metadata: OperationMetadata;
  resourceName?: string;
  resourceType?: ResourceType;
  /** Extra writes committed together with DONE, such as the row of an exported file. */
  finalize?: (trx: Queryable) => Promise<void>;
}

/** Runs one attempt of a job. It must be idempotent: a later attempt may repeat any part of it. */
export type JobHandler = (job: JobContext) => Promise<JobResult>;
