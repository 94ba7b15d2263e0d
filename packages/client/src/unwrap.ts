import { ProblemError } from "./errors.js";

type AnyResult = { data?: unknown; error?: unknown; response: Response; requestId?: string };

/** The `data` of a call's success branch; `undefined` for a 204. */
export type SuccessData<Result> = Result extends { error?: undefined; data: infer Data } ? Data : never;

/**
 * Returns a call's `data`, or throws its error as a `ProblemError`, for callers that prefer exceptions:
 * `const tenant = await unwrap(client.GET("/v1/tenants/{tenant}", { params }))`.
 */
export async function unwrap<Result extends AnyResult>(result: Result | Promise<Result>): Promise<SuccessData<Result>> {
  const { data, error, response, requestId } = await result;
  if (error !== undefined || !response.ok) {
    throw error instanceof ProblemError ? error : new ProblemError(response, error, requestId);
  }
  return data as SuccessData<Result>;
}
