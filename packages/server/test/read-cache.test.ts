import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import SqliteDatabase from "better-sqlite3";
import { Kysely, SqliteDialect, sql } from "kysely";
import type { Generated } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { withStatementCache } from "../src/db/database.js";

// The SQLite connection keeps the rows of a repeated SELECT while the database is unchanged. These tests
// count how often SQLite really runs a query through `probe()`, a function the query calls once per row.

interface Tables {
  items: { id: Generated<number>; name: string };
}

describe("SQLite read cache", () => {
  let folder: string;
  let file: string;
  let sqlite: SqliteDatabase.Database;
  let db: Kysely<Tables>;
  let runs: number;

  beforeEach(async () => {
    folder = mkdtempSync(join(tmpdir(), "fruxon-read-cache-"));
    file = join(folder, "cache.db");
    sqlite = new SqliteDatabase(file);
    sqlite.pragma("journal_mode = WAL");
    runs = 0;
    sqlite.function("probe", () => {
      runs += 1;
      return 1;
    });
    db = new Kysely<Tables>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
    await sql`create table items (id integer primary key, name text not null)`.execute(db);
    await db.insertInto("items").values([{ id: 1, name: "one" }, { id: 2, name: "two" }]).execute();
  });

  afterEach(async () => {
    await db.destroy();
    rmSync(folder, { recursive: true, force: true });
  });

  function names() {
    return db.selectFrom("items").select(["name", sql<number>`probe()`.as("probe")]).orderBy("id").execute();
  }

  it("serves a repeated select from cache", async () => {
    const first = await names();
    const second = await names();

    expect(second).toEqual(first);
    expect(runs).toBe(2); // one run, two rows
  });

  it("keys results by every parameter value", async () => {
    const byNames = (names: [string, string]) =>
      db.selectFrom("items").select(["id", sql<number>`probe()`.as("probe")]).where("name", "in", names).orderBy("id").execute();
    await db.insertInto("items").values([{ id: 3, name: "a\u0000sb" }, { id: 4, name: "c" }, { id: 5, name: "a" }, { id: 6, name: "b\u0000sc" }]).execute();

    expect((await byNames(["a\u0000sb", "c"])).map((row) => row.id)).toEqual([3, 4]);
    expect((await byNames(["a", "b\u0000sc"])).map((row) => row.id)).toEqual([5, 6]);
  });

  it("reruns the select after own write", async () => {
    await names();
    await db.updateTable("items").set({ name: "uno" }).where("id", "=", 1).execute();

    expect((await names()).map((row) => row.name)).toEqual(["uno", "two"]);
    expect(runs).toBe(4);
  });

  it("reruns the select after another commit", async () => {
    await names();
    const other = new SqliteDatabase(file);
    other.prepare("update items set name = 'eins' where id = 1").run();
    other.close();

    expect((await names()).map((row) => row.name)).toEqual(["eins", "two"]);
  });

  it("bypasses the cache inside transactions", async () => {
    await names();
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.updateTable("items").set({ name: "draft" }).where("id", "=", 1).execute();
        runs = 0;
        const inside = await trx.selectFrom("items").select(["name", sql<number>`probe()`.as("probe")]).orderBy("id").execute();
        await trx.selectFrom("items").select(["name", sql<number>`probe()`.as("probe")]).orderBy("id").execute();
        expect(inside.map((row) => row.name)).toEqual(["draft", "two"]);
        expect(runs).toBe(4);
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");

    expect((await names()).map((row) => row.name)).toEqual(["one", "two"]);
  });

  it("never caches INSERT … RETURNING", async () => {
    // the same SQL with the same values twice: a cached result would skip the second insert
    const insert = () => db.insertInto("items").values({ name: "same" }).returning("id").execute();
    const [first] = await insert();
    const [second] = await insert();
    expect(second?.id).not.toBe(first?.id);

    const { count } = await db.selectFrom("items").select((eb) => eb.fn.countAll<number>().as("count")).where("name", "=", "same").executeTakeFirstOrThrow();
    expect(Number(count)).toBe(2);
  });

  it("hands out frozen rows", async () => {
    const [row] = await names();
    expect(Object.isFrozen(row)).toBe(true);
    expect(() => {
      (row as { name: string }).name = "changed";
    }).toThrow(TypeError);
    expect((await names())[0]?.name).toBe("one");
  });

  it("bounds the rows it keeps", async () => {
    await db.insertInto("items").values(Array.from({ length: 300 }, (_, index) => ({ id: index + 10, name: `item ${index}` }))).execute();
    const after = (id: number, limit: number) =>
      db.selectFrom("items").select(["id", sql<number>`probe()`.as("probe")]).where("id", ">", id).orderBy("id").limit(limit).execute();
    const runsOf = async (query: () => Promise<unknown>) => {
      const before = runs;
      await query();
      return runs - before;
    };

    // a result of more than 101 rows is never kept
    await after(0, 102);
    expect(await runsOf(() => after(0, 102))).toBe(102);

    // 101 results of 100 rows exceed the 10,000 rows kept: the oldest goes, the newest stays
    for (let id = 100; id <= 200; id++) await after(id, 100);
    expect(await runsOf(() => after(200, 100))).toBe(0);
    expect(await runsOf(() => after(100, 100))).toBe(100);
  });
});
