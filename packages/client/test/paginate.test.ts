import { describe, expect, it } from "vitest";

import createClient from "openapi-fetch";
import type { paths } from "@fruxon/api-types";

import { FruxonError, paginate, ProblemError } from "../src/index.js";
import { BASE_URL, json, problem, scriptedFetch, testClient } from "./helpers.js";

function user(id: string) {
  return { id, email: `${id}@example.com`, status: "ACTIVE", role: "MEMBER", createdAt: 1, modifiedAt: 1 };
}

async function collect<T>(iterator: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterator) {
    items.push(item);
  }
  return items;
}

describe("paginate", () => {
  it("follows nextPageToken until it is absent", async () => {
    const { client, sent } = testClient([
      json({ items: [user("u1"), user("u2")], nextPageToken: "p2", totalCount: 5 }),
      json({ items: [user("u3"), user("u4")], nextPageToken: "p3", totalCount: 5 }),
      json({ items: [user("u5")], totalCount: 5 }),
    ]);

    const users = await collect(
      paginate(client, "/v1/tenants/{tenant}/users", { params: { path: { tenant: "acme" }, query: { role: "MEMBER", pageSize: 2 } } }),
    );

    expect(users.map((item) => item.id)).toEqual(["u1", "u2", "u3", "u4", "u5"]);
    expect(sent.map((request) => new URL(request.url).search)).toEqual([
      "?role=MEMBER&pageSize=2",
      "?role=MEMBER&pageSize=2&pageToken=p2",
      "?role=MEMBER&pageSize=2&pageToken=p3",
    ]);
  });

  it("stops at an empty last page", async () => {
    const { client, sent } = testClient([json({ items: [], totalCount: 0 })]);

    const tenants = await collect(paginate(client, "/v1/tenants"));

    expect(tenants).toEqual([]);
    expect(sent).toHaveLength(1);
  });

  it("fetches the next page only when the caller asks for more", async () => {
    const { client, sent } = testClient([
      json({ items: [user("u1")], nextPageToken: "p2", totalCount: 2 }),
      json({ items: [user("u2")], totalCount: 2 }),
    ]);

    for await (const item of paginate(client, "/v1/tenants/{tenant}/users", { params: { path: { tenant: "acme" } } })) {
      expect(item.id).toBe("u1");
      break;
    }

    expect(sent).toHaveLength(1);
  });

  it("throws a clear error when the server repeats a page token", async () => {
    const { client, sent } = testClient([
      json({ items: [user("u1")], nextPageToken: "p2", totalCount: 9 }),
      json({ items: [user("u2")], nextPageToken: "p3", totalCount: 9 }),
      json({ items: [user("u3")], nextPageToken: "p2", totalCount: 9 }),
    ]);
    const seen: string[] = [];

    const run = async () => {
      for await (const item of paginate(client, "/v1/tenants/{tenant}/users", { params: { path: { tenant: "acme" } } })) {
        seen.push(item.id);
      }
    };

    const error = await run().catch((failure: unknown) => failure);

    expect(error).toBeInstanceOf(FruxonError);
    expect((error as Error).message).toMatch(/returned the page token "p2" a second time/);
    expect(seen).toEqual(["u1", "u2", "u3"]);
    expect(sent).toHaveLength(3);
  });

  it("treats a token equal to the starting one as repeated", async () => {
    const { client } = testClient([json({ items: [user("u1")], nextPageToken: "start", totalCount: 1 })]);

    const run = collect(paginate(client, "/v1/tenants/{tenant}/users", { params: { path: { tenant: "acme" }, query: { pageToken: "start" } } }));

    await expect(run).rejects.toThrow(/page token "start" a second time/);
  });

  it("throws the page's ProblemError", async () => {
    const { client } = testClient([
      json({ items: [user("u1")], nextPageToken: "p2", totalCount: 2 }),
      problem(400, { title: "Invalid page token", code: "INVALID_PAGE_TOKEN" }),
    ]);

    const run = collect(paginate(client, "/v1/tenants/{tenant}/users", { params: { path: { tenant: "acme" } } }));

    await expect(run).rejects.toSatisfy((error: unknown) => error instanceof ProblemError && error.code === "INVALID_PAGE_TOKEN");
  });

  it("works with a bare openapi-fetch client", async () => {
    const { fetch } = scriptedFetch([problem(404, { title: "Not found", code: "NOT_FOUND" }, { "x-request-id": "from-server" })]);
    const bare = createClient<paths>({ baseUrl: BASE_URL, fetch });

    const run = collect(paginate(bare, "/v1/tenants/{tenant}/operations", { params: { path: { tenant: "acme" } } }));

    await expect(run).rejects.toSatisfy(
      (error: unknown) => error instanceof ProblemError && error.status === 404 && error.requestId === "from-server",
    );
  });
});
