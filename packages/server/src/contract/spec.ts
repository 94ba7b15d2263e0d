import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

import type { OperationId } from "./handler-types.js";

/** A JSON Schema object as the bundle writes it (OpenAPI 3.1, JSON Schema 2020-12). */
export type JsonSchema = { [keyword: string]: unknown };

export type HttpMethod = "get" | "put" | "post" | "delete" | "options" | "head" | "patch" | "trace";

const HTTP_METHODS: readonly HttpMethod[] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/** The parts of the bundled OpenAPI document that the router reads. */
export interface OpenApiDocument {
  openapi: string;
  security?: Record<string, string[]>[];
  paths: Record<string, Record<string, unknown>>;
  components?: Record<string, Record<string, unknown>>;
}

export type ParameterLocation = "path" | "query" | "header" | "cookie";

export interface ParameterSpec {
  name: string;
  in: ParameterLocation;
  required: boolean;
  schema: JsonSchema;
}

export interface ResponseSpec {
  /** Media type of the body, such as `application/json`; undefined for a response without a body. */
  contentType: string | undefined;
  /** The dereferenced body schema. */
  schema: JsonSchema | undefined;
}

export interface OperationSpec {
  operationId: OperationId;
  /** Upper-case HTTP method. */
  method: Uppercase<HttpMethod>;
  /** OpenAPI path template, such as `/v1/tenants/{tenant}/users:invite`. */
  path: string;
  /** Whether the operation needs a bearer token: false only for `security: []`. */
  authenticated: boolean;
  parameters: ParameterSpec[];
  requestBody: { required: boolean; contentType: string; schema: JsonSchema | undefined } | undefined;
  /** Responses by status code (`"200"`, `"4XX"`, `"default"`). */
  responses: Record<string, ResponseSpec>;
}

const require = createRequire(import.meta.url);

/** Returns the file path of the bundled document, `@fruxon/spec/openapi.json`. */
export function bundlePath(format: "json" | "yaml" = "json"): string {
  return require.resolve(`@fruxon/spec/openapi.${format}`);
}

/** Reads the bundled OpenAPI document. */
export function loadSpec(path = bundlePath("json")): OpenApiDocument {
  return JSON.parse(readFileSync(path, "utf8")) as OpenApiDocument;
}

