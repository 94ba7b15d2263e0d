import type { paths } from "@fruxon/api-types";
import type { Client, FetchResponse, MaybeOptionalInit } from "openapi-fetch";
import type {
  ErrorStatus,
  FilterKeys,
  HttpMethod,
  MediaType,
  PathsWithMethod,
  RequiredKeysOf,
  SuccessResponse,
} from "openapi-typescript-helpers";

import type { ProblemError } from "./errors.js";

/** Per-call options that the Fruxon client adds to openapi-fetch's request options. */
export interface CallOptions {
  /** Maximum time for one attempt, in milliseconds, overriding the client's `timeoutMs`. 0 disables it. */
  timeoutMs?: number;
  /** Maximum number of retries for this call, overriding the client's `maxRetries`. */
  maxRetries?: number;
}

/** The declared error statuses of an operation, such as `400 | 404 | 409`. */
export type ErrorStatusOf<Operation> = Operation extends { responses: infer Responses }
  ? Extract<keyof Responses, ErrorStatus> extends infer Status
    ? Status extends number
      ? Status
      : Status extends "default" | "4XX" | "5XX"
        ? number
        : never
    : never
  : never;

type ResponseBodyOf<Response> = Response extends { content: infer Content }
  ? FilterKeys<Content, "application/problem+json"> extends never
    ? Content[keyof Content]
    : FilterKeys<Content, "application/problem+json">
  : undefined;

type ResponseFor<Operation, Status> = Operation extends { responses: infer Responses }
  ? Status extends keyof Responses
    ? Responses[Status]
    : Responses[Extract<keyof Responses, "default" | "4XX" | "5XX">]
  : never;

/**
 * The error of an operation: a union of `ProblemError`s, one per declared error status, so that
 * checking `error.status === 409` narrows `error.body` to the body declared for 409.
 */
export type OperationError<Operation> = {
  [Status in ErrorStatusOf<Operation>]: ProblemError<Status, ResponseBodyOf<ResponseFor<Operation, Status>>>;
}[ErrorStatusOf<Operation>];

/**
 * The result of a call: openapi-fetch's `FetchResponse` (so it stays assignable to it) plus the request
 * id, with `error` narrowed to the operation's `OperationError`. An optional `error` in the added member
 * leaves the success branch unchanged, because `never & OperationError` is still `never`.
 */
export type FruxonResponse<Operation, Init> = FetchResponse<AsOperation<Operation>, Init, MediaType> & {
  error?: OperationError<Operation>;
  requestId: string;
};

type AsOperation<T> = T extends Record<string | number, any> ? T : never;

type InitParam<Init> =
  RequiredKeysOf<Init> extends never
    ? [(Init & CallOptions & { [key: string]: unknown })?]
    : [Init & CallOptions & { [key: string]: unknown }];

/** One HTTP method of the client, typed from the spec's `paths` exactly as openapi-fetch types it. */
export type FruxonMethod<Method extends HttpMethod> = <
  Path extends PathsWithMethod<paths, Method>,
  Init extends MaybeOptionalInit<paths[Path], Method>,
>(
  url: Path,
  ...init: InitParam<Init>
) => Promise<FruxonResponse<paths[Path][Method], Init>>;

/**
 * The Fruxon client: an openapi-fetch `Client<paths>` (so it works wherever one is expected, such as
 * openapi-react-query) whose results also carry `requestId` and a `ProblemError` as `error`.
 */
export interface FruxonClient extends Client<paths> {
  GET: FruxonMethod<"get">;
  PUT: FruxonMethod<"put">;
  POST: FruxonMethod<"post">;
  DELETE: FruxonMethod<"delete">;
  OPTIONS: FruxonMethod<"options">;
  HEAD: FruxonMethod<"head">;
  PATCH: FruxonMethod<"patch">;
  TRACE: FruxonMethod<"trace">;
}

/** Any openapi-fetch client of this API; the helpers accept a bare one as well as a `FruxonClient`. */
export type AnyFruxonClient = Pick<Client<paths>, "GET" | "POST">;

type JsonSuccessOf<Operation> = Operation extends { responses: Record<string | number, any> }
  ? SuccessResponse<Operation["responses"], "application/json">
  : never;

/** Paths whose GET returns a page `{ items, nextPageToken? }`: the list operations. */
export type ListPath = {
  [Path in PathsWithMethod<paths, "get">]: JsonSuccessOf<paths[Path]["get"]> extends {
    items: unknown[];
    nextPageToken?: string;
  }
    ? Path
    : never;
}[PathsWithMethod<paths, "get">];

/** The item type of a list operation, such as `User` for `/v1/tenants/{tenant}/users`. */
export type ListItem<Path extends ListPath> = JsonSuccessOf<paths[Path]["get"]> extends { items: (infer Item)[] }
  ? Item
  : never;
