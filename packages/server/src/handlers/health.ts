import { sql } from "kysely";

import type { Handlers } from "../contract/handler-types.js";
import type { ServerContext } from "../context.js";
import { ProblemError } from "../problems.js";

export type HealthHandlers = Pick<Handlers, "checkLiveness" | "checkReadiness">;

const READINESS_RETRY_AFTER_SECONDS = 5;

/** Returns true when the database returns the result of a trivial query. */
export async function isDatabaseReady(ctx: Pick<ServerContext, "db" | "log">): Promise<boolean> {
  try {
    await sql`select 1`.execute(ctx.db);
    return true;
  } catch (error) {
    ctx.log.warn({ err: error }, "readiness check: database query failed");
    return false;
  }
}

export function createHealthHandlers(ctx: ServerContext): HealthHandlers {
  return {
    async checkLiveness() {
      return { status: 200, body: { status: "ok" } };
    },

    async checkReadiness() {
      if (await isDatabaseReady(ctx)) return { status: 200, body: { status: "ok", checks: { database: "ok" } } };
      throw new ProblemError("UNAVAILABLE", "The database query failed; retry later.", {
        headers: { "Retry-After": String(READINESS_RETRY_AFTER_SECONDS) },
      });
    },
  };
}