/** Lists every operation of the document with parameters, body and response schemas dereferenced. */
export function listOperations(document: OpenApiDocument): OperationSpec[] {
  const operations: OperationSpec[] = [];
  const globalSecurity = document.security ?? [];

  for (const [path, pathItem] of Object.entries(document.paths)) {
    const shared = asArray(pathItem.parameters);
    for (const method of HTTP_METHODS) {
      const operation = pathItem[method] as Record<string, unknown> | undefined;
      if (operation === undefined) continue;

      const operationId = operation.operationId;
      if (typeof operationId !== "string") throw new Error(`${method.toUpperCase()} ${path} has no operationId`);
      const security = (operation.security ?? globalSecurity) as unknown[];

      operations.push({
        operationId: operationId as OperationId,
        method: method.toUpperCase() as Uppercase<HttpMethod>,
        path,
        authenticated: security.length > 0,
        parameters: mergeParameters(document, shared, asArray(operation.parameters)),
        requestBody: readRequestBody(document, operation.requestBody),
        responses: readResponses(document, operation.responses),
      });
    }
  }
  return operations;
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Merges path-level and operation-level parameters; an operation parameter overrides one with the same name and location. */
function mergeParameters(document: OpenApiDocument, shared: unknown[], own: unknown[]): ParameterSpec[] {
  const byKey = new Map<string, ParameterSpec>();
  for (const raw of [...shared, ...own]) {
    const parameter = resolveRef(document, raw) as { name: string; in: ParameterLocation; required?: boolean; schema?: unknown };
    byKey.set(`${parameter.in}:${parameter.name}`, {
      name: parameter.name,
      in: parameter.in,
      required: parameter.in === "path" || parameter.required === true,
      schema: dereference(document, parameter.schema ?? {}) as JsonSchema,
    });
  }
  return [...byKey.values()];
}

function readRequestBody(document: OpenApiDocument, raw: unknown): OperationSpec["requestBody"] {
  if (raw === undefined) return undefined;
  const body = resolveRef(document, raw) as { required?: boolean; content?: Record<string, { schema?: unknown }> };
  const [contentType, media] = Object.entries(body.content ?? {})[0] ?? [];
  if (contentType === undefined) return undefined;
  return {
    required: body.required === true,
    contentType,
    schema: media?.schema === undefined ? undefined : (dereference(document, media.schema) as JsonSchema),
  };
}

function readResponses(document: OpenApiDocument, raw: unknown): Record<string, ResponseSpec> {
  const responses: Record<string, ResponseSpec> = {};
  for (const [status, value] of Object.entries((raw ?? {}) as Record<string, unknown>)) {
    const response = resolveRef(document, value) as { content?: Record<string, { schema?: unknown }> };
    const [contentType, media] = Object.entries(response.content ?? {})[0] ?? [];
    responses[status] = {
      contentType,
      schema: media?.schema === undefined ? undefined : (dereference(document, media.schema) as JsonSchema),
    };
  }
  return responses;
}

/** Follows one local `$ref` (`#/components/...`) and returns its target; other values are returned unchanged. */
function resolveRef(document: OpenApiDocument, value: unknown): unknown {
  let current = value;
  const seen = new Set<string>();
  while (isObject(current) && typeof current.$ref === "string") {
    const ref = current.$ref;
    if (seen.has(ref)) throw new Error(`$ref cycle at ${ref}`);
    seen.add(ref);
    current = lookupPointer(document, ref);
  }
  return current;
}

function lookupPointer(document: OpenApiDocument, ref: string): unknown {
  if (!ref.startsWith("#/")) throw new Error(`Only local $ref values are supported, got ${ref}`);
  let node: unknown = document;
  for (const token of ref.slice(2).split("/")) {
    const key = token.replaceAll("~1", "/").replaceAll("~0", "~");
    if (!isObject(node) || !(key in node)) throw new Error(`$ref ${ref} does not resolve`);
    node = node[key];
  }
  return node;
}

/**
 * Returns a copy of `schema` with every local `$ref` replaced by its target, so Ajv and fast-json-stringify
 * see self-contained schemas. Keywords next to a `$ref` (a description, an example) are kept and win over the
 * target's. Throws on a recursive schema, which this spec does not use.
 */
export function dereference(document: OpenApiDocument, schema: unknown, trail: string[] = []): unknown {
  if (Array.isArray(schema)) return schema.map((item) => dereference(document, item, trail));
  if (!isObject(schema)) return schema;

  let result: Record<string, unknown> = {};
  const { $ref, ...siblings } = schema;
  if (typeof $ref === "string") {
    if (trail.includes($ref)) throw new Error(`Recursive schema ${[...trail, $ref].join(" -> ")} cannot be inlined`);
    const target = dereference(document, lookupPointer(document, $ref), [...trail, $ref]);
    result = { ...(target as Record<string, unknown>) };
  }
  for (const [keyword, value] of Object.entries(siblings)) {
    if (DATA_KEYWORDS.has(keyword)) {
      result[keyword] = value;
    } else if (SCHEMA_MAP_KEYWORDS.has(keyword) && isObject(value)) {
      result[keyword] = Object.fromEntries(Object.entries(value).map(([name, child]) => [name, dereference(document, child, trail)]));
    } else {
      result[keyword] = dereference(document, value, trail);
    }
  }
  return result;
}

/** Keywords whose values are data, not schemas: copied as they are. */
const DATA_KEYWORDS = new Set(["example", "examples", "default", "enum", "const"]);

/** Keywords whose values map names to schemas, so a property may be called `example` or `$ref`. */
const SCHEMA_MAP_KEYWORDS = new Set(["properties", "patternProperties", "$defs", "dependentSchemas"]);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
