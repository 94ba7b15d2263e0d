export type { components, operations, paths, webhooks } from "./generated/openapi.js";
export type * from "./generated/schemas.js";
