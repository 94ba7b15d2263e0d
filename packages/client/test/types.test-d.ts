import type { components, Operation, operations, paths, Problem, Tenant, User } from "@fruxon/api-types";
import createClient, { type Client } from "openapi-fetch";
import type { MediaType } from "openapi-typescript-helpers";
import { describe, expectTypeOf, it } from "vitest";

import {
  createFruxonClient,
  paginate,
  unwrap,
  uploadFile,
  waitForOperation,
  type FruxonClient,
  type ListPath,
  type ProblemError,
} from "../src/index.js";

declare const client: FruxonClient;

/** The statuses an operation declares, minus its success ones, written independently of the client's types. */
type DeclaredErrors<Name extends keyof operations> = Exclude<keyof operations[Name]["responses"], 200 | 201 | 202 | 204>;
const path = { params: { path: { tenant: "acme", user: "u1" } } };

describe("calls", () => {
  it("rejects a wrong path", () => {
    // @ts-expect-error: no such path
    void client.GET("/v1/tenant");
    // @ts-expect-error: the path has no DELETE
    void client.DELETE("/v1/tenants");
  });

  it("rejects a missing required parameter", () => {
    // @ts-expect-error: params.path.tenant is required
    void client.GET("/v1/tenants/{tenant}");
    // @ts-expect-error: params.path.user is missing
    void client.GET("/v1/tenants/{tenant}/users/{user}", { params: { path: { tenant: "acme" } } });
  });

  it("rejects a wrong body field", () => {
    // @ts-expect-error: role must be ADMIN or MEMBER
    void client.PATCH("/v1/tenants/{tenant}/users/{user}", { ...path, body: { role: "OWNER" } });
    // @ts-expect-error: displayName is required
    void client.POST("/v1/tenants", { body: { slug: "acme" } });
    // @ts-expect-error: displayName is a string
    void client.POST("/v1/tenants", { body: { slug: "acme", displayName: 42 } });
    // @ts-expect-error: firstName is a string or null
    void client.PATCH("/v1/users/me", { body: { firstName: 7 } });
  });

  it("rejects a wrong query value and a wrong call option", () => {
    // @ts-expect-error: status filter is INVITED or ACTIVE
    void client.GET("/v1/tenants/{tenant}/users", { params: { path: { tenant: "acme" }, query: { status: "GONE" } } });
    // @ts-expect-error: timeoutMs is a number
    void client.GET("/v1/tenants", { timeoutMs: "5s" });
  });

  it("narrows data and error", async () => {
    const result = await client.GET("/v1/tenants/{tenant}/users/{user}", path);

    expectTypeOf(result.requestId).toEqualTypeOf<string>();
    if (result.error) {
      expectTypeOf(result.data).toEqualTypeOf<undefined>();
      expectTypeOf(result.error.status).toEqualTypeOf<DeclaredErrors<"getUser">>();
      expectTypeOf<404>().toMatchTypeOf<typeof result.error.status>();
      expectTypeOf<200>().not.toMatchTypeOf<typeof result.error.status>();
      expectTypeOf(result.error).toMatchTypeOf<Error>();
    } else {
      expectTypeOf(result.data).toEqualTypeOf<User>();
    }
  });

  it("discriminates the error on its status", async () => {
    const { error } = await client.PATCH("/v1/tenants/{tenant}/users/{user}", { ...path, body: { role: "MEMBER" } });

    if (error?.status === 409) {
      expectTypeOf(error.status).toEqualTypeOf<409>();
      expectTypeOf(error.body).toEqualTypeOf<components["responses"]["ConflictLastAdmin"]["content"]["application/problem+json"]>();
      expectTypeOf(error.code).toEqualTypeOf<Problem["code"]>();
    }
    if (error !== undefined && error.status !== 409) {
      expectTypeOf(error.status).toEqualTypeOf<Exclude<DeclaredErrors<"updateUser">, 409>>();
    }
  });

  it("types a 204 result as undefined", async () => {
    const { data } = await client.DELETE("/v1/tenants/{tenant}/users/{user}", path);

    expectTypeOf(data).toEqualTypeOf<undefined>();
  });

  it("stays an openapi-fetch Client", () => {
    expectTypeOf(client).toMatchTypeOf<Client<paths>>();
    expectTypeOf(createFruxonClient).returns.toEqualTypeOf<FruxonClient>();
    // Libraries such as openapi-react-query infer the paths from a Client parameter.
    const inferPaths = <P extends {}, M extends MediaType>(_client: Client<P, M>): P => ({}) as P;
    expectTypeOf(inferPaths(client)).toEqualTypeOf<paths>();
  });
});

describe("helpers", () => {
  it("unwraps to the success type", async () => {
    expectTypeOf(await unwrap(client.GET("/v1/tenants/{tenant}", { params: { path: { tenant: "acme" } } }))).toEqualTypeOf<Tenant>();
    expectTypeOf(await unwrap(client.DELETE("/v1/tenants/{tenant}/users/{user}", path))).toEqualTypeOf<undefined>();
  });

  it("paginates list operations only, typed by item", () => {
    expectTypeOf<"/v1/tenants" | "/v1/tenants/{tenant}/users" | "/v1/tenants/{tenant}/operations">().toMatchTypeOf<ListPath>();
    expectTypeOf<"/v1/users/me">().not.toMatchTypeOf<ListPath>();
    expectTypeOf<"/v1/me/pendingInvitations">().not.toMatchTypeOf<ListPath>();
    expectTypeOf(paginate(client, "/v1/tenants/{tenant}/users", { params: { path: { tenant: "acme" } } })).toEqualTypeOf<
      AsyncGenerator<User, void, undefined>
    >();
    expectTypeOf(paginate(client, "/v1/tenants")).toEqualTypeOf<AsyncGenerator<Tenant, void, undefined>>();
    // @ts-expect-error: not a list operation
    void paginate(client, "/v1/users/me");
    // @ts-expect-error: the tenant path parameter is required
    void paginate(client, "/v1/tenants/{tenant}/operations");
  });

  it("accepts a bare openapi-fetch client", () => {
    const bare = createClient<paths>();
    expectTypeOf(waitForOperation(bare, { tenant: "acme", operation: "o" })).toEqualTypeOf<Promise<Operation>>();
    expectTypeOf(uploadFile(bare, { tenant: "acme", file: new Blob([]) })).resolves.toHaveProperty("fileId");
  });

  it("exports ProblemError generic over status and body", () => {
    expectTypeOf<ProblemError<404, Problem>["status"]>().toEqualTypeOf<404>();
  });
});
