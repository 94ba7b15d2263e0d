import type { Kysely } from "kysely";

/**
 * Creates `accepted_tickets`: the hash of every accepted invitation ticket with the account that
 * used it, so a retried accept by that account succeeds while the ticket stays unusable for anyone else.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("accepted_tickets")
    .addColumn("ticket_hash", "text", (column) => column.primaryKey())
    .addColumn("tenant_id", "text", (column) => column.notNull().references("tenants.id").onDelete("cascade"))
    .addColumn("account_sub", "text", (column) => column.notNull())
    .addColumn("accepted_at", "bigint", (column) => column.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("accepted_tickets").ifExists().execute();
}
