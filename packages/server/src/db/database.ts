import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

import SqliteDatabase from "better-sqlite3";
import { CompiledQuery, Kysely, PostgresDialect, SqliteDialect, SqliteDriver } from "kysely";
import type { DatabaseConnection, Driver, SqliteDialectConfig } from "kysely";
import pg from "pg";

import type { Config } from "../config.js";
import type { Database, SqlDialect } from "./schema.js";

/** An open database: the Kysely instance and which dialect it speaks. */
export interface DatabaseHandle {
  db: Kysely<Database>;
  dialect: SqlDialect;
  /** The data's location for logs, without credentials. */
  description: string;
}

const PG_INT8_OID = 20;
const SQLITE_BUSY_TIMEOUT_MS = 5000;

/**
 * Opens the database named by `config.databaseUrl`. Unset or `sqlite:` opens SQLite with WAL, a busy
 * timeout and foreign keys on. `postgres://` opens a PostgreSQL pool whose `search_path` is
 * `config.databaseSchema`, and creates that schema when it is missing.
 */
export async function openDatabase(config: Config): Promise<DatabaseHandle> {
  const url = config.databaseUrl;
  if (url !== undefined && /^postgres(ql)?:\/\//.test(url)) return openPostgres(url, config.databaseSchema);

  const file = url === undefined ? join(config.dataDir, "fruxon.db") : sqliteFile(url);
  return openSqlite(file);
}

function sqliteFile(url: string): string {
  const path = url.replace(/^sqlite:(\/\/)?/, "");
  if (path === ":memory:") return path;
  return resolve(path);
}

function openSqlite(file: string): DatabaseHandle {
  if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });

  const sqlite = new SqliteDatabase(file, { timeout: SQLITE_BUSY_TIMEOUT_MS });
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("synchronous = NORMAL");

  const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: withStatementCache(sqlite) }) });
  return { db, dialect: "sqlite", description: `sqlite:${file}` };
}

/** Prepared statements kept per SQL text; the queries are built from a fixed set of shapes, so few are needed. */
const STATEMENT_CACHE_SIZE = 500;

/**
 * Wraps the connection so that each SQL text is prepared once. Kysely's SQLite driver prepares every query
 * it runs, which took about a sixth of a request's CPU time in a profile of the benchmark. Kysely runs one query at a time on the
 * connection, so a cached statement is never in use twice; SQLite prepares it again itself after a schema change.
 */
function withStatementCache(sqlite: SqliteDatabase.Database): SqliteDialectConfig["database"] {
  const statements = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      let statement = statements.get(sql);
      if (statement === undefined) {
        statement = sqlite.prepare(sql);
        if (statements.size >= STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value as string);
        statements.set(sql, statement);
      }
      return statement;
    },
  };
}

async function openPostgres(url: string, schema: string): Promise<DatabaseHandle> {
  // The schema name is validated by `loadConfig` as a lower-case identifier, so quoting it is enough.
  const quotedSchema = `"${schema.replaceAll('"', '""')}"`;
  const setup = new pg.Client({ connectionString: url });
  await setup.connect();
  try {
    await setup.query(`CREATE SCHEMA IF NOT EXISTS ${quotedSchema}`);
  } finally {
    await setup.end();
  }

  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    options: `-c search_path=${schema}`,
    types: {
      // BIGINT columns hold epoch milliseconds and counts, which fit in a double.
      getTypeParser: ((oid: number, format?: "text" | "binary") =>
        oid === PG_INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });

  const parsed = new URL(url);
  return { db, dialect: "postgres", description: `postgres://${parsed.host}${parsed.pathname} schema ${schema}` };
}

/**
 * SQLite dialect whose transactions start with `BEGIN IMMEDIATE`, so a transaction takes the write lock
 * before its first read. Within one process Kysely already runs every query on one connection; the
 * immediate lock also keeps a second process from interleaving a read-then-write.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
}

class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("begin immediate"));
  }
}

/** Tells whether `error` is a unique-constraint violation on either dialect. */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const code = (error as { code?: unknown }).code;
  return code === "23505" || code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}
