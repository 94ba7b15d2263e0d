import { useState } from "react";

import type { Operation, OperationStatus } from "@fruxon/api-types";

import { toProblemView, type ProblemView } from "../api/problem.js";
import { downloadUrl, isFinished, useCancelOperation, useExportUsers, useOperations } from "../api/queries.js";
import { Badge } from "../components/badge.js";
import { formatTimestamp } from "../components/format.js";
import { ProblemAlert } from "../components/problem-alert.js";
import { ProgressBar } from "./operation-progress.js";

const TYPE_LABELS: Record<Operation["type"], string> = {
  BATCH_INVITE: "Batch invite",
  EXPORT_USERS: "Members export",
};

export function OperationsPage({ tenant, tenantName, baseUrl }: { tenant: string; tenantName: string; baseUrl: string }) {
  const [status, setStatus] = useState<OperationStatus | "">("");
  const [problem, setProblem] = useState<ProblemView | null>(null);
  const operations = useOperations(tenant, status);
  const exportUsers = useExportUsers(tenant);
  const cancel = useCancelOperation(tenant);

  const startExport = (): void => {
    setProblem(null);
    exportUsers.mutate(undefined, { onError: (error) => setProblem(toProblemView(error)) });
  };

  const cancelOperation = (name: string): void => {
    setProblem(null);
    cancel.mutate(name, { onError: (error) => setProblem(toProblemView(error)) });
  };

  const items = operations.data?.items ?? [];

  return (
    <section aria-labelledby="operations-heading">
      <div className="page-header">
        <h1 id="operations-heading">Operations of {tenantName}</h1>
        <button type="button" className="primary" onClick={startExport} disabled={exportUsers.isPending}>
          {exportUsers.isPending ? "Starting export…" : "Export CSV"}
        </button>
      </div>

      <div className="filters">
        <div className="field">
          <label htmlFor="operation-status">Status</label>
          <select id="operation-status" value={status} onChange={(event) => setStatus(event.target.value as OperationStatus | "")}>
            <option value="">All</option>
            <option value="PENDING">Pending</option>
            <option value="RUNNING">Running</option>
            <option value="DONE">Done</option>
            <option value="FAILED">Failed</option>
          </select>
        </div>
      </div>

      <ProblemAlert problem={problem} unplaced={problem?.fieldErrors ?? []} />
      {operations.error === null ? null : <ProblemAlert problem={toProblemView(operations.error)} />}

      <table className="operations responsive" aria-busy={operations.isFetching}>
        <caption>
          {operations.data === undefined
            ? "Loading operations…"
            : `${operations.data.totalCount} ${operations.data.totalCount === 1 ? "operation" : "operations"}, newest first`}
        </caption>
        <thead>
          <tr>
            <th scope="col">Type</th>
            <th scope="col">Status</th>
            <th scope="col">Progress</th>
            <th scope="col">Started</th>
            <th scope="col">Completed</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {items.map((operation) => (
            <tr key={operation.name} data-testid="operation-row">
              <td data-label="Type">{TYPE_LABELS[operation.type]}</td>
              <td data-label="Status">
                <Badge value={operation.status} />
                {operation.error === undefined ? null : <span className="operation-error"> {operation.error}</span>}
              </td>
              <td data-label="Progress">
                <ProgressBar
                  processed={operation.metadata?.processed ?? 0}
                  total={operation.metadata?.total}
                  label={`Progress of ${TYPE_LABELS[operation.type].toLowerCase()} started ${formatTimestamp(operation.createdAt)}`}
                />{" "}
                {operation.metadata?.processed ?? 0} / {operation.metadata?.total ?? "?"}
                {operation.metadata?.failed === undefined || operation.metadata.failed === 0
                  ? ""
                  : `, ${operation.metadata.failed} failed`}
              </td>
              <td data-label="Started">{formatTimestamp(operation.startedAt ?? operation.createdAt)}</td>
              <td data-label="Completed">{formatTimestamp(operation.completedAt)}</td>
              <td data-label="Actions" className="row-actions">
                {isFinished(operation) ? null : (
                  <button type="button" onClick={() => cancelOperation(operation.name)} disabled={cancel.isPending}>
                    Cancel
                  </button>
                )}
                {operation.type === "EXPORT_USERS" &&
                operation.status === "DONE" &&
                operation.resourceType === "FILE" &&
                operation.resourceName !== undefined ? (
                  <a
                    className="button"
                    href={downloadUrl(baseUrl, tenant, operation.resourceName)}
                    download={`${tenant}-members.csv`}
                  >
                    Download CSV
                  </a>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {operations.isSuccess && items.length === 0 ? <p>No operations yet.</p> : null}
    </section>
  );
}
