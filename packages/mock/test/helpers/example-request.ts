import {
  exampleOf,
  isBinarySchema,
  isJsonMediaType,
  resolveRef,
  type JsonObject,
  type OperationEntry,
} from "./openapi.js";

export interface ExampleRequest {
  /** Path with parameters filled in and the query string appended. */
  path: string;
  method: string;
  headers: Record<string, string>;
  body?: string | FormData;
}

export type ExampleRequestResult = { ok: true; request: ExampleRequest } | { ok: false; reason: string };

/**
 * Builds a valid request for an operation from the spec's own examples: required parameters from
 * their examples, a bearer token where the operation is secured, and the request body's example.
 * Returns the reason when the spec gives too little to build one.
 */
export function buildExampleRequest(document: JsonObject, operation: OperationEntry): ExampleRequestResult {
  // parameters: every path parameter, plus required query and header parameters
  let path = operation.path;
  const query = new URLSearchParams();
  const headers: Record<string, string> = {};
  for (const parameter of operation.parameters) {
    if (parameter.in !== "path" && parameter.required !== true) {
      continue;
    }
    const example = exampleOf(document, parameter);
    if (!example.found) {
      return { ok: false, reason: `${parameter.in} parameter "${parameter.name}" has no example to send` };
    }
    const value = String(example.value);
    if (parameter.in === "path") {
      path = path.replace(`{${parameter.name}}`, encodeURIComponent(value));
    } else if (parameter.in === "query") {
      query.append(parameter.name, value);
    } else if (parameter.in === "header") {
      headers[parameter.name] = value;
    } else {
      return { ok: false, reason: `cookie parameter "${parameter.name}" is not supported by this test` };
    }
  }
  const unfilled = /\{([^}]+)\}/.exec(path);
  if (unfilled) {
    return { ok: false, reason: `path parameter "${unfilled[1]!}" is not declared, so it has no example` };
  }
  if (operation.secured) {
    headers["Authorization"] = "Bearer x";
  }

  // body: the example of the first JSON media type, or a generated multipart form
  const request: ExampleRequest = {
    path: query.size === 0 ? path : `${path}?${query.toString()}`,
    method: operation.method,
    headers,
  };
  const content = operation.requestBody?.content;
  if (content === undefined) {
    return { ok: true, request };
  }
  const jsonMediaType = Object.keys(content).find(isJsonMediaType);
  if (jsonMediaType !== undefined) {
    const example = exampleOf(document, content[jsonMediaType]!);
    if (!example.found) {
      return { ok: false, reason: `request body ${jsonMediaType} has no example to send` };
    }
    headers["Content-Type"] = jsonMediaType;
    request.body = JSON.stringify(example.value);
    return { ok: true, request };
  }
  if (content["multipart/form-data"] !== undefined) {
    const form = buildMultipartForm(document, content["multipart/form-data"].schema);
    if (typeof form === "string") {
      return { ok: false, reason: form };
    }
    request.body = form;
    return { ok: true, request };
  }
  return { ok: false, reason: `request body media types ${Object.keys(content).join(", ")} are not supported by this test` };
}

/** Fills a multipart form: a small text file for binary parts, the schema's example for others. */
function buildMultipartForm(document: JsonObject, rawSchema: unknown): FormData | string {
  const schema = resolveRef<JsonObject | undefined>(document, rawSchema);
  const properties = (schema?.["properties"] ?? {}) as Record<string, unknown>;
  const required = new Set((schema?.["required"] ?? []) as string[]);
  const form = new FormData();
  for (const [name, propertySchema] of Object.entries(properties)) {
    if (isBinarySchema(document, propertySchema)) {
      form.append(name, new Blob(["contract test file\n"], { type: "text/plain" }), "contract-test.txt");
      continue;
    }
    const example = exampleOf(document, { schema: propertySchema as JsonObject });
    if (example.found) {
      form.append(name, String(example.value));
    } else if (required.has(name)) {
      return `multipart part "${name}" is required but has no example to send`;
    }
  }
  return form;
}
