import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

import SqliteDatabase from "better-sqlite3";
import { CompiledQuery, Kysely, PostgresDialect, SqliteDialect, SqliteDriver } from "kysely";
import type { DatabaseConnection, Driver, SqliteDialectConfig, SqliteDatabase as SqliteConnectionHandle } from "kysely";
import pg from "pg";

import type { Config } from "../config.js";
import type { Database, Queryable, SqlDialect } from "./schema.js";

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

  const connection = withStatementCache(sqlite);
  const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: connection }) });
  directReaders.set(db, (sql, parameters) => (sqlite.inTransaction ? undefined : (connection.prepare(sql).all(parameters) as unknown[])));

  // The Kysely instance that transaction bodies receive. It runs on the same connection without
  // queueing, which is safe because `runSqliteTransaction` has acquired the connection meanwhile.
  const inside = new Kysely<Database>({ dialect: new SqliteDialect({ database: connection }) });
  insideTransaction.set(inside, (sql, parameters, reads) => {
    const statement = connection.prepare(sql);
    if (reads) return statement.all(parameters) as unknown[];
    statement.run(parameters);
    return [];
  });
  sqliteTransactions.set(db, (body) => runSqliteTransaction(db, sqlite, connection, inside, body));
  return { db, dialect: "sqlite", description: `sqlite:${file}` };
}

/** Per SQLite database, a function that runs a transaction body on the connection directly. */
const sqliteTransactions = new WeakMap<object, <Result>(body: (trx: Queryable) => Promise<Result>) => Promise<Result>>();

/** Per Kysely instance that transaction bodies receive on SQLite, a function that runs a statement at once. */
const insideTransaction = new WeakMap<object, (sql: string, parameters: readonly unknown[], reads: boolean) => unknown[]>();

/**
 * Runs `body` in one transaction and returns its result; a body that throws rolls it back. On PostgreSQL
 * this is a Kysely transaction. On SQLite the body runs between `BEGIN IMMEDIATE` and `COMMIT`, issued on
 * the connection after acquiring it from Kysely's queue, and prepared queries in it run at once. In a
 * micro-benchmark, Kysely's own transaction handling took about a quarter of a role change's time.
 */
export async function transaction<Result>(db: Kysely<Database>, body: (trx: Queryable) => Promise<Result>): Promise<Result> {
  const run = sqliteTransactions.get(db);
  return run === undefined ? db.transaction().execute(body) : run(body);
}

async function runSqliteTransaction<Result>(
  db: Kysely<Database>,
  sqlite: SqliteDatabase.Database,
  connection: SqliteConnectionHandle,
  inside: Kysely<Database>,
  body: (trx: Queryable) => Promise<Result>,
): Promise<Result> {
  // Holding the connection keeps every other query, which goes through Kysely or checks
  // `inTransaction` first, out of this transaction.
  return db.getExecutor().provideConnection(async () => {
    connection.prepare("begin immediate").run([]);
    try {
      const result = await body(inside);
      connection.prepare("commit").run([]);
      return result;
    } catch (error) {
      if (sqlite.inTransaction) connection.prepare("rollback").run([]);
      throw error;
    }
  });
}

/**
 * Runs a compiled statement at once where that is safe, and returns its rows: any statement inside a
 * SQLite transaction body, and a read on a SQLite database outside a transaction (see `readDirectly`).
 * Returns undefined where the statement must go through Kysely.
 */
export function runDirectly(db: Queryable, sql: string, parameters: readonly unknown[], reads: boolean): unknown[] | undefined {
  const inside = insideTransaction.get(db);
  if (inside !== undefined) return inside(sql, parameters, reads);
  return reads ? readDirectly(db, sql, parameters) : undefined;
}

/** Per SQLite database, a function that runs a read at once unless a transaction is open on the connection. */
const directReaders = new WeakMap<object, (sql: string, parameters: readonly unknown[]) => unknown[] | undefined>();

/**
 * Runs a read-only query straight on a SQLite connection, without Kysely's connection queue, and returns
 * its rows. Returns undefined on PostgreSQL, for a transaction, and while a transaction is open on the
 * connection (the query would run inside it), so that the caller goes through Kysely instead.
 * better-sqlite3 runs the query synchronously, so nothing else can use the connection meanwhile.
 */
export function readDirectly(db: Queryable, sql: string, parameters: readonly unknown[]): unknown[] | undefined {
  return directReaders.get(db)?.(sql, parameters);
}

/** Prepared statements kept per SQL text; the queries are built from a fixed set of shapes, so few are needed. */
const STATEMENT_CACHE_SIZE = 500;
/**
 * Rows the read cache keeps in all, and the largest result it keeps: a page of the largest page size
 * (100) plus the row that shows whether another page follows. Export pages (500 rows) are not kept.
 */
