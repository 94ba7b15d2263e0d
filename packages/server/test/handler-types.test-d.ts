import { describe, expectTypeOf, it } from "vitest";
import type { Handler, HandlerRequest, HandlerResult } from "../src/contract/handler-types.js";

describe("handler types", () => {
  it("type path, query and body from the spec", () => {
    expectTypeOf<HandlerRequest<"updateUser">["path"]>().toEqualTypeOf<{ tenant: string; user: string }>();
    expectTypeOf<HandlerRequest<"updateUser">["body"]["role"]>().toEqualTypeOf<"ADMIN" | "MEMBER">();
    expectTypeOf<HandlerRequest<"listUsers">["query"]["pageSize"]>().toEqualTypeOf<number | undefined>();
  });

  it("reject a body that does not match the status", () => {
    const handler: Handler<"deleteUser"> = async () => ({ status: 204, body: undefined });
    expectTypeOf(handler).toBeFunction();

    // @ts-expect-error 200 is not a declared status of deleteUser.
    const wrongStatus: HandlerResult<"deleteUser"> = { status: 200, body: undefined };
    // @ts-expect-error a tenant is missing its slug.
    const wrongBody: HandlerResult<"getTenant"> = { status: 200, body: { id: "x", displayName: "d", createdAt: 1, modifiedAt: 1 } };
    expectTypeOf(wrongStatus).not.toBeNever();
    expectTypeOf(wrongBody).not.toBeNever();
  });
});
