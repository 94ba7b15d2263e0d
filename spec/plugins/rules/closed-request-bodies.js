// Request bodies reject unknown properties, so every object schema of a JSON request body (the body
// itself and, at any depth, its properties, array items and composition parts) must set
// `additionalProperties: false`. References are followed file by file, and each schema is checked once.
import { followRef } from "../follow-ref.js";

const COMPOSITIONS = ["allOf", "oneOf", "anyOf"];
const isObject = (schema) => schema.properties !== undefined || [schema.type].flat().includes("object");
const childrenOf = (schema) => [
  ...Object.entries(schema.properties ?? {}).map(([name, child]) => [child, ["properties", name]]),
  ...(schema.items === undefined ? [] : [[schema.items, ["items"]]]),
  ...COMPOSITIONS.flatMap((key) => (schema[key] ?? []).map((child, index) => [child, [key, index]])),
];

export default function ClosedRequestBodies() {
  const checked = new Set();

  return {
    RequestBody: {
      enter(requestBody, ctx) {
        const pending = Object.entries(requestBody.content ?? {})
          .filter(([mediaType]) => /[/+]json$/.test(mediaType))
          .map(([mediaType, media]) =>
            followRef(ctx, media.schema, ctx.location.child(["content", mediaType, "schema"])),
          );

        for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
          const { node: schema, location } = next;
          if (typeof schema !== "object" || schema === null || checked.has(schema)) continue;
          checked.add(schema);

          if (isObject(schema) && schema.additionalProperties !== false) {
            ctx.report({
              message: `Request body schema "${schema.title ?? location.pointer}" does not set "additionalProperties: false". Add it so that unknown properties are rejected.`,
              location,
            });
          }
          for (const [child, path] of childrenOf(schema)) {
            pending.push(followRef(ctx, child, location.child(path)));
          }
        }
      },
    },
  };
}
