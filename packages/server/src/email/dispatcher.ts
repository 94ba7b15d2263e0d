import { randomUUID } from "node:crypto";

import type { FastifyBaseLogger } from "fastify";
import type { Kysely } from "kysely";

import { transaction } from "../db/database.js";
import type { Database, OutboxTable, SqlDialect } from "../db/schema.js";
import type { Mailer } from "./mailer.js";

export interface DispatcherOptions {
  db: Kysely<Database>;
  dialect: SqlDialect;
  mailer: Mailer;
  from: string;
  log: FastifyBaseLogger;
  clock: () => number;
  /** How often due rows are looked for when nothing wakes the dispatcher. */
  pollIntervalMs?: number;
  /** How long a claimed row stays with this dispatcher before another may send it. */
  leaseMs?: number;
  /** Delay before the first retry; each further retry doubles it, up to `maxRetryDelayMs`. */
  baseRetryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** Rows claimed per round; a full batch starts the next round at once. */
  batchSize?: number;
  /** Emails of a batch sent at the same time. */
  concurrency?: number;
}

/**
 * Sends the email outbox. Each round claims due rows with a lease, sends them, and marks each sent as
 * soon as the mail server accepted it. On PostgreSQL the claim reads with `FOR UPDATE SKIP LOCKED`, so two
 * processes never claim one row; on SQLite the write transaction serializes claims. A failed send is retried with capped
 * exponential backoff and jitter, without limit, so an outage delays mail but loses none. A process that
 * dies mid-send leaves its rows leased; they become due again when the lease ends. Delivery is therefore
 * at least once: a crash between the server's acceptance and the update that marks the row sent resends
 * it, with the same Message-ID.
 */
export class OutboxDispatcher {
  readonly #options: Required<DispatcherOptions>;
  readonly #owner = randomUUID();
  #timer: NodeJS.Timeout | undefined;
  #round: Promise<void> | undefined;
  #wakeRequested = false;
  /** Whether the last round claimed a full batch, so more rows may be due. */
  #backlog = false;
  #running = false;

  constructor(options: DispatcherOptions) {
    this.#options = {
      pollIntervalMs: 1000,
      leaseMs: 120_000,
      baseRetryDelayMs: 5000,
      maxRetryDelayMs: 15 * 60_000,
      batchSize: 20,
      concurrency: 4,
      ...options,
    };
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#options.log.info({ mode: this.#options.mailer.mode, owner: this.#owner }, "outbox dispatcher started");
    this.#schedule(0);
  }

  /** Starts a round now, or right after the current one. */
  wake(): void {
    if (!this.#running) return;
    if (this.#round !== undefined) {
      this.#wakeRequested = true;
      return;
    }
    this.#schedule(0);
  }

  /** Stops the loop and waits for the round in progress. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    clearTimeout(this.#timer);
    await this.#round;
    this.#options.mailer.close();
    this.#options.log.info({ owner: this.#owner }, "outbox dispatcher stopped");
  }

  #schedule(delayMs: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#round = this.runOnce()
        .then(() => undefined)
        .catch((error: unknown) => this.#options.log.error({ err: error, owner: this.#owner }, "outbox round failed"))
        .finally(() => {
          this.#round = undefined;
          if (!this.#running) return;
          const again = this.#wakeRequested || this.#backlog;
          this.#wakeRequested = false;
          this.#schedule(again ? 0 : this.#options.pollIntervalMs);
        });
    }, delayMs);
    this.#timer.unref();
  }

  /** Claims and sends one batch of the rows due now, `concurrency` at a time; returns how many were sent. */
  async runOnce(): Promise<number> {
    const { batchSize, concurrency } = this.#options;
    const rows = await this.#claim();
    this.#backlog = rows.length === batchSize;

    let sent = 0;
    for (let start = 0; start < rows.length; start += concurrency) {
      const results = await Promise.all(rows.slice(start, start + concurrency).map((row) => this.#send(row)));
      sent += results.filter(Boolean).length;
    }
    return sent;
  }

  async #claim(): Promise<OutboxTable[]> {
    const { db, dialect, clock, leaseMs, batchSize } = this.#options;

    // A plain read first, so an idle poll never takes SQLite's write lock or opens a transaction.
    const anyDue = await db.selectFrom("outbox").select("id").where("sent_at", "is", null).where("next_attempt_at", "<=", clock()).limit(1).executeTakeFirst();
    if (anyDue === undefined) return [];

    return transaction(db, async (trx) => {
      const now = clock();
      let due = trx
        .selectFrom("outbox")
        .select("id")
        .where("sent_at", "is", null)
        .where("next_attempt_at", "<=", now)
        .orderBy("next_attempt_at")
        .orderBy("id")
        .limit(batchSize);
      if (dialect === "postgres") due = due.forUpdate().skipLocked();
      const ids = (await due.execute()).map((row) => row.id);
      if (ids.length === 0) return [];

      return trx
        .updateTable("outbox")
        .set((eb) => ({ lease_owner: this.#owner, next_attempt_at: now + leaseMs, attempts: eb("attempts", "+", 1) }))
        .where("id", "in", ids)
        .where("sent_at", "is", null)
        .returningAll()
        .execute();
    });
  }

  async #send(row: OutboxTable): Promise<boolean> {
    const { db, mailer, from, log, clock } = this.#options;
    const context = { outboxId: row.id, kind: row.kind, attempt: row.attempts };

    let location: string;
    try {
      ({ location } = await mailer.send({ id: row.id, from, to: row.recipient, subject: row.subject, text: row.text_body, html: row.html_body }));
    } catch (error) {
      // NOTE: a permanent rejection (SMTP 5xx) is retried like an outage, at most every `maxRetryDelayMs`, until someone removes the row.
      const delayMs = this.retryDelay(row.attempts);
      const message = error instanceof Error ? error.message : String(error);
      await db
        .updateTable("outbox")
        .set({ next_attempt_at: clock() + delayMs, lease_owner: null, last_error: message.slice(0, 1000) })
        .where("id", "=", row.id)
        .where("lease_owner", "=", this.#owner)
        .execute();
      log.warn({ ...context, err: error, retryInMs: delayMs }, "email not sent; will retry");
      return false;
    }

    // Marked sent right after the mail server accepted it. The bodies are cleared because the link contains a ticket.
    await db
      .updateTable("outbox")
      .set({ sent_at: clock(), lease_owner: null, last_error: null, text_body: "", html_body: "", link: null })
      .where("id", "=", row.id)
      .execute();
    if (mailer.mode === "file" && row.link !== null) {
      // The embedded mode has no mail server, so the link is logged for a developer to follow. The file contains it too.
      log.info({ ...context, file: location, link: row.link }, "email written to the outbox folder");
    } else {
      log.info({ ...context, location }, "email sent");
    }
    return true;
  }

  /** Capped exponential backoff with "equal jitter": between half and all of the capped delay. */
  retryDelay(attempts: number): number {
    const { baseRetryDelayMs, maxRetryDelayMs } = this.#options;
    const capped = Math.min(maxRetryDelayMs, baseRetryDelayMs * 2 ** Math.max(0, attempts - 1));
    return Math.round(capped / 2 + Math.random() * (capped / 2));
  }
}
