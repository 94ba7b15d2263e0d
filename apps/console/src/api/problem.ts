import { AbortError, ProblemError, TimeoutError } from "@fruxon/client";
import type { FieldError } from "@fruxon/api-types";

/** A failed request as the console shows it: the problem's own words, plus its field errors. */
export interface ProblemView {
  status: number | undefined;
  code: string | undefined;
  title: string;
  detail: string | undefined;
  requestId: string | undefined;
  fieldErrors: FieldError[];
}

/** Turns anything a request can throw into a ProblemView; non-problem errors become a network problem. */
export function toProblemView(error: unknown): ProblemView {
  if (error instanceof ProblemError) {
    return {
      status: error.status,
      code: error.code,
      title: error.title,
      detail: error.detail,
      requestId: error.requestId,
      fieldErrors: [...(error.errors ?? [])],
    };
  }
  if (error instanceof AbortError) {
    return emptyView("The request was cancelled.", undefined);
  }
  if (error instanceof TimeoutError) {
    return emptyView("The server did not answer in time.", error.message);
  }
  const message = error instanceof Error ? error.message : String(error);
  return emptyView("The request failed before the server answered.", message);
}

function emptyView(title: string, detail: string | undefined): ProblemView {
  return { status: undefined, code: undefined, title, detail, requestId: undefined, fieldErrors: [] };
}

/**
 * Returns the details of the field errors whose pointer is `pointer` or lies under it, such as
 * `/body/invitations/3/email` under `/body/invitations`.
 */
export function fieldErrorsAt(problem: ProblemView | null, pointer: string): string[] {
  if (problem === null) {
    return [];
  }
  return problem.fieldErrors
    .filter((error) => error.pointer === pointer || error.pointer.startsWith(`${pointer}/`))
    .map((error) => error.detail);
}

/** Returns the field errors that no form field shows, so the summary can list them instead of losing them. */
export function unplacedFieldErrors(problem: ProblemView | null, placedPointers: readonly string[]): FieldError[] {
  if (problem === null) {
    return [];
  }
  return problem.fieldErrors.filter(
    (error) => !placedPointers.some((pointer) => error.pointer === pointer || error.pointer.startsWith(`${pointer}/`)),
  );
}
