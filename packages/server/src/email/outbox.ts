import { randomUUID } from "node:crypto";

import type { Queryable } from "../db/schema.js";
import type { RenderedEmail } from "./invitation-email.js";

export interface OutboxEntry {
  kind: string;
  tenantId: string | null;
  recipient: string;
  email: RenderedEmail;
  /** The link the email carries, logged when emails are written to files; cleared once sent. */
  link: string | null;
  /** Unique per email: enqueuing the same key again adds nothing. */
  dedupeKey: string;
  now: number;
}

/**
 * Adds an email to the outbox. Call it inside the transaction that makes the email necessary, so the
 * email exists exactly when that change commits. Returns false when the dedupe key was already queued.
 */
export async function enqueueEmail(db: Queryable, entry: OutboxEntry): Promise<boolean> {
  const result = await db
    .insertInto("outbox")
    .values({
      id: randomUUID(),
      kind: entry.kind,
      tenant_id: entry.tenantId,
      recipient: entry.recipient,
      subject: entry.email.subject,
      text_body: entry.email.text,
      html_body: entry.email.html,
      link: entry.link,
      dedupe_key: entry.dedupeKey,
      attempts: 0,
      next_attempt_at: entry.now,
      lease_owner: null,
      sent_at: null,
      last_error: null,
      created_at: entry.now,
    })
    .onConflict((conflict) => conflict.column("dedupe_key").doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}
