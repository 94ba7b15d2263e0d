// A list operation is a GET whose 200 JSON body has an `items` array property. A list is paged by
// an opaque token: the request takes the query parameters `pageSize` and `pageToken`, and the body
// has `nextPageToken`, which is absent on the last page. Properties of `allOf` parts count.
import { followRef } from "../follow-ref.js";

export default function ListPagination() {
  return {
    Operation: {
      enter(operation, ctx) {
        if (ctx.key !== "get") return;

        const response = followRef(ctx, operation.responses?.["200"], ctx.location);
        const body = followRef(ctx, response.node?.content?.["application/json"]?.schema, response.location);
        const parts = [body, ...(body.node?.allOf ?? []).map((part) => followRef(ctx, part, body.location))];
        const properties = Object.assign({}, ...parts.map((part) => part.node?.properties));
        const owner = parts.find((part) => part.node?.properties?.items !== undefined);
        const items = owner && followRef(ctx, owner.node.properties.items, owner.location).node;
        if (items?.type !== "array") return;

        const parameters = [...(ctx.parent?.parameters ?? []), ...(operation.parameters ?? [])];
        const query = parameters
          .map((parameter) => followRef(ctx, parameter, ctx.location).node)
          .filter((parameter) => parameter?.in === "query");
        const missing = ["pageSize", "pageToken"]
          .filter((name) => !query.some((parameter) => parameter.name === name))
          .map((name) => `query parameter "${name}"`);
        if (properties.nextPageToken === undefined) missing.push('200 body property "nextPageToken"');

        for (const missingPart of missing) {
          ctx.report({
            message: `List operation "${operation.operationId ?? "get"}" has no ${missingPart}. A list takes "pageSize" and "pageToken" and returns "nextPageToken".`,
            location: ctx.location.key(),
          });
        }
      },
    },
  };
}