const READ_CACHE_ROWS = 10_000;
const READ_CACHE_MAX_ROWS = 101;

/** The statement methods Kysely's SQLite driver calls. */
type DriverStatement = Pick<SqliteDatabase.Statement, "reader" | "all" | "run" | "iterate">;

/**
 * Wraps the connection so that each SQL text is prepared once, and that a `SELECT` repeated while the
 * database has not changed returns its earlier rows without running again.
 *
 * Kysely's SQLite driver prepares every query it runs, which took about a sixth of a request's CPU time
 * in a profile of the benchmark. Kysely runs one query at a time on the connection, so a cached statement
 * is never in use twice; SQLite prepares it again itself after a schema change.
 *
 * The read cache is emptied by every statement of this connection that is not a plain `SELECT` (writes,
 * `BEGIN`, `COMMIT`, `ROLLBACK`) and, through `PRAGMA data_version`, by every commit of another
 * connection or process, which that pragma reports before each cached read. Reads inside a transaction
 * always run. So a cached result is always the one the query would return at that moment, and
 * membership and role checks still see every change at once. Cached rows are frozen and shared.
 */
export function withStatementCache(sqlite: SqliteDatabase.Database): SqliteConnectionHandle {
  const statements = new Map<string, DriverStatement>();
  const reads = new ReadCache(sqlite);
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      let statement = statements.get(sql);
      if (statement === undefined) {
        statement = reads.wrap(sql, sqlite.prepare(sql));
        if (statements.size >= STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value as string);
        statements.set(sql, statement);
      }
      return statement as SqliteDatabase.Statement;
    },
  };
}

class ReadCache {
  readonly #sqlite: SqliteDatabase.Database;
  readonly #dataVersion: SqliteDatabase.Statement<[], number>;
  readonly #results = new Map<string, readonly unknown[]>();
  /** Rows in `#results`, counting an empty result as one. */
  #rows = 0;
  #seenVersion = -1;

  constructor(sqlite: SqliteDatabase.Database) {
    this.#sqlite = sqlite;
    this.#dataVersion = sqlite.prepare<[], number>("PRAGMA data_version").pluck();
  }

  wrap(sql: string, statement: SqliteDatabase.Statement): DriverStatement {
    // `reader` is also true for `INSERT … RETURNING`, so only a statement that starts with SELECT is cached.
    const cacheable = statement.reader && /^\s*select\s/i.test(sql);
    const clearing = <Args extends unknown[], Result>(run: (...args: Args) => Result) => (...args: Args): Result => {
      try {
        return run(...args);
      } finally {
        this.#clear();
      }
    };
    return {
      reader: statement.reader,
      run: clearing(statement.run.bind(statement)),
      iterate: statement.iterate.bind(statement),
      all: cacheable ? (parameters: unknown) => this.#read(sql, statement, parameters) : clearing(statement.all.bind(statement)),
    } as DriverStatement;
  }

  #read(sql: string, statement: SqliteDatabase.Statement, parameters: unknown): unknown[] {
    const key = this.#sqlite.inTransaction ? undefined : cacheKey(sql, parameters);
    if (key === undefined) return statement.all(parameters);

    const version = this.#dataVersion.get() as number;
    if (version !== this.#seenVersion) {
      this.#clear();
      this.#seenVersion = version;
    }
    const cached = this.#results.get(key);
    if (cached !== undefined) return cached.slice();

    const rows = statement.all(parameters) as object[];
    if (rows.length <= READ_CACHE_MAX_ROWS) {
      for (const row of rows) Object.freeze(row);
      this.#keep(key, rows.slice());
    }
    return rows;
  }

  /** Adds a result, first dropping the oldest ones until the cache has room for its rows. */
  #keep(key: string, rows: readonly unknown[]): void {
    const size = Math.max(rows.length, 1);
    for (const [oldKey, oldRows] of this.#results) {
      if (this.#rows + size <= READ_CACHE_ROWS) break;
      this.#results.delete(oldKey);
      this.#rows -= Math.max(oldRows.length, 1);
    }
    this.#results.set(key, rows);
    this.#rows += size;
  }

  #clear(): void {
    this.#results.clear();
    this.#rows = 0;
  }
}

/** Builds the cache key of a query and its parameters; returns undefined when a parameter is not a string, number or null. */
function cacheKey(sql: string, parameters: unknown): string | undefined {
  if (!Array.isArray(parameters)) return undefined;
  let key = sql;
  for (const value of parameters) {
    if (value === null) key += "\u0000n";
    else if (typeof value === "string") key += `\u0000s${value.length}:${value}`;
    else if (typeof value === "number") key += `\u0000d${value}`;
    else return undefined;
  }
  return key;
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
