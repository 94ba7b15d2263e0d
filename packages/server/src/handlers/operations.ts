import { randomUUID } from "node:crypto";

import type { Handlers } from "../contract/handler-types.js";
import type { ServerContext } from "../context.js";
import { requireMembership } from "../domain/tenants.js";
import { initialBatchMetadata, uniqueInvitations, type BatchInviteInput } from "../jobs/batch-invite.js";
import type { ExportUsersInput } from "../jobs/export-users.js";
import {
  cancelOperationRow,
  createOperation,
  getOperationRow,
  isFinished,
  listOperationRows,
  operationPath,
  pollDelaySeconds,
  toOperation,
} from "../jobs/operations.js";
import { callerOf } from "./caller.js";

export type OperationHandlers = Pick<Handlers, "batchInviteUsers" | "exportUsers" | "getOperation" | "listOperations" | "cancelOperation">;

/** Seconds to wait before the first poll of a new operation. */
const FIRST_POLL_SECONDS = "1";

export function createOperationHandlers(ctx: ServerContext): OperationHandlers {
  return {
    async batchInviteUsers(request) {
      const caller = callerOf(request);
      const { tenant } = await requireMembership(ctx.db, caller, request.path.tenant, "ADMIN");
      const invitations = uniqueInvitations(request.body.invitations);
      const input: BatchInviteInput = { invitations };

      const { row, created } = await createOperation(ctx.db, {
        tenantId: tenant.id,
        type: "BATCH_INVITE",
        createdBy: caller.sub,
        idempotencyKey: request.headers["Idempotency-Key"],
        input,
        metadata: initialBatchMetadata(invitations.length),
        now: ctx.clock(),
      });
      if (created) ctx.jobs.wake();
      request.log.info({ tenantId: tenant.id, operationId: row.id, entries: invitations.length, created }, "batch invite accepted");
      return {
        status: 202,
        body: toOperation(row),
        headers: { Location: operationPath(request.path.tenant, row.id), "Retry-After": FIRST_POLL_SECONDS },
      };
    },

    async exportUsers(request) {
      const caller = callerOf(request);
      const { tenant } = await requireMembership(ctx.db, caller, request.path.tenant, "ADMIN");
      const input: ExportUsersInput = { fileId: randomUUID() };

      const { row, created } = await createOperation(ctx.db, {
        tenantId: tenant.id,
        type: "EXPORT_USERS",
        createdBy: caller.sub,
        idempotencyKey: request.headers["Idempotency-Key"],
        input,
        metadata: {},
        now: ctx.clock(),
      });
      if (created) ctx.jobs.wake();
      request.log.info({ tenantId: tenant.id, operationId: row.id, created }, "user export accepted");
      return {
        status: 202,
        body: toOperation(row),
        headers: { Location: operationPath(request.path.tenant, row.id), "Retry-After": FIRST_POLL_SECONDS },
      };
    },

    async getOperation(request) {
      const { tenant } = await requireMembership(ctx.db, callerOf(request), request.path.tenant);
      const row = await getOperationRow(ctx.db, tenant.id, request.path.operation);
      const headers: Record<string, string> = isFinished(row.status) ? {} : { "Retry-After": String(pollDelaySeconds(row, ctx.clock())) };
      return { status: 200, body: toOperation(row), headers };
    },

    async listOperations(request) {
      const { tenant } = await requireMembership(ctx.db, callerOf(request), request.path.tenant);
      const { status, pageSize, pageToken } = request.query;
      const list = await listOperationRows(ctx, tenant.id, status, { pageSize, pageToken });
      return { status: 200, body: list };
    },

    async cancelOperation(request) {
      const { tenant } = await requireMembership(ctx.db, callerOf(request), request.path.tenant, "ADMIN");
      const row = await cancelOperationRow(ctx.db, tenant.id, request.path.operation, ctx.clock());
      request.log.info({ tenantId: tenant.id, operationId: row.id }, "operation cancelled");
      return { status: 200, body: toOperation(row) };
    },
  };
}
