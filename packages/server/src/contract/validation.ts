import type { FieldError } from "@fruxon/api-types";
import { Ajv2020, type ErrorObject, type Options, type ValidateFunction } from "ajv/dist/2020.js";
import formatsPlugin from "ajv-formats";

import { ProblemError } from "../problems.js";
import type { JsonSchema, OperationSpec, ParameterLocation } from "./spec.js";

/** The most `errors` entries one problem carries, as the spec's `Problem.errors.maxItems` allows. */
const MAX_FIELD_ERRORS = 100;
const MAX_DETAIL_LENGTH = 1000;

/** Request part a value came from, written as the first token of its JSON pointer. */
type RequestPart = "path" | "query" | "headers" | "body";

const PART_OF_LOCATION: Record<Exclude<ParameterLocation, "cookie">, RequestPart> = { path: "path", query: "query", header: "headers" };

/** The validated, coerced input of one request. */
export interface ValidatedInput {
  path: Record<string, unknown>;
  query: Record<string, unknown>;
  /** Header parameters keyed by their spec names (`If-Match`), not the lower-case wire names. */
  headers: Record<string, unknown>;
  body: unknown;
}

export interface RawInput {
  params: unknown;
  query: unknown;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  /** Whether the request carried a body at all. */
  hasBody: boolean;
}

/** Validates one operation's request against the spec. Throws `ProblemError` `VALIDATION_FAILED` listing every invalid value. */
export type RequestValidator = (input: RawInput) => ValidatedInput;

/**
 * Compiles request validators from the spec's own schemas with Ajv in JSON Schema 2020-12 mode.
 * Parameters are coerced from strings (`pageSize=5` becomes 5) and get their defaults. Bodies are not
 * coerced, and unknown body properties are rejected rather than removed because `removeAdditional` is off.
 */
export class ValidatorFactory {
  private readonly parameterAjv = createAjv({ coerceTypes: "array", useDefaults: true });
  private readonly bodyAjv = createAjv({ coerceTypes: false, useDefaults: true });

  compile(operation: OperationSpec): RequestValidator {
    const parts = (["path", "query", "header"] as const).map((location) => {
      const parameters = operation.parameters.filter((parameter) => parameter.in === location);
      const wireName = (name: string) => (location === "header" ? name.toLowerCase() : name);
      const schema: JsonSchema = {
        type: "object",
        properties: Object.fromEntries(parameters.map((parameter) => [wireName(parameter.name), parameter.schema])),
        required: parameters.filter((parameter) => parameter.required).map((parameter) => wireName(parameter.name)),
      };
      return { location, parameters, wireName, validate: this.parameterAjv.compile(schema) };
    });

    const body = operation.requestBody;
    const validateBody = body?.contentType === "application/json" && body.schema !== undefined ? this.bodyAjv.compile(body.schema) : undefined;

    return (input) => {
      const errors: FieldError[] = [];
      const result: ValidatedInput = { path: {}, query: {}, headers: {}, body: undefined };
      const sources: Record<(typeof parts)[number]["location"], unknown> = { path: input.params, query: input.query, header: input.headers };

      // parameters: validate a copy holding only the declared names, so coercion never touches Fastify's objects
      for (const part of parts) {
        const source = (sources[part.location] ?? {}) as Record<string, unknown>;
        const values: Record<string, unknown> = {};
        for (const parameter of part.parameters) {
          const value = source[part.wireName(parameter.name)];
          if (value !== undefined) values[part.wireName(parameter.name)] = value;
        }
        if (!part.validate(values)) {
          const names = new Map(part.parameters.map((parameter) => [part.wireName(parameter.name), parameter.name]));
          errors.push(...toFieldErrors(PART_OF_LOCATION[part.location], part.validate.errors ?? [], names));
        }
        const target = result[PART_OF_LOCATION[part.location] as "path" | "query" | "headers"];
        for (const parameter of part.parameters) {
          const value = values[part.wireName(parameter.name)];
          if (value !== undefined) target[parameter.name] = value;
        }
      }

      // body
      if (body !== undefined && body.contentType === "application/json") {
        if (!input.hasBody || input.body === undefined) {
          if (body.required) errors.push({ pointer: "/body", detail: "The request body is required: send a JSON object." });
        } else if (validateBody !== undefined && !validateBody(input.body)) {
          errors.push(...toFieldErrors("body", validateBody.errors ?? []));
        }
        result.body = input.body;
      }

      if (errors.length > 0) {
        const reported = errors.slice(0, MAX_FIELD_ERRORS);
        const count = `${errors.length} ${errors.length === 1 ? "value" : "values"}`;
        throw new ProblemError("VALIDATION_FAILED", `${count} of the request ${errors.length === 1 ? "is" : "are"} invalid; see errors.`, { errors: reported });
      }
      return result;
    };
  }
}

