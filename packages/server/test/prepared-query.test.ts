import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { readDirectly, transaction } from "../src/db/database.js";
import { prepareQuery, prepareVariants } from "../src/db/prepared.js";
import { createTenant, describeEachDatabase, startTestServer, testUser } from "./helpers/index.js";
import type { TestServer } from "./helpers/index.js";

describe("prepareVariants", () => {
  it("prepares each variant once", () => {
    const prepared: string[] = [];
    const variant = prepareVariants((flags: { status: boolean; role: boolean }) => {
      prepared.push(`${flags.status}/${flags.role}`);
      return { ...flags };
    });

    const first = variant({ status: true, role: false });
    expect(variant({ role: false, status: true })).toBe(first);
    expect(variant({ status: false, role: true })).not.toBe(first);
    expect(variant({ status: false, role: true })).toEqual({ status: false, role: true });
    expect(prepared).toEqual(["true/false", "false/true"]);
  });
});

describeEachDatabase("prepared queries on %s", (database) => {
  let server: TestServer;

  const tenantBySlug = prepareQuery(["slug"], (db, values) => db.selectFrom("tenants").select(["id", "slug", "display_name"]).where("slug", "=", values.slug));
  const rename = prepareQuery(["name", "slug"], (db, values) => db.updateTable("tenants").set({ display_name: values.name }).where("slug", "=", values.slug));

  beforeAll(async () => {
    server = await startTestServer({ database, dispatchEmail: false });
    const admin = await testUser("admin@example.com");
    await createTenant(server, admin, "acme", "Acme");
    await createTenant(server, admin, "globex", "Globex");
  });
  afterAll(async () => {
    await server?.close();
  });

  it("runs with each call's values", async () => {
    const [acme] = await tenantBySlug(server.context.db, { slug: "acme" });
    const [globex] = await tenantBySlug(server.context.db, { slug: "globex" });

    expect(acme?.display_name).toBe("Acme");
    expect(globex?.display_name).toBe("Globex");
    expect(await tenantBySlug(server.context.db, { slug: "initech" })).toEqual([]);
  });

  it("keeps the builder's constants", async () => {
    const named = prepareQuery(["slug"], (db, values) =>
      db.selectFrom("tenants").select("slug").where("slug", "=", values.slug).where("display_name", "=", "Globex"));

    expect(await named(server.context.db, { slug: "globex" })).toEqual([{ slug: "globex" }]);
    expect(await named(server.context.db, { slug: "acme" })).toEqual([]);
  });

  it("sees a transaction's own writes", async () => {
    const seen = await server.context.db
      .transaction()
      .execute(async (trx) => {
        await trx.updateTable("tenants").set({ display_name: "Acme Draft" }).where("slug", "=", "acme").execute();
        const [inside] = await tenantBySlug(trx, { slug: "acme" });
        throw Object.assign(new Error("roll back"), { inside });
      })
      .catch((error: { inside?: { display_name: string } }) => error.inside);

    expect(seen?.display_name).toBe("Acme Draft");
    const [after] = await tenantBySlug(server.context.db, { slug: "acme" });
    expect(after?.display_name).toBe("Acme");
  });

  it("runs writes in and out of transactions", async () => {
    await rename(server.context.db, { name: "Globex Corp", slug: "globex" });
    expect((await tenantBySlug(server.context.db, { slug: "globex" }))[0]?.display_name).toBe("Globex Corp");

    await server.context.db
      .transaction()
      .execute(async (trx) => {
        await rename(trx, { name: "Globex Draft", slug: "globex" });
        expect((await tenantBySlug(trx, { slug: "globex" }))[0]?.display_name).toBe("Globex Draft");
        throw new Error("roll back");
      })
      .catch(() => undefined);
    expect((await tenantBySlug(server.context.db, { slug: "globex" }))[0]?.display_name).toBe("Globex Corp");

    await rename(server.context.db, { name: "Globex", slug: "globex" });
  });

  it("keeps other queries out of a transaction", async () => {
    const db = server.context.db;
    let release!: () => void;
    const paused = new Promise<void>((resolve) => (release = resolve));
    let written!: () => void;
    const wrote = new Promise<void>((resolve) => (written = resolve));

    const rolledBack = transaction(db, async (trx) => {
      await trx.updateTable("tenants").set({ display_name: "Acme Draft" }).where("slug", "=", "acme").execute();
      written();
      await paused;
      throw new Error("roll back");
    }).catch((error: Error) => error.message);
    await wrote;
    const prepared = tenantBySlug(db, { slug: "acme" });
    const built = db.selectFrom("tenants").select("display_name").where("slug", "=", "acme").executeTakeFirstOrThrow();
    // give both reads time to run while the transaction is open, as they would without the queue
    await new Promise((resolve) => setTimeout(resolve, 20));
    release();

    expect(await rolledBack).toBe("roll back");
    expect((await prepared)[0]?.display_name).toBe("Acme");
    expect((await built).display_name).toBe("Acme");
  });

  it("commits a transaction's prepared writes", async () => {
    const seen = await transaction(server.context.db, async (trx) => {
      await rename(trx, { name: "Globex Corp", slug: "globex" });
      return (await tenantBySlug(trx, { slug: "globex" }))[0]?.display_name;
    });

    expect(seen).toBe("Globex Corp");
    expect((await tenantBySlug(server.context.db, { slug: "globex" }))[0]?.display_name).toBe("Globex Corp");
    await rename(server.context.db, { name: "Globex", slug: "globex" });
  });

  it("rejects a builder that changes a value", async () => {
    const lowered = prepareQuery(["slug"], (db, values) => db.selectFrom("tenants").select("slug").where("slug", "=", (values.slug as string).toUpperCase() as never));

    await expect(lowered(server.context.db, { slug: "acme" })).rejects.toThrow(/slug did not reach the SQL as parameters/);
  });

  it(database === "sqlite" ? "reads straight from SQLite unless a transaction holds the connection" : "leaves PostgreSQL reads to Kysely", async () => {
    const query = "select slug from tenants where slug = ?";
    if (database !== "sqlite") {
      expect(readDirectly(server.context.db, query, ["acme"])).toBeUndefined();
      return;
    }
    expect(readDirectly(server.context.db, query, ["acme"])).toEqual([{ slug: "acme" }]);
    await server.context.db.transaction().execute(async (trx) => {
      await trx.selectFrom("tenants").select("id").execute();
      expect(readDirectly(server.context.db, query, ["acme"])).toBeUndefined();
      expect(readDirectly(trx, query, ["acme"])).toBeUndefined();
    });
  });
});
