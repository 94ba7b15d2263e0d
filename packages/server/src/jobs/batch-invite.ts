import { setImmediate } from "node:timers/promises";

import type { InviteUserRequest, OperationFailure, OperationMetadata } from "@fruxon/api-types";

import { transaction } from "../db/database.js";
import type { Queryable } from "../db/schema.js";
import { inviteMember } from "../domain/invitations.js";
import { ProblemError } from "../problems.js";
import { JobFailure, type JobContext, type JobResult } from "./job.js";

/** The stored input of a BATCH_INVITE operation: the entries, one per lower-case email. */
export interface BatchInviteInput {
  invitations: InviteUserRequest[];
}

/** Entries handled between two progress writes. */
const PROGRESS_EVERY = 50;

/**
 * Keeps the first entry of each email, compared ignoring case, in request order.
 * An email that appears twice counts once.
 */
export function uniqueInvitations(invitations: readonly InviteUserRequest[]): InviteUserRequest[] {
  const seen = new Set<string>();
  const unique: InviteUserRequest[] = [];
  for (const entry of invitations) {
    const key = entry.email.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push(entry);
  }
  return unique;
}

/** Returns the metadata of a batch invite that has not started yet. */
export function initialBatchMetadata(total: number): OperationMetadata {
  return { total, processed: 0, succeeded: 0, failed: 0, failures: [] };
}

/**
 * Invites every entry as `inviteUser` would. Each entry is one transaction that records the entry in
 * `operation_items` together with the invitation and its outbox email. A later attempt therefore
 * skips every entry an earlier one committed, so no invitation is created twice and no email is
 * queued twice. The primary key of `operation_items` also stops two attempts that overlap (a stale
 * worker and the one that took over) from both inviting an entry. An entry that fails a rule of the
 * invitation (such as an ACTIVE member's email) is recorded as failed with the reason and does not
 * fail the operation.
 */
export async function runBatchInvite(job: JobContext): Promise<JobResult> {
  const { ctx, operation } = job;
  const input = JSON.parse(operation.input) as BatchInviteInput;
  const tenant = await ctx.db.selectFrom("tenants").selectAll().where("id", "=", operation.tenant_id).executeTakeFirst();
  if (tenant === undefined) throw new JobFailure("The tenant no longer exists.");

  const done = new Set(
    (await ctx.db.selectFrom("operation_items").select("item_key").where("operation_id", "=", operation.id).execute()).map((item) => item.item_key),
  );
  if (done.size > 0) job.log.info({ alreadyDone: done.size, total: input.invitations.length }, "batch invite resumed");

  let sinceProgress = 0;
  for (const entry of input.invitations) {
    // better-sqlite3 returns results synchronously, so without this the loop would hold the event loop, and
    // with it the HTTP server of this process, for the whole batch.
    await setImmediate();
    job.checkpoint();
    const itemKey = entry.email.toLowerCase();
    if (done.has(itemKey)) continue;

    try {
      await transaction(ctx.db, async (trx) => {
        await job.assertLease(trx);
        const claimed = await trx
          .insertInto("operation_items")
          .values({ operation_id: operation.id, item_key: itemKey, succeeded: 1, reason: null, created_at: ctx.clock() })
          .onConflict((conflict) => conflict.columns(["operation_id", "item_key"]).doNothing())
          .executeTakeFirst();
        // Another attempt committed this entry first.
        if (Number(claimed.numInsertedOrUpdatedRows ?? 0n) === 0) return;

        await inviteMember(
          ctx,
          { tenant, email: entry.email, role: entry.role, inviter: undefined },
          { transaction: trx, dedupeKey: `batch-invite:${operation.id}:${itemKey}` },
        );
      });
      ctx.outbox.wake();
    } catch (error) {
      if (!(error instanceof ProblemError) || error.status >= 500) throw error;
      await recordFailure(job, itemKey, error.detail ?? error.title);
    }

    sinceProgress += 1;
    if (sinceProgress >= PROGRESS_EVERY) {
      await job.saveProgress(await batchProgress(ctx.db, operation.id, input.invitations));
      sinceProgress = 0;
    }
  }

  return { metadata: await batchProgress(ctx.db, operation.id, input.invitations) };
}

/** Records a failed entry with its reason, unless another attempt recorded the entry first. */
async function recordFailure(job: JobContext, itemKey: string, reason: string): Promise<void> {
  await transaction(job.ctx.db, async (trx) => {
    await job.assertLease(trx);
    await trx
      .insertInto("operation_items")
      .values({ operation_id: job.operation.id, item_key: itemKey, succeeded: 0, reason: reason.slice(0, 500), created_at: job.ctx.clock() })
      .onConflict((conflict) => conflict.columns(["operation_id", "item_key"]).doNothing())
      .execute();
  });
}

/** Counts the recorded entries of a batch invite; failures keep the email as it was given. */
export async function batchProgress(db: Queryable, operationId: string, invitations: readonly InviteUserRequest[]): Promise<OperationMetadata> {
  const items = await db.selectFrom("operation_items").select(["item_key", "succeeded", "reason"]).where("operation_id", "=", operationId).execute();
  const byKey = new Map(items.map((item) => [item.item_key, item]));

  // Failures are listed in the order of the request's entries.
  const failures: OperationFailure[] = [];
  for (const entry of invitations) {
    const item = byKey.get(entry.email.toLowerCase());
    if (item !== undefined && Number(item.succeeded) !== 1) failures.push({ email: entry.email, reason: item.reason ?? "failed" });
  }
  const succeeded = items.length - failures.length;
  return { total: invitations.length, processed: items.length, succeeded, failed: failures.length, failures };
}
