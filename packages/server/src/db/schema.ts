import type { Kysely, Transaction } from "kysely";

/**
 * Column types of the tables owned by the domain (tenants, accounts, members, invitations, outbox).
 * Timestamps are Unix epoch milliseconds: INTEGER in SQLite, BIGINT in PostgreSQL (parsed to `number`).
 * Ids are UUID strings in TEXT columns on both dialects. Booleans are stored as 0 or 1.
 */
export interface TenantsTable {
  id: string;
  slug: string;
  display_name: string;
  created_at: number;
  modified_at: number;
}

/** An account's profile, keyed by the token's `sub` claim and shared by all of its tenants. */
export interface AccountsTable {
  sub: string;
  email: string;
  email_verified: number;
  first_name: string | null;
  last_name: string | null;
  avatar_file_id: string | null;
  created_at: number;
  modified_at: number;
}

export type MemberRole = "ADMIN" | "MEMBER";
export type MemberStatus = "INVITED" | "ACTIVE";

/** A tenant's member, or an invited email that has not accepted yet (`account_sub` is then null). */
export interface MembersTable {
  id: string;
  tenant_id: string;
  email: string;
  email_lower: string;
  account_sub: string | null;
  role: MemberRole;
  status: MemberStatus;
  /** Incremented on every change; part of the member's ETag. */
  version: number;
  created_at: number;
  modified_at: number;
}

/** The outstanding invitation of an INVITED member: at most one per tenant and email. */
export interface InvitationsTable {
  id: string;
  tenant_id: string;
  member_id: string;
  email_lower: string;
  role: MemberRole;
  /** SHA-256 of the ticket, base64url. The ticket itself is never stored here. */
  ticket_hash: string;
  expires_at: number;
  invited_by: string | null;
  created_at: number;
}

/** An email waiting to be sent, or sent. Written in the same transaction as what caused it. */
export interface OutboxTable {
  id: string;
  kind: string;
  /** The tenant the email belongs to, for the per-tenant invitation limit; null for other mail. */
  tenant_id: string | null;
  recipient: string;
  subject: string;
  /** The plain-text body. Both bodies and the link are cleared once the email is sent, because the link contains a ticket. */
  text_body: string;
  html_body: string;
  link: string | null;
  dedupe_key: string;
  attempts: number;
  /** When the row is next due; while a dispatcher holds the row it is the end of its lease. */
  next_attempt_at: number;
  lease_owner: string | null;
  sent_at: number | null;
  last_error: string | null;
  created_at: number;
}

/**
 * Every table the server's queries see. Other modules add their tables by module augmentation:
 * `declare module "../db/schema.js" { interface Database { files: FilesTable } }`.
 */
/** An accepted invitation ticket, kept so that the same account may repeat the accept. */
export interface AcceptedTicketsTable {
  ticket_hash: string;
  tenant_id: string;
  account_sub: string;
  accepted_at: number;
}

/** Members of a tenant per status and role, kept by triggers on `members` (migration 0004). */
export interface MemberCountsTable {
  tenant_id: string;
  status: MemberStatus;
  role: MemberRole;
  count: number;
}

export interface Database {
  accepted_tickets: AcceptedTicketsTable;
  tenants: TenantsTable;
  accounts: AccountsTable;
  members: MembersTable;
  member_counts: MemberCountsTable;
  invitations: InvitationsTable;
  outbox: OutboxTable;
}

export type SqlDialect = "sqlite" | "postgres";

/** A database handle or an open transaction on it. */
export type Queryable = Kysely<Database> | Transaction<Database>;
