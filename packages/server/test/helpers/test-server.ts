import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import pg from "pg";
import { describe } from "vitest";

import { loadConfig } from "../../src/config.js";
import type { Config } from "../../src/config.js";
import { createServer } from "../../src/server.js";
import type { Server, ServerOptions } from "../../src/server.js";
import { createLogger } from "../../src/logger.js";
import { TEST_PUBLIC_KEY_PEM } from "./tokens.js";

export type TestDatabase = "sqlite" | "postgres";

/** The databases to run integration suites on: SQLite always, PostgreSQL when `TEST_DATABASE_URL` is set. */
export const TEST_DATABASES: TestDatabase[] = process.env.TEST_DATABASE_URL ? ["sqlite", "postgres"] : ["sqlite"];

const POSTGRES_SKIP_REASON = "set TEST_DATABASE_URL (for example postgres://postgres@127.0.0.1:5432/test) to run it";

/**
 * Declares one suite per database, with `%s` in the title replaced by the database's name. The
 * PostgreSQL suite is always declared, and reported as skipped with the reason when
 * `TEST_DATABASE_URL` is unset, so a run on SQLite alone shows what it did not cover.
 */
export function describeEachDatabase(title: string, body: (database: TestDatabase) => void): void {
  for (const database of ["sqlite", "postgres"] as const) {
    const skipped = database === "postgres" && !process.env.TEST_DATABASE_URL;
    const name = title.replace("%s", skipped ? `${database} (skipped: ${POSTGRES_SKIP_REASON})` : database);
    describe.skipIf(skipped)(name, () => body(database));
  }
}

export interface TestServerOptions extends ServerOptions {
  /** Defaults to `sqlite`. */
  database?: TestDatabase;
  /** Extra environment variables for `loadConfig`, such as `INVITATIONS_PER_TENANT_PER_HOUR`. */
  env?: Record<string, string>;
  /** Reuse a data folder (and its SQLite file) or PostgreSQL schema from an earlier server, to test a restart. */
  reuse?: { dataDir: string; schema?: string | undefined };
  /** Whether `close()` keeps the data folder and schema, for a later `reuse` (default false). */
  keepData?: boolean;
}

export interface TestServer extends Server {
  config: Config;
  dataDir: string;
  /** The PostgreSQL schema, when the database is PostgreSQL. */
  schema: string | undefined;
  /** Sends a request through `app.inject`, with a JSON body when `body` is given. */
  request(options: { method: string; url: string; headers?: Record<string, string>; body?: unknown }): Promise<TestResponse>;
}

export interface TestResponse {
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
  /** The body parsed as JSON; undefined when empty. */
  json: any;
}

/**
 * Starts a server on a fresh temporary data folder, with SQLite in it or with a fresh PostgreSQL schema
 * (dropped by `close()`), trusting the tokens of `mintToken`. It does not listen; use `request` or
 * `app.inject`, or call `app.listen({ port: 0 })` for real sockets.
 */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const database = options.database ?? "sqlite";
  const dataDir = options.reuse?.dataDir ?? (await mkdtemp(join(tmpdir(), "fruxon-test-")));
  const schema = database === "postgres" ? (options.reuse?.schema ?? `test_${randomUUID().replaceAll("-", "").slice(0, 16)}`) : undefined;

  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    AUTH_PUBLIC_KEY: TEST_PUBLIC_KEY_PEM,
    PAGE_TOKEN_SECRET: "test-page-token-secret-0123456789abcdef",
    PUBLIC_URL: "https://fruxon.test",
    LOG_LEVEL: "silent",
    WORKER: "off",
    ...options.env,
  };
  if (database === "postgres") {
    const url = process.env.TEST_DATABASE_URL;
    if (url === undefined) throw new Error("startTestServer({ database: \"postgres\" }) needs TEST_DATABASE_URL");
    env.DATABASE_URL = url;
    env.DATABASE_SCHEMA = schema as string;
  }
  const config = loadConfig(env);

  const { database: _database, env: _env, reuse: _reuse, keepData, ...serverOptions } = options;
  const server = await createServer(config, {
    logger: createLogger({ level: config.logLevel }),
    outbox: { pollIntervalMs: 50 },
    clock: strictlyIncreasingClock(),
    ...serverOptions,
  });

  let closed = false;
  return {
    ...server,
    config,
    dataDir,
    schema,
    async request({ method, url, headers = {}, body }) {
      const response = await server.app.inject({
        method: method as "GET",
        url,
        headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      });
      return {
        statusCode: response.statusCode,
        headers: response.headers,
        body: response.body,
        json: response.body === "" ? undefined : safeJson(response.body),
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      await server.close();
      if (keepData) return;
      await rm(dataDir, { recursive: true, force: true });
      if (schema !== undefined) await dropSchema(schema);
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Drops a PostgreSQL test schema and everything in it. */
export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/**
 * Returns a wall clock that never returns the same millisecond twice. Lists are ordered by creation
 * time with ties broken by the random id, so tests that expect creation order need distinct times.
 */
function strictlyIncreasingClock(): () => number {
  let last = 0;
  return () => {
    last = Math.max(Date.now(), last + 1);
    return last;
  };
}
