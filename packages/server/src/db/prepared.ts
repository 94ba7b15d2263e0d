import { CompiledQuery } from "kysely";
import type { Compilable } from "kysely";

import { runDirectly } from "./database.js";
import type { Queryable } from "./schema.js";

/** Stands for a named value while the query is compiled; no real value contains a NUL character. */
const PLACEHOLDER_PREFIX = "\u0000value:";

interface Compiled {
  sql: string;
  /** Whether the statement only reads, and so may skip Kysely's connection queue on SQLite. */
  reads: boolean;
  /** For each SQL parameter, the name of the value it takes, or the constant the builder put there. */
  slots: ({ name: string } | { constant: unknown })[];
}

/**
 * Prepares a query that Kysely builds and compiles once per dialect and that then runs with new values.
 * Building and compiling a query took about a quarter of a read request's CPU time, while the queries
 * on the busiest paths only ever differ in their values.
 *
 * `build` receives a placeholder for each name and must pass it through unchanged. Lower-casing or
 * arithmetic belongs on the value, before the call. Every value must be a parameter of the
 * SQL, so it cannot choose a column, a direction or an optional clause: such variants are separate
 * prepared queries. On SQLite a `SELECT` outside a transaction and every statement in a transaction body
 * (see `transaction`) run at once; everything else goes through Kysely.
 */
export function prepareQuery<Name extends string, Row>(
  names: readonly Name[],
  build: (db: Queryable, values: Record<Name, never>) => Compilable<Row>,
): (db: Queryable, values: Record<Name, unknown>) => Promise<Row[]> {
  // The SQL depends on the dialect only; transactions of one database share its adapter.
  const compiledByAdapter = new WeakMap<object, Compiled>();

  const compile = (db: Queryable): Compiled => {
    const placeholders = Object.fromEntries(names.map((name) => [name, `${PLACEHOLDER_PREFIX}${name}`])) as Record<Name, never>;
    const { sql, parameters } = build(db, placeholders).compile();
    const slots = parameters.map((parameter) =>
      typeof parameter === "string" && parameter.startsWith(PLACEHOLDER_PREFIX) ? { name: parameter.slice(PLACEHOLDER_PREFIX.length) } : { constant: parameter },
    );
    const used = new Set(slots.flatMap((slot) => ("name" in slot ? [slot.name] : [])));
    const unused = names.filter((name) => !used.has(name));
    if (unused.length > 0) throw new Error(`prepareQuery: ${unused.join(", ")} did not reach the SQL as parameters: ${sql}`);
    return { sql, reads: /^\s*select\s/i.test(sql), slots };
  };

  return async (db, values) => {
    const adapter = db.getExecutor().adapter;
    let compiled = compiledByAdapter.get(adapter);
    if (compiled === undefined) {
      compiled = compile(db);
      compiledByAdapter.set(adapter, compiled);
    }
    const parameters = compiled.slots.map((slot) => ("name" in slot ? values[slot.name as Name] : slot.constant));
    // On SQLite a read outside a transaction, and any statement in a transaction body, skips Kysely's
    // connection queue: that queue took a few promise round trips per query.
    const rows = runDirectly(db, compiled.sql, parameters, compiled.reads);
    if (rows !== undefined) return rows as Row[];
    const result = await db.executeQuery<Row>(CompiledQuery.raw(compiled.sql, parameters));
    return result.rows as Row[];
  };
}

/**
 * Prepares one query per variant, for queries whose clauses depend on which filters are set. A variant
 * is named by its flags, such as `{ status: true, role: false }`, and `prepare` runs once per variant.
 */
export function prepareVariants<Flags extends Record<string, boolean>, Query>(prepare: (flags: Flags) => Query): (flags: Flags) => Query {
  const variants = new Map<string, Query>();
  return (flags) => {
    const key = Object.keys(flags)
      .sort()
      .map((name) => `${name}=${flags[name]}`)
      .join(",");
    let query = variants.get(key);
    if (query === undefined) {
      query = prepare(flags);
      variants.set(key, query);
    }
    return query;
  };
}
