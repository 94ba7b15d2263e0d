import type { OperationStatus, OperationType, ResourceType } from "@fruxon/api-types";

/**
 * One long-running operation. The row is also the job: workers claim it by setting `lease_owner`
 * and `lease_until`, and every write of a worker is guarded by both the status and its lease owner.
 */
export interface OperationsTable {
  id: string;
  tenant_id: string;
  type: OperationType;
  status: OperationStatus;
  resource_name: string | null;
  resource_type: ResourceType | null;
  /** JSON of the API's `OperationMetadata`. */
  metadata: string;
  /** The readable reason of a FAILED operation; null otherwise. */
  error: string | null;
  /** The reason the latest attempt failed, kept while the job waits for its retry. */
  last_error: string | null;
  /** The `sub` of the caller who started the operation. */
  created_by: string;
  idempotency_key: string | null;
  /** JSON of the job's input, written once when the operation is created. */
  input: string;
  /** Attempts started so far, including the running one. */
  attempts: number;
  /** The random id of the attempt holding the lease; null when no worker holds it. */
  lease_owner: string | null;
  /** When the lease ends, in epoch ms; another worker may claim the job after it. */
  lease_until: number | null;
  /** Earliest time a worker may claim the job, in epoch ms; pushed back after a failed attempt. */
  next_attempt_at: number;
  created_at: number;
  started_at: number | null;
  completed_at: number | null;
}

/** One finished unit of work of an operation, such as one batch-invite entry. */
export interface OperationItemsTable {
  operation_id: string;
  /** The unit's key within the operation: for a batch invite, the lower-case email. */
  item_key: string;
  /** 1 when the unit succeeded, 0 when it failed for a reason kept in `reason`. */
  succeeded: number;
  reason: string | null;
  created_at: number;
}

declare module "../db/schema.js" {
  interface Database {
    operations: OperationsTable;
    operation_items: OperationItemsTable;
  }
}
