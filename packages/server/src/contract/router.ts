import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema, onRequestAsyncHookHandler, preHandlerAsyncHookHandler } from "fastify";

import type { TokenVerifier } from "../auth/verifier.js";
import { ProblemError } from "../problems.js";
import type { Caller, HandlerRequest, Handlers, OperationId } from "./handler-types.js";
import { toPathPattern, toRouterPath } from "./paths.js";
import type { OperationSpec } from "./spec.js";
import { ValidatorFactory } from "./validation.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The verified caller; null before authentication and on operations with `security: []`. */
    caller: Caller | null;
  }
  interface FastifyContextConfig {
    /** The spec operation a route serves; absent on non-API routes such as `/openapi.json`. */
    operationId?: OperationId;
    /** Whether the operation requires a bearer token. */
    authenticated?: boolean;
  }
}

export interface RouterOptions {
  operations: OperationSpec[];
  handlers: Handlers;
  verifier: TokenVerifier;
  /** Largest multipart upload in bytes; the route's body limit adds room for the form's own headers. */
  uploadLimitBytes: number;
  /** Extra readiness check run before the `checkReadiness` handler; when it returns false the response is 503. */
  readiness?: () => Promise<boolean>;
}

/** Room for multipart boundaries and part headers on top of the upload limit. */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

/** A handler as the router calls it: the per-operation types are checked where the handler map is built. */
type AnyHandler = (request: HandlerRequest<OperationId>) => Promise<{ status: number; body: unknown; headers?: Record<string, string> }>;

/** Registers one Fastify route per spec operation: authentication, validation, the handler and response serialization. */
export function registerOperations(app: FastifyInstance, options: RouterOptions): void {
  const validators = new ValidatorFactory();

  const authenticate: onRequestAsyncHookHandler = async (request) => {
    request.caller = await options.verifier.authenticate(request.headers.authorization);
  };

  for (const operation of options.operations) {
    const handler = options.handlers[operation.operationId] as unknown as AnyHandler | undefined;
    if (typeof handler !== "function") throw new Error(`No handler for operation ${operation.operationId}`);
    const validate = validators.compile(operation);
    const multipart = operation.requestBody?.contentType === "multipart/form-data";

    const preHandler: preHandlerAsyncHookHandler[] = [];
    if (operation.operationId === "checkReadiness" && options.readiness !== undefined) preHandler.push(readinessGate(options.readiness));

    app.route({
      method: operation.method,
      url: toRouterPath(operation.path),
      exposeHeadRoute: false,
      config: { operationId: operation.operationId, authenticated: operation.authenticated },
      schema: { response: responseSchemas(operation) } as FastifySchema,
      ...(multipart ? { bodyLimit: options.uploadLimitBytes + MULTIPART_OVERHEAD_BYTES } : {}),
      onRequest: operation.authenticated ? [authenticate] : [],
      preHandler,
      handler: async (request, reply) => {
        checkContentType(operation, request);
        const input = validate({
          params: request.params,
          query: request.query,
          headers: request.headers,
          body: request.body,
          hasBody: request.body !== undefined && request.body !== null,
        });

        const result = await handler({
          operationId: operation.operationId,
          path: input.path as never,
          query: input.query as never,
          headers: input.headers as never,
          body: input.body as never,
          caller: request.caller,
          requestId: request.id,
          log: request.log,
          raw: request,
          reply,
        });
        return sendResult(operation, reply, result);
      },
    });
  }
}

/** Builds the route's response schemas, so that fast-json-stringify writes only declared properties. */
function responseSchemas(operation: OperationSpec): Record<string, unknown> {
  const schemas: Record<string, unknown> = {};
  for (const [status, response] of Object.entries(operation.responses)) {
    if (response.schema === undefined || response.contentType === undefined || !isJsonMediaType(response.contentType)) continue;
    if (!/^[1-5](\d\d|XX)$/i.test(status)) continue;
    schemas[status.toLowerCase()] = { content: { [response.contentType]: { schema: response.schema } } };
  }
  return schemas;
}

function isJsonMediaType(mediaType: string): boolean {
  return mediaType === "application/json" || mediaType.endsWith("+json");
}

/** Rejects a body whose media type is not the one the operation declares (415). Operations without a body ignore it. */
function checkContentType(operation: OperationSpec, request: FastifyRequest): void {
  const declared = operation.requestBody?.contentType;
  const sent = request.headers["content-type"];
  if (declared === undefined || sent === undefined) return;

  const mediaType = sent.split(";", 1)[0]?.trim().toLowerCase();
  if (mediaType !== declared) {
    throw new ProblemError("UNSUPPORTED_MEDIA_TYPE", `This operation accepts ${declared} bodies, not ${mediaType ?? "an empty Content-Type"}.`);
  }
}

function sendResult(
  operation: OperationSpec,
  reply: FastifyReply,
  result: { status: number; body: unknown; headers?: Record<string, string> },
): FastifyReply {
  // A handler that streamed its own response through `reply` has nothing left to send.
  if (reply.sent) return reply;

  const declared = operation.responses[String(result.status)];
  if (declared === undefined) {
    throw new Error(`Handler ${operation.operationId} returned status ${result.status}, which the spec does not declare`);
  }
  reply.code(result.status);
  if (result.headers !== undefined) reply.headers(result.headers);
  if (result.body === undefined || declared.contentType === undefined) return reply.send();
  if (isJsonMediaType(declared.contentType)) reply.type(`${declared.contentType}; charset=utf-8`);
  return reply.send(result.body);
}

function readinessGate(readiness: () => Promise<boolean>): preHandlerAsyncHookHandler {
  return async () => {
    if (!(await readiness())) {
      throw new ProblemError("UNAVAILABLE", "The server is not ready to serve requests; retry later.", { headers: { "Retry-After": "5" } });
    }
  };
}

/** Lists the methods the spec declares for a concrete request path, for 405 responses and their `Allow` header. */
export function createMethodLookup(operations: OperationSpec[]): (path: string) => string[] {
  const patterns = operations.map((operation) => ({ method: operation.method, pattern: toPathPattern(operation.path) }));
  return (path) => [...new Set(patterns.filter(({ pattern }) => pattern.test(path)).map(({ method }) => method))].sort();
}
