import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { Operation } from "@fruxon/api-types";

import { AbortError, OperationFailedError, ProblemError, TimeoutError, waitForOperation } from "../src/index.js";
import { json, problem, testClient } from "./helpers.js";

const TARGET = { tenant: "acme", operation: "5c1e7a2b-8f3d-4a6c-b9e0-1d2f3a4b5c6d" };
const OPERATION_URL = "https://api.fruxon.test/v1/tenants/acme/operations/5c1e7a2b-8f3d-4a6c-b9e0-1d2f3a4b5c6d";

function operation(status: Operation["status"], extra: Partial<Operation> = {}): Operation {
  return { name: TARGET.operation, type: "BATCH_INVITE", status, createdAt: 1, ...extra };
}

function gaps(sent: { at: number }[]): number[] {
  return sent.slice(1).map((request, index) => request.at - (sent[index]?.at ?? 0));
}

beforeEach(() => {
  vi.useFakeTimers({ now: new Date("2026-03-02T10:00:00.000Z") });
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("waitForOperation", () => {
  it("polls at 1 s and backs off to at most 5 s", async () => {
    vi.spyOn(Math, "random").mockReturnValue(0.5); // jitter factor exactly 1
    const responses = [...Array.from({ length: 7 }, () => json(operation("RUNNING"))), json(operation("DONE", { resourceName: "file-1" }))];
    const { client, sent } = testClient(responses, { timeoutMs: 0 });

    const wait = waitForOperation(client, TARGET);
    await vi.advanceTimersByTimeAsync(60_000);
    const done = await wait;

    expect(done.status).toBe("DONE");
    expect(done.resourceName).toBe("file-1");
    expect(sent).toHaveLength(8);
    expect(sent.every((request) => request.url === OPERATION_URL && request.method === "GET")).toBe(true);
    expect(gaps(sent)).toEqual([1_000, 1_500, 2_250, 3_375, 5_000, 5_000, 5_000]);
  });

  it.each([
    ["lowest", 0],
    ["highest", 0.999_999],
  ])("never polls more than once per second with the %s jitter", async (_label, random) => {
    vi.spyOn(Math, "random").mockReturnValue(random);
    const responses = [...Array.from({ length: 9 }, () => json(operation("RUNNING"))), json(operation("DONE"))];
    const { client, sent } = testClient(responses, { timeoutMs: 0 });

    const wait = waitForOperation(client, TARGET);
    await vi.advanceTimersByTimeAsync(120_000);
    await wait;

    expect(sent).toHaveLength(10);
    for (const gap of gaps(sent)) {
      expect(gap).toBeGreaterThanOrEqual(1_000);
      expect(gap).toBeLessThanOrEqual(5_000);
    }
  });

  it("honours Retry-After and still keeps 1 s between polls", async () => {
    const { client, sent } = testClient(
      [
        json(operation("RUNNING"), { headers: { "retry-after": "3" } }),
        json(operation("RUNNING"), { headers: { "retry-after": "0" } }),
        json(operation("DONE")),
      ],
      { timeoutMs: 0 },
    );

    const wait = waitForOperation(client, TARGET);
    await vi.advanceTimersByTimeAsync(10_000);
    await wait;

    expect(gaps(sent)).toEqual([3_000, 1_000]);
  });

  it("reports each new metadata once", async () => {
    vi.spyOn(Math, "random").mockReturnValue(0.5);
    const first = { total: 3, processed: 1, succeeded: 1, failed: 0 };
    const second = { total: 3, processed: 3, succeeded: 2, failed: 1, failures: [{ email: "x@example.com", reason: "already a member" }] };
    const { client } = testClient(
      [
        json(operation("PENDING")),
        json(operation("RUNNING", { metadata: first })),
        json(operation("RUNNING", { metadata: first })),
        json(operation("DONE", { metadata: second })),
      ],
      { timeoutMs: 0 },
    );
    const progress: unknown[] = [];

    const wait = waitForOperation(client, TARGET, { onProgress: (metadata) => progress.push(metadata) });
    await vi.advanceTimersByTimeAsync(10_000);
    await wait;

    expect(progress).toEqual([first, second]);
  });

  it("rejects with OperationFailedError on FAILED", async () => {
    const { client } = testClient([json(operation("RUNNING")), json(operation("FAILED", { error: "cancelled" }))], { timeoutMs: 0 });

    const wait = waitForOperation(client, TARGET);
    const outcome = expect(wait).rejects.toSatisfy(
      (error: unknown) =>
        error instanceof OperationFailedError &&
        error.operation.error === "cancelled" &&
        error.message === `Operation ${TARGET.operation} failed: cancelled`,
    );
    await vi.advanceTimersByTimeAsync(2_000);

    await outcome;
  });

  it("rejects with TimeoutError after timeoutMs", async () => {
    const { client, sent } = testClient(() => json(operation("RUNNING")), { timeoutMs: 0 });
    vi.spyOn(Math, "random").mockReturnValue(0.5);

    const wait = waitForOperation(client, TARGET, { timeoutMs: 4_000 });
    const outcome = expect(wait).rejects.toSatisfy(
      (error: unknown) => error instanceof TimeoutError && /did not finish within 4000 ms/.test(error.message),
    );
    await vi.advanceTimersByTimeAsync(4_000);
    await outcome;

    // Polls at 0, 1 s and 2.5 s; the next would be at 4.75 s.
    expect(sent).toHaveLength(3);
  });

  it("rejects at once on abort without another poll", async () => {
    const controller = new AbortController();
    const { client, sent } = testClient(() => json(operation("RUNNING")), { timeoutMs: 0 });

    const wait = waitForOperation(client, TARGET, { signal: controller.signal });
    const outcome = expect(wait).rejects.toBeInstanceOf(AbortError);
    await vi.advanceTimersByTimeAsync(500);
    controller.abort();
    await outcome;
    await vi.advanceTimersByTimeAsync(10_000);

    expect(sent).toHaveLength(1);
  });

  it("rejects with the poll's ProblemError", async () => {
    const { client } = testClient([problem(404, { title: "Not found", code: "NOT_FOUND" })], { timeoutMs: 0 });

    await expect(waitForOperation(client, TARGET)).rejects.toSatisfy(
      (error: unknown) => error instanceof ProblemError && error.code === "NOT_FOUND",
    );
  });

  it("rejects a non-positive timeoutMs", async () => {
    const { client } = testClient([]);

    await expect(waitForOperation(client, TARGET, { timeoutMs: 0 })).rejects.toThrow(/timeoutMs must be a positive number/);
  });
});
