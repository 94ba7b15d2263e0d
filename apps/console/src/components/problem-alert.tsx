import type { FieldError } from "@fruxon/api-types";

import type { ProblemView } from "../api/problem.js";

interface ProblemAlertProps {
  problem: ProblemView | null;
  /** Field errors that no form field shows; listed here with their pointer so none is lost. */
  unplaced?: readonly FieldError[];
}

/** Renders the problem's title and detail, as the API wrote them, in an alert that screen readers announce. */
export function ProblemAlert({ problem, unplaced = [] }: ProblemAlertProps) {
  if (problem === null) {
    return null;
  }
  return (
    <div className="problem" role="alert">
      <p className="problem-title">{problem.title}</p>
      {problem.detail === undefined ? null : <p className="problem-detail">{problem.detail}</p>}
      {unplaced.length === 0 ? null : (
        <ul>
          {unplaced.map((error) => (
            <li key={`${error.pointer} ${error.detail}`}>
              <code>{error.pointer}</code>: {error.detail}
            </li>
          ))}
        </ul>
      )}
      {problem.requestId === undefined ? null : <p className="problem-request-id">Request id: {problem.requestId}</p>}
    </div>
  );
}