function createAjv(options: Pick<Options, "coerceTypes" | "useDefaults">): Ajv2020 {
  const ajv = new Ajv2020({
    ...options,
    allErrors: true,
    removeAdditional: false,
    strict: true,
    // `type: ["string", "null"]` is how OpenAPI 3.1 writes a nullable value.
    allowUnionTypes: true,
    validateFormats: true,
  });
  formatsPlugin.default(ajv);
  // OpenAPI's `format: int64` and `int32` bound integers; JavaScript numbers are exact up to 2^53 - 1.
  ajv.addFormat("int64", { type: "number", validate: (value: number) => Number.isSafeInteger(value) });
  ajv.addFormat("int32", { type: "number", validate: (value: number) => Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31 });
  // OpenAPI's singular `example` annotates a schema and is not validated.
  ajv.addKeyword({ keyword: "example", schemaType: ["string", "number", "integer", "boolean", "object", "array", "null"] });
  return ajv;
}

/** Converts Ajv errors into `{pointer, detail}` entries, pointers starting with the request part. */
export function toFieldErrors(part: RequestPart, errors: ErrorObject[], names = new Map<string, string>()): FieldError[] {
  const fieldErrors: FieldError[] = [];
  const seen = new Set<string>();

  for (const error of errors) {
    let pointer = `/${part}${renameFirstToken(error.instancePath, names)}`;
    const params = error.params as Record<string, unknown>;
    if (error.keyword === "required") pointer += `/${escapePointerToken(names.get(String(params.missingProperty)) ?? String(params.missingProperty))}`;
    if (error.keyword === "additionalProperties") pointer += `/${escapePointerToken(String(params.additionalProperty))}`;

    const detail = describeError(error).slice(0, MAX_DETAIL_LENGTH);
    const key = `${pointer}\n${detail}`;
    if (seen.has(key)) continue;
    seen.add(key);
    fieldErrors.push({ pointer: pointer.slice(0, MAX_DETAIL_LENGTH), detail });
  }
  return fieldErrors;
}

/** Replaces the first pointer token (a wire header name) with the spec's parameter name. */
function renameFirstToken(instancePath: string, names: Map<string, string>): string {
  const match = /^\/([^/]*)(.*)$/.exec(instancePath);
  if (match?.[1] === undefined) return instancePath;
  const name = names.get(match[1]);
  return name === undefined ? instancePath : `/${escapePointerToken(name)}${match[2] ?? ""}`;
}

function escapePointerToken(token: string): string {
  return token.replaceAll("~", "~0").replaceAll("/", "~1");
}

const FORMAT_NAMES: Record<string, string> = {
  email: "an email address",
  uuid: "a UUID",
  "date-time": "an RFC 3339 date-time",
  uri: "an absolute URI",
  "uri-reference": "a URI reference",
  int64: "an integer from -(2^53 - 1) to 2^53 - 1",
  int32: "a 32-bit integer",
};

/** Writes what is wrong with a value and what is expected, in words a client developer can act on. */
function describeError(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "required":
      return "is required";
    case "additionalProperties":
      return "is not a known property; remove it";
    case "type":
      return `must be of type ${Array.isArray(params.type) ? params.type.join(" or ") : String(params.type)}`;
    case "format":
      return `must be ${FORMAT_NAMES[String(params.format)] ?? `a valid ${String(params.format)}`}`;
    case "enum":
      return `must be one of ${(params.allowedValues as unknown[]).map((value) => JSON.stringify(value)).join(", ")}`;
    case "const":
      return `must be ${JSON.stringify(params.allowedValue)}`;
    case "minLength":
      return `must be at least ${String(params.limit)} characters long`;
    case "maxLength":
      return `must be at most ${String(params.limit)} characters long`;
    case "minimum":
      return `must be at least ${String(params.limit)}`;
    case "maximum":
      return `must be at most ${String(params.limit)}`;
    case "exclusiveMinimum":
      return `must be greater than ${String(params.limit)}`;
    case "exclusiveMaximum":
      return `must be less than ${String(params.limit)}`;
    case "minItems":
      return `must contain at least ${String(params.limit)} items`;
    case "maxItems":
      return `must contain at most ${String(params.limit)} items`;
    case "pattern":
      return `must match the pattern ${String(params.pattern)}`;
    default:
      return error.message ?? `breaks the ${error.keyword} rule`;
  }
}
