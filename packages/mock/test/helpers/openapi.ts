import { readFileSync } from "node:fs";

import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";

// ajv-formats is CommonJS; under NodeNext its default export is the module object.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

/** Just enough of an OpenAPI 3.1 document for the contract test; values are read loosely. */
export type JsonObject = { [key: string]: unknown };

export interface ParameterObject {
  name: string;
  in: "path" | "query" | "header" | "cookie";
  required?: boolean;
  example?: unknown;
  examples?: Record<string, unknown>;
  schema?: JsonObject;
}

export interface MediaTypeObject {
  schema?: JsonObject;
  example?: unknown;
  examples?: Record<string, unknown>;
}

export interface ResponseObject {
  description?: string;
  headers?: Record<string, unknown>;
  content?: Record<string, MediaTypeObject>;
}

export interface OperationEntry {
  /** `GET /v1/tenants`, for test names and messages. */
  label: string;
  method: string;
  path: string;
  operationId: string | undefined;
  summary: string | undefined;
  parameters: ParameterObject[];
  /** True when every alternative security requirement names at least one scheme. */
  secured: boolean;
  requestBody: { required?: boolean; content?: Record<string, MediaTypeObject> } | undefined;
  responses: Record<string, ResponseObject>;
}

const HTTP_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
const SCHEMA_REF_PREFIX = "#/components/schemas/";
const SCHEMA_DOCUMENT_ID = "urn:fruxon:openapi:schemas";

export function readDocument(path: string): JsonObject {
  return JSON.parse(readFileSync(path, "utf8")) as JsonObject;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Follows local `$ref`s (`#/...`) until a value without `$ref` is reached. */
export function resolveRef<T>(document: JsonObject, value: unknown): T {
  let current = value;
  for (let depth = 0; isObject(current) && typeof current["$ref"] === "string"; depth++) {
    const ref = current["$ref"];
    if (depth > 20 || !ref.startsWith("#/")) {
      throw new Error(`Cannot resolve $ref "${ref}": only local references up to 20 levels deep are supported`);
    }
    current = ref
      .slice(2)
      .split("/")
      .map((segment) => segment.replace(/~1/g, "/").replace(/~0/g, "~"))
      .reduce<unknown>((node, segment) => (isObject(node) ? node[segment] : undefined), document);
    if (current === undefined) {
      throw new Error(`$ref "${ref}" points to nothing in the document`);
    }
  }
  return current as T;
}

/** Lists every operation under `paths`, with path-level parameters merged and `$ref`s resolved. */
export function listOperations(document: JsonObject): OperationEntry[] {
  const paths = document["paths"];
  if (!isObject(paths)) {
    throw new Error("The document has no paths object");
  }
  const globalSecurity = document["security"];
  const operations: OperationEntry[] = [];

  for (const [path, rawItem] of Object.entries(paths)) {
    const item = resolveRef<JsonObject>(document, rawItem);
    const pathParameters = ((item["parameters"] as unknown[] | undefined) ?? []).map((parameter) =>
      resolveRef<ParameterObject>(document, parameter),
    );

    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (!isObject(operation)) {
        continue;
      }
      const operationParameters = ((operation["parameters"] as unknown[] | undefined) ?? []).map((parameter) =>
        resolveRef<ParameterObject>(document, parameter),
      );
      const overridden = new Set(operationParameters.map((parameter) => `${parameter.in}:${parameter.name}`));
      const security = (operation["security"] ?? globalSecurity ?? []) as JsonObject[];
      const responses = Object.fromEntries(
        Object.entries((operation["responses"] as JsonObject | undefined) ?? {}).map(([status, response]) => [
          status,
          resolveRef<ResponseObject>(document, response),
        ]),
      );

      operations.push({
        label: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        operationId: operation["operationId"] as string | undefined,
        summary: operation["summary"] as string | undefined,
        parameters: [
          ...pathParameters.filter((parameter) => !overridden.has(`${parameter.in}:${parameter.name}`)),
          ...operationParameters,
        ],
        secured: security.length > 0 && security.every((requirement) => Object.keys(requirement).length > 0),
        requestBody:
          operation["requestBody"] === undefined
            ? undefined
            : resolveRef<OperationEntry["requestBody"]>(document, operation["requestBody"]),
        responses,
      });
    }
  }
  return operations;
}

/** Returns the first example found on a parameter or a media type, then on its schema. */
export function exampleOf(
  document: JsonObject,
  holder: { example?: unknown; examples?: Record<string, unknown>; schema?: JsonObject },
): { found: true; value: unknown } | { found: false } {
  if (holder.example !== undefined) {
    return { found: true, value: holder.example };
  }
  const [firstExample] = Object.values(holder.examples ?? {});
  if (firstExample !== undefined) {
    const example = resolveRef<JsonObject>(document, firstExample);
    if ("value" in example) {
      return { found: true, value: example["value"] };
    }
  }
  const schema = holder.schema === undefined ? undefined : resolveRef<JsonObject>(document, holder.schema);
  if (schema !== undefined) {
    if (schema["example"] !== undefined) {
      return { found: true, value: schema["example"] };
    }
    if (Array.isArray(schema["examples"]) && schema["examples"].length > 0) {
      return { found: true, value: schema["examples"][0] };
    }
  }
  return { found: false };
}

