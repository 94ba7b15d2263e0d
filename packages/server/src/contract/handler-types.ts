import type { operations } from "@fruxon/api-types";
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from "fastify";

/** The operationId of every operation in the spec. */
export type OperationId = keyof operations;

type Parameters<Id extends OperationId> = operations[Id]["parameters"];
type Part<Id extends OperationId, Key extends "path" | "query" | "header"> =
  Parameters<Id>[Key] extends infer Value ? ([Value] extends [undefined | never] ? Record<string, never> : NonNullable<Value>) : never;

type JsonBodyOf<Content> = Content extends { "application/json": infer Body } ? Body : undefined;

/** The JSON request body of an operation, or `undefined` when it takes none or takes multipart. */
export type RequestBody<Id extends OperationId> = operations[Id] extends { requestBody: infer Request }
  ? Request extends { content: infer Content }
    ? JsonBodyOf<Content>
    : Request extends { content: infer Content } | undefined
      ? JsonBodyOf<Content> | undefined
      : undefined
  : undefined;

/** The authenticated account behind a bearer token. */
export interface Caller {
  /** The token's `sub` claim: the account id. */
  sub: string;
  email: string;
  emailVerified: boolean;
  name?: string;
}

/** The input of a handler: validated and coerced parameters and body, and the caller. */
export interface HandlerRequest<Id extends OperationId> {
  operationId: Id;
  path: Part<Id, "path">;
  query: Part<Id, "query">;
  headers: Part<Id, "header">;
  body: RequestBody<Id>;
  /** The verified caller; `null` only on operations declared with `security: []`. */
  caller: Caller | null;
  requestId: string;
  log: FastifyBaseLogger;
  /** The raw Fastify request, for multipart uploads and other streaming input. */
  raw: FastifyRequest;
  /** The raw reply, for streaming output. Prefer returning a result. */
  reply: FastifyReply;
}

type SuccessStatus = 200 | 201 | 202 | 204;

type ResponseBody<Response> = Response extends { content: infer Content }
  ? Content extends { "application/json": infer Body }
    ? Body
    : NodeJS.ReadableStream | Buffer | string
  : undefined;

/**
 * A handler's result: one of the operation's declared success statuses with the body declared for it.
 * Errors are thrown as `ProblemError`, never returned.
 */
export type HandlerResult<Id extends OperationId> = {
  [Status in keyof operations[Id]["responses"] & SuccessStatus]: {
    status: Status;
    body: ResponseBody<operations[Id]["responses"][Status]>;
    headers?: Record<string, string>;
  };
}[keyof operations[Id]["responses"] & SuccessStatus];

export type Handler<Id extends OperationId> = (request: HandlerRequest<Id>) => Promise<HandlerResult<Id>>;

/** One handler per operation of the spec; a missing or extra key fails the type check. */
export type Handlers = { [Id in OperationId]: Handler<Id> };
