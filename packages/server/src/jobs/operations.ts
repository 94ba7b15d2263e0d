import { randomUUID } from "node:crypto";

import type { Operation, OperationList, OperationMetadata, OperationStatus, OperationType } from "@fruxon/api-types";

import type { ServerContext } from "../context.js";
import type { Queryable } from "../db/schema.js";
import { DEFAULT_PAGE_SIZE } from "../domain/page-tokens.js";
import { ProblemError } from "../problems.js";
import type { OperationsTable } from "./tables.js";

/** The error of an operation that was cancelled. */
export const CANCELLED_ERROR = "cancelled";

/** Statuses a worker may still act on; DONE and FAILED are final. */
export const UNFINISHED_STATUSES: readonly OperationStatus[] = ["PENDING", "RUNNING"];

export function isFinished(status: OperationStatus): boolean {
  return status === "DONE" || status === "FAILED";
}

export interface NewOperation {
  tenantId: string;
  type: OperationType;
  createdBy: string;
  idempotencyKey: string | undefined;
  input: unknown;
  metadata: OperationMetadata;
  now: number;
}

/**
 * Inserts a PENDING operation, which is also the job a worker will claim. With an idempotency key
 * already used in the tenant, inserts nothing and returns the operation of the first request
 * (`created` false). The unique index on `(tenant_id, idempotency_key)` decides between concurrent requests.
 */
export async function createOperation(db: Queryable, operation: NewOperation): Promise<{ row: OperationsTable; created: boolean }> {
  const row: OperationsTable = {
    id: randomUUID(),
    tenant_id: operation.tenantId,
    type: operation.type,
    status: "PENDING",
    resource_name: null,
    resource_type: null,
    metadata: JSON.stringify(operation.metadata),
    error: null,
    last_error: null,
    created_by: operation.createdBy,
    idempotency_key: operation.idempotencyKey ?? null,
    input: JSON.stringify(operation.input),
    attempts: 0,
    lease_owner: null,
    lease_until: null,
    next_attempt_at: operation.now,
    created_at: operation.now,
    started_at: null,
    completed_at: null,
  };

  const result = await db
    .insertInto("operations")
    .values(row)
    .onConflict((conflict) => conflict.columns(["tenant_id", "idempotency_key"]).doNothing())
    .executeTakeFirst();
  if (Number(result.numInsertedOrUpdatedRows ?? 0n) === 1) return { row, created: true };

  const first = await db
    .selectFrom("operations")
    .selectAll()
    .where("tenant_id", "=", operation.tenantId)
    .where("idempotency_key", "=", operation.idempotencyKey ?? null)
    .executeTakeFirstOrThrow();
  return { row: first, created: false };
}

/** Returns the tenant's operation; an operation of another tenant is as unknown as a made-up id (404). */
export async function getOperationRow(db: Queryable, tenantId: string, operationId: string): Promise<OperationsTable> {
  const row = await db
    .selectFrom("operations")
    .selectAll()
    .where("id", "=", operationId.toLowerCase())
    .where("tenant_id", "=", tenantId)
    .executeTakeFirst();
  if (row === undefined) throw new ProblemError("NOT_FOUND", `Operation ${operationId} was not found in this tenant.`);
  return row;
}

/** Lists the tenant's operations newest first, optionally with one status, one page at a time. */
export async function listOperationRows(
  ctx: ServerContext,
  tenantId: string,
  status: OperationStatus | undefined,
  page: { pageSize?: number | undefined; pageToken?: string | undefined },
): Promise<OperationList> {
  const binding = { tenant: tenantId, status };
  const pageSize = page.pageSize ?? DEFAULT_PAGE_SIZE;
  const cursor = page.pageToken === undefined ? undefined : ctx.pageTokens.decode(page.pageToken, "operations", binding);

  let base = ctx.db.selectFrom("operations").where("tenant_id", "=", tenantId);
  if (status !== undefined) base = base.where("status", "=", status);

  let query = base.selectAll().orderBy("created_at", "desc").orderBy("id", "desc").limit(pageSize + 1);
  if (cursor !== undefined) {
    const [createdAt, id] = cursor;
    // A row-value comparison, so the index seek reaches the page directly (see listUsers).
    query = query.where(({ eb, refTuple, tuple }) => eb(refTuple("created_at", "id"), "<", tuple(createdAt, id)));
  }
  const rows = await query.execute();
  const { count } = await base.select((eb) => eb.fn.countAll<number>().as("count")).executeTakeFirstOrThrow();

  const items = rows.slice(0, pageSize);
  const last = items.at(-1);
  const list: OperationList = { items: items.map(toOperation), totalCount: Number(count) };
  if (rows.length > pageSize && last !== undefined) {
    list.nextPageToken = ctx.pageTokens.encode("operations", binding, [last.created_at, last.id]);
  }
  return list;
}

/**
 * Cancels a PENDING or RUNNING operation: it becomes FAILED with error `cancelled`. The update is
 * guarded by the status, so an operation that finished meanwhile stays as it is and gets 409
 * `OPERATION_FINISHED`. A worker running the job notices at its next unit of work and stops.
 */
export async function cancelOperationRow(db: Queryable, tenantId: string, operationId: string, now: number): Promise<OperationsTable> {
  const row = await getOperationRow(db, tenantId, operationId);
  if (!isFinished(row.status)) {
    const result = await db
      .updateTable("operations")
      .set({ status: "FAILED", error: CANCELLED_ERROR, completed_at: now, lease_until: null, next_attempt_at: now })
      .where("id", "=", row.id)
      .where("status", "in", UNFINISHED_STATUSES)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 1) return getOperationRow(db, tenantId, row.id);
  }

  const current = await getOperationRow(db, tenantId, row.id);
  throw new ProblemError("OPERATION_FINISHED", `Operation ${current.id} is already ${current.status}; a finished operation cannot be cancelled.`);
}

/** Maps a row to the API's `Operation`, leaving out the fields that are not set yet. */
export function toOperation(row: OperationsTable): Operation {
  const operation: Operation = { name: row.id, type: row.type, status: row.status, createdAt: row.created_at };
  if (row.resource_name !== null) operation.resourceName = row.resource_name;
  if (row.resource_type !== null) operation.resourceType = row.resource_type;
  if (row.started_at !== null) operation.startedAt = row.started_at;
  if (row.completed_at !== null) operation.completedAt = row.completed_at;
  if (row.status === "FAILED" && row.error !== null) operation.error = row.error;
  operation.metadata = JSON.parse(row.metadata) as OperationMetadata;
  return operation;
}

/**
 * Seconds a client should wait before polling an unfinished operation again: 1 s for the first 10 s,
 * then one more second per further 10 s of age, at most 5 s.
 */
export function pollDelaySeconds(row: OperationsTable, now: number): number {
  const ageSeconds = Math.max(0, (now - row.created_at) / 1000);
  return Math.min(5, Math.max(1, Math.ceil(ageSeconds / 10)));
}

/** Returns the path of an operation, for `Location`. */
export function operationPath(tenantReference: string, operationId: string): string {
  return `/v1/tenants/${encodeURIComponent(tenantReference)}/operations/${operationId}`;
}
