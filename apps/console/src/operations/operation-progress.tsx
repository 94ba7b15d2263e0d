import type { Operation } from "@fruxon/api-types";

import { toProblemView } from "../api/problem.js";
import { useOperation } from "../api/queries.js";
import { Badge } from "../components/badge.js";
import { ProblemAlert } from "../components/problem-alert.js";

/** Progress of one operation, polled once per second until it is DONE or FAILED. */
export function OperationProgress({ tenant, name }: { tenant: string; name: string }) {
  const query = useOperation(tenant, name);
  if (query.error !== null) {
    return <ProblemAlert problem={toProblemView(query.error)} />;
  }
  if (query.data === undefined) {
    return <p>Loading the operation…</p>;
  }
  return <OperationSummary operation={query.data} />;
}

export function OperationSummary({ operation }: { operation: Operation }) {
  const metadata = operation.metadata ?? {};
  const total = metadata.total;
  const processed = metadata.processed ?? 0;
  const failures = metadata.failures ?? [];

  return (
    <div className="operation-summary">
      <p>
        Status: <Badge value={operation.status} />
      </p>
      <ProgressBar processed={processed} total={total} label={`Progress of operation ${operation.name}`} />
      <p aria-live="polite">
        {processed} of {total ?? "?"} processed
        {metadata.succeeded === undefined ? "" : `, ${metadata.succeeded} succeeded`}
        {metadata.failed === undefined ? "" : `, ${metadata.failed} failed`}
      </p>
      {operation.error === undefined ? null : <p className="problem-detail">Error: {operation.error}</p>}
      {failures.length === 0 ? null : (
        <details>
          <summary>Failed entries ({failures.length})</summary>
          <ul>
            {failures.map((failure) => (
              <li key={failure.email}>
                {failure.email}: {failure.reason}
              </li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}

export function ProgressBar({ processed, total, label }: { processed: number; total: number | undefined; label: string }) {
  // Metadata is advisory and can move backwards or pass the total; the bar stays within 0–100 %.
  const max = total === undefined || total <= 0 ? 1 : total;
  const value = Math.min(Math.max(processed, 0), max);
  return <progress aria-label={label} max={max} value={total === undefined ? undefined : value} />;
}