/** Reports whether a schema describes raw bytes rather than text or JSON. */
export function isBinarySchema(document: JsonObject, schema: unknown): boolean {
  const resolved = resolveRef<JsonObject | undefined>(document, schema);
  return (
    isObject(resolved) &&
    resolved["type"] === "string" &&
    (resolved["format"] === "binary" || typeof resolved["contentMediaType"] === "string")
  );
}

/** Returns the declared response for a status, falling back to `4XX`-style ranges and `default`. */
export function declaredResponse(
  operation: OperationEntry,
  status: number,
): { key: string; response: ResponseObject } | undefined {
  for (const key of [String(status), `${String(status)[0]}XX`, "default"]) {
    const response = operation.responses[key];
    if (response !== undefined) {
      return { key, response };
    }
  }
  return undefined;
}

/** Returns the declared media type that a response's `Content-Type` matches, with `*` wildcards. */
export function matchMediaType(
  content: Record<string, MediaTypeObject>,
  contentType: string,
): { mediaType: string; media: MediaTypeObject } | undefined {
  const actual = contentType.split(";")[0]!.trim().toLowerCase();
  const [actualType] = actual.split("/");
  const candidates = [actual, `${actualType}/*`, "*/*"];
  for (const candidate of candidates) {
    const media = Object.entries(content).find(([declared]) => declared.toLowerCase() === candidate);
    if (media !== undefined) {
      return { mediaType: media[0], media: media[1] };
    }
  }
  return undefined;
}

export function isJsonMediaType(mediaType: string): boolean {
  return /^application\/(?:[\w.-]+\+)?json$/i.test(mediaType.split(";")[0]!.trim());
}

/**
 * Compiles schemas taken from the document with Ajv in JSON Schema 2020-12 mode (the dialect of
 * OpenAPI 3.1). `#/components/schemas/X` references are rewritten to point into one registered schema
 * document, so any schema of the document compiles on its own.
 */
export class SchemaValidator {
  readonly #ajv: Ajv2020;
  readonly #compiled = new Map<unknown, ValidateFunction>();

  constructor(document: JsonObject) {
    this.#ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
    addFormats(this.#ajv);
    // OpenAPI annotations that JSON Schema 2020-12 does not define.
    for (const keyword of ["example", "xml", "externalDocs", "discriminator"]) {
      this.#ajv.addKeyword(keyword);
    }
    // OpenAPI's own formats.
    this.#ajv.addFormat("int32", { type: "number", validate: (value) => Number.isInteger(value) && Math.abs(value) <= 2 ** 31 });
    this.#ajv.addFormat("int64", { type: "number", validate: (value) => Number.isInteger(value) });
    this.#ajv.addFormat("float", { type: "number", validate: () => true });
    this.#ajv.addFormat("double", { type: "number", validate: () => true });
    this.#ajv.addFormat("password", () => true);
    this.#ajv.addFormat("binary", () => true);

    const components = document["components"];
    const schemas = isObject(components) && isObject(components["schemas"]) ? components["schemas"] : {};
    this.#ajv.addSchema({ $id: SCHEMA_DOCUMENT_ID, $defs: rewriteSchemaRefs(schemas) });
  }

  /** Validates a value against a schema object taken from the document; returns Ajv's messages, empty when valid. */
  validate(schema: unknown, value: unknown): string[] {
    return this.#run(this.#compile(schema, () => rewriteSchemaRefs(schema) as JsonObject), value);
  }

  /** Validates a value against `components.schemas[name]`. */
  validateComponent(name: string, value: unknown): string[] {
    const ref = `${SCHEMA_DOCUMENT_ID}#/$defs/${name}`;
    return this.#run(this.#compile(ref, () => ({ $ref: ref })), value);
  }

  #compile(key: unknown, build: () => JsonObject): ValidateFunction {
    let validateFunction = this.#compiled.get(key);
    if (validateFunction === undefined) {
      validateFunction = this.#ajv.compile(build());
      this.#compiled.set(key, validateFunction);
    }
    return validateFunction;
  }

  #run(validateFunction: ValidateFunction, value: unknown): string[] {
    if (validateFunction(value)) {
      return [];
    }
    return (validateFunction.errors ?? []).map(
      (error) => `${error.instancePath || "/"} ${error.message ?? error.keyword}${formatParams(error.params)}`,
    );
  }
}

function formatParams(params: Record<string, unknown>): string {
  const entries = Object.entries(params);
  return entries.length === 0 ? "" : ` (${entries.map(([key, value]) => `${key}: ${JSON.stringify(value)}`).join(", ")})`;
}

function rewriteSchemaRefs(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(rewriteSchemaRefs);
  }
  if (!isObject(value)) {
    return value;
  }
  const copy: JsonObject = {};
  for (const [key, child] of Object.entries(value)) {
    copy[key] =
      key === "$ref" && typeof child === "string" && child.startsWith(SCHEMA_REF_PREFIX)
        ? `${SCHEMA_DOCUMENT_ID}#/$defs/${child.slice(SCHEMA_REF_PREFIX.length)}`
        : rewriteSchemaRefs(child);
  }
  return copy;
}
