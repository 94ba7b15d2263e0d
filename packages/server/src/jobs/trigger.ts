/**
 * Wakes the job worker of this process early, after a request created an operation, instead of letting
 * the job wait for the worker's next poll. Workers in other processes still find the job by polling.
 */
export interface JobsTrigger {
  wake(): void;
  /** Calls `listener` on every `wake()`; returns the function that unsubscribes it. */
  onWake(listener: () => void): () => void;
}

export function createJobsTrigger(): JobsTrigger {
  const listeners = new Set<() => void>();
  return {
    wake() {
      for (const listener of listeners) listener();
    },
    onWake(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
