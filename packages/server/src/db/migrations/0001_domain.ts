import type { Kysely } from "kysely";

/** Creates the domain tables: tenants, accounts, members, invitations and the email outbox. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("tenants")
    .addColumn("id", "text", (column) => column.primaryKey())
    .addColumn("slug", "text", (column) => column.notNull().unique())
    .addColumn("display_name", "text", (column) => column.notNull())
    .addColumn("created_at", "bigint", (column) => column.notNull())
    .addColumn("modified_at", "bigint", (column) => column.notNull())
    .execute();

  await db.schema
    .createTable("accounts")
    .addColumn("sub", "text", (column) => column.primaryKey())
    .addColumn("email", "text", (column) => column.notNull())
    .addColumn("email_verified", "integer", (column) => column.notNull().defaultTo(0))
    .addColumn("first_name", "text")
    .addColumn("last_name", "text")
    .addColumn("avatar_file_id", "text")
    .addColumn("created_at", "bigint", (column) => column.notNull())
    .addColumn("modified_at", "bigint", (column) => column.notNull())
    .execute();

  await db.schema
    .createTable("members")
    .addColumn("id", "text", (column) => column.primaryKey())
    .addColumn("tenant_id", "text", (column) => column.notNull().references("tenants.id").onDelete("cascade"))
    .addColumn("email", "text", (column) => column.notNull())
    .addColumn("email_lower", "text", (column) => column.notNull())
    .addColumn("account_sub", "text")
    .addColumn("role", "text", (column) => column.notNull())
    .addColumn("status", "text", (column) => column.notNull())
    .addColumn("version", "integer", (column) => column.notNull().defaultTo(1))
    .addColumn("created_at", "bigint", (column) => column.notNull())
    .addColumn("modified_at", "bigint", (column) => column.notNull())
    .addUniqueConstraint("members_tenant_email_unique", ["tenant_id", "email_lower"])
    .execute();
  await db.schema.createIndex("members_tenant_order_idx").on("members").columns(["tenant_id", "created_at", "id"]).execute();
  await db.schema.createIndex("members_account_idx").on("members").columns(["account_sub", "status"]).execute();

  await db.schema
    .createTable("invitations")
    .addColumn("id", "text", (column) => column.primaryKey())
    .addColumn("tenant_id", "text", (column) => column.notNull().references("tenants.id").onDelete("cascade"))
    .addColumn("member_id", "text", (column) => column.notNull().references("members.id").onDelete("cascade"))
    .addColumn("email_lower", "text", (column) => column.notNull())
    .addColumn("role", "text", (column) => column.notNull())
    .addColumn("ticket_hash", "text", (column) => column.notNull().unique())
    .addColumn("expires_at", "bigint", (column) => column.notNull())
    .addColumn("invited_by", "text")
    .addColumn("created_at", "bigint", (column) => column.notNull())
    .addUniqueConstraint("invitations_tenant_email_unique", ["tenant_id", "email_lower"])
    .execute();
  await db.schema.createIndex("invitations_email_idx").on("invitations").column("email_lower").execute();
  await db.schema.createIndex("invitations_member_idx").on("invitations").column("member_id").execute();

  await db.schema
    .createTable("outbox")
    .addColumn("id", "text", (column) => column.primaryKey())
    .addColumn("kind", "text", (column) => column.notNull())
    .addColumn("tenant_id", "text")
    .addColumn("recipient", "text", (column) => column.notNull())
    .addColumn("subject", "text", (column) => column.notNull())
    .addColumn("text_body", "text", (column) => column.notNull())
    .addColumn("html_body", "text", (column) => column.notNull())
    .addColumn("link", "text")
    .addColumn("dedupe_key", "text", (column) => column.notNull().unique())
    .addColumn("attempts", "integer", (column) => column.notNull().defaultTo(0))
    .addColumn("next_attempt_at", "bigint", (column) => column.notNull())
    .addColumn("lease_owner", "text")
    .addColumn("sent_at", "bigint")
    .addColumn("last_error", "text")
    .addColumn("created_at", "bigint", (column) => column.notNull())
    .execute();
  await db.schema.createIndex("outbox_due_idx").on("outbox").columns(["sent_at", "next_attempt_at"]).execute();
  await db.schema.createIndex("outbox_tenant_kind_idx").on("outbox").columns(["tenant_id", "kind", "created_at"]).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ["outbox", "invitations", "members", "accounts", "tenants"]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
