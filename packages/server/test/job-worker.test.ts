import { readdir } from "node:fs/promises";
import { join } from "node:path";

import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

import { runBatchInvite } from "../src/jobs/batch-invite.js";
import { runExportUsers } from "../src/jobs/export-users.js";
import { JobFailure, type JobContext, type JobHandler } from "../src/jobs/job.js";
import { backoff, JobWorker, type JobWorkerOptions } from "../src/jobs/worker.js";
import { createTenant, startTestServer, describeEachDatabase, testUser } from "./helpers/index.js";
import type { TestServer, TestUser } from "./helpers/index.js";

/** Resolves when `condition` holds, checking every 20 ms; rejects after `timeoutMs`. */
async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A job handler that runs `units` units, checking for cancellation or shutdown between them. */
function unitsHandler(units: number, unitMs: number, onUnit: (unit: number, job: JobContext) => void = () => {}): JobHandler {
  return async (job) => {
    for (let unit = 0; unit < units; unit += 1) {
      job.checkpoint();
      onUnit(unit, job);
      await new Promise((resolve) => setTimeout(resolve, unitMs));
    }
    return { metadata: { total: units, processed: units } };
  };
}

describeEachDatabase("job worker on %s", (database) => {
  let server: TestServer;
  let admin: TestUser;
  const workers: JobWorker[] = [];

  function startWorker(options: JobWorkerOptions): JobWorker {
    const worker = new JobWorker(server.context, { pollIntervalMs: 20, concurrency: 1, retryBaseMs: 20, retryMaxMs: 100, ...options });
    workers.push(worker);
    worker.start();
    return worker;
  }

  async function startOperation(type: "export" | "batch", entries = 1): Promise<string> {
    const response = type === "export"
      ? await server.request({ method: "POST", url: "/v1/tenants/acme/users:export", headers: admin.headers })
      : await server.request({
        method: "POST",
        url: "/v1/tenants/acme/users:batchInvite",
        headers: admin.headers,
        body: { invitations: Array.from({ length: entries }, (_, index) => ({ email: `user${index}@batch.example.com`, role: "MEMBER" })) },
      });
    if (response.statusCode !== 202) throw new Error(`starting the operation returned ${response.statusCode}: ${response.body}`);
    return response.json.name as string;
  }

  async function row(id: string) {
    return server.context.db.selectFrom("operations").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
  }

  beforeAll(async () => {
    server = await startTestServer({ database, dispatchEmail: false, env: { INVITATIONS_PER_TENANT_PER_HOUR: "100000", JOB_MAX_ATTEMPTS: "3", JOB_LEASE_MS: "1000" } });
    admin = await testUser("admin@example.com");
    await createTenant(server, admin, "acme");
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.stop()));
    await server.context.db.deleteFrom("operations").execute();
    await server.context.db.deleteFrom("invitations").execute();
    await server.context.db.deleteFrom("members").where("status", "=", "INVITED").execute();
    await server.context.db.deleteFrom("outbox").execute();
  });
  afterAll(async () => {
    await server?.close();
  });

  it("retries a failing job with backoff, then fails it with a readable error", async () => {
    let calls = 0;
    startWorker({ handlers: { EXPORT_USERS: async () => { calls += 1; throw new JobFailure("The storage is full.", { retryable: true }); } } });
    const id = await startOperation("export");

    await until(async () => (await row(id)).status === "FAILED", "the job failed");
    const failed = await row(id);

    expect(calls).toBe(3);
    expect(failed.attempts).toBe(3);
    expect(failed.error).toBe("Gave up after 3 attempts: The storage is full.");
    expect(failed.lease_owner).toBeNull();
    expect(failed.started_at).not.toBeNull();
    expect(failed.completed_at).toBeGreaterThanOrEqual(failed.started_at as number);
  });

  it("fails a job at once on a permanent failure", async () => {
    let calls = 0;
    startWorker({ handlers: { EXPORT_USERS: async () => { calls += 1; throw new JobFailure("The tenant no longer exists."); } } });
    const id = await startOperation("export");

    await until(async () => (await row(id)).status === "FAILED", "the job failed");

    expect(calls).toBe(1);
    expect((await row(id)).error).toBe("The tenant no longer exists.");
  });

  it("hides internal errors behind a pointer to the log", async () => {
    startWorker({ maxAttempts: 1, handlers: { EXPORT_USERS: async () => { throw new Error("SQLITE_CORRUPT at page 7"); } } });
    const id = await startOperation("export");

    await until(async () => (await row(id)).status === "FAILED", "the job failed");

    expect((await row(id)).error).toBe(`Gave up after 1 attempts: The job failed with an internal error; the server log has the details under operation ${id}.`);
  });

  it("claims a job again once its lease expired", async () => {
    const id = await startOperation("export");
    const past = Date.now() - 1;
    await server.context.db.updateTable("operations").set({ status: "RUNNING", started_at: past - 10, attempts: 1, lease_owner: "dead-attempt", lease_until: past }).where("id", "=", id).execute();

    startWorker({});
    await until(async () => (await row(id)).status === "DONE", "the job was done");
    const done = await row(id);

    expect(done.attempts).toBe(2);
    expect(done.started_at).toBe(past - 10);
    expect(done.resource_type).toBe("FILE");
  });

  it("leaves a job with a live lease alone", async () => {
    const id = await startOperation("export");
    await server.context.db.updateTable("operations").set({ status: "RUNNING", attempts: 1, lease_owner: "live-attempt", lease_until: Date.now() + 60_000 }).where("id", "=", id).execute();

    const worker = new JobWorker(server.context, {});
    const ran = await worker.runOnce();

    expect(ran).toBe(false);
    expect((await row(id)).lease_owner).toBe("live-attempt");
  });

  it("fails a job whose every attempt died", async () => {
    const id = await startOperation("export");
    await server.context.db.updateTable("operations").set({ status: "RUNNING", attempts: 3, lease_owner: "dead-attempt", lease_until: Date.now() - 1 }).where("id", "=", id).execute();

    await new JobWorker(server.context, {}).runOnce();
    const failed = await row(id);

    expect(failed.status).toBe("FAILED");
    expect(failed.error).toMatch(/^Gave up after 3 attempts: the last attempt did not finish/);
  });

  it("keeps a stale attempt from overwriting the newer result", async () => {
    let releaseStale!: () => void;
    const staleHolds = new Promise<void>((resolve) => { releaseStale = resolve; });
    let staleStarted = false;
    const stale = startWorker({
      leaseMs: 60_000,
      handlers: {
        EXPORT_USERS: async (job) => {
          staleStarted = true;
          await staleHolds;
          return { metadata: { total: 1, processed: 1 }, resourceName: "stale", resourceType: "FILE", finalize: async (trx) => { await trx.deleteFrom("tenants").where("id", "=", job.operation.tenant_id).execute(); } };
        },
      },
    });
    const id = await startOperation("export");
    await until(async () => staleStarted, "the stale attempt started");

    // The stale attempt's lease runs out (its process paused, say) and a second worker takes over.
    await server.context.db.updateTable("operations").set({ lease_until: Date.now() - 1 }).where("id", "=", id).execute();
    const fresh = startWorker({ handlers: { EXPORT_USERS: async () => ({ metadata: { total: 1, processed: 1 }, resourceName: "fresh", resourceType: "FILE" }) } });
    await until(async () => (await row(id)).status === "DONE", "the second attempt finished");
    releaseStale();
    await until(async () => stale.runningJobs.length === 0, "the stale attempt ended");
    await stale.stop();
    await fresh.stop();
    const done = await row(id);

    expect(done.resource_name).toBe("fresh");
    expect(done.attempts).toBe(2);
    const tenant = await server.context.db.selectFrom("tenants").select("id").where("slug", "=", "acme").executeTakeFirst();
    expect(tenant).toBeDefined();
  });

  it("stops a running job when it is cancelled", async () => {
    let unitsRun = 0;
    startWorker({ handlers: { EXPORT_USERS: unitsHandler(500, 10, () => { unitsRun += 1; }) } });
    const id = await startOperation("export");
    await until(async () => unitsRun >= 3, "the job ran a few units");

    const cancelled = await server.request({ method: "POST", url: `/v1/tenants/acme/operations/${id}:cancel`, headers: admin.headers });
    const unitsAtCancel = unitsRun;
    await until(async () => workers[0]?.runningJobs.length === 0, "the worker let go of the job");
    const final = await row(id);

    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json).toMatchObject({ status: "FAILED", error: "cancelled" });
    expect(final.status).toBe("FAILED");
    expect(final.error).toBe("cancelled");
    expect(unitsRun).toBeLessThan(unitsAtCancel + 200);
    expect(unitsRun).toBeLessThan(500);
  });

  it("releases the lease at once on shutdown for another worker", async () => {
    let unitsRun = 0;
    const handler = unitsHandler(40, 10, () => { unitsRun += 1; });
    const first = startWorker({ leaseMs: 60_000, handlers: { EXPORT_USERS: handler } });
    const id = await startOperation("export");
    await until(async () => unitsRun >= 3, "the job ran a few units");

    await first.stop();
    const released = await row(id);
    const second = startWorker({ leaseMs: 60_000, handlers: { EXPORT_USERS: handler } });
    await until(async () => (await row(id)).status === "DONE", "the second worker finished the job", 5000);
    await second.stop();

    expect(released.status).toBe("RUNNING");
    expect(released.lease_owner).toBeNull();
    expect(released.lease_until).toBeLessThanOrEqual(Date.now());
    expect(released.attempts).toBe(0);
    expect((await row(id)).attempts).toBe(1);
  });

  it("resumes a batch invite without inviting or emailing twice", async () => {
    // The first attempt dies after 120 entries, as a crashed process would, without releasing anything.
    let entries = 0;
    const crashing: JobHandler = async (job) => runBatchInvite({
      ...job,
      checkpoint: () => {
        job.checkpoint();
        entries += 1;
        if (job.operation.attempts === 1 && entries > 120) throw new Error("simulated crash");
      },
    });
    startWorker({ handlers: { BATCH_INVITE: crashing } });
    const id = await startOperation("batch", 300);

    await until(async () => (await row(id)).status === "DONE", "the batch invite finished", 25_000);
    const done = await row(id);
    const invitations = await server.context.db.selectFrom("invitations").select("email_lower").execute();
    const emails = await server.context.db.selectFrom("outbox").select("recipient").execute();

    expect(done.attempts).toBe(2);
    expect(JSON.parse(done.metadata)).toEqual({ total: 300, processed: 300, succeeded: 300, failed: 0, failures: [] });
    expect(invitations).toHaveLength(300);
    expect(new Set(invitations.map((invitation) => invitation.email_lower)).size).toBe(300);
    expect(emails).toHaveLength(300);
    expect(new Set(emails.map((email) => email.recipient)).size).toBe(300);
  });

  it("replaces the export file on a second attempt", async () => {
    const flaky: JobHandler = async (job) => {
      const result = await runExportUsers(job);
      if (job.operation.attempts === 1) throw new Error("lost the connection after writing the file");
      return result;
    };
    startWorker({ handlers: { EXPORT_USERS: flaky } });
    const id = await startOperation("export");

    await until(async () => (await row(id)).status === "DONE", "the export finished");
    const done = await row(id);
    const fileId = (JSON.parse(done.input) as { fileId: string }).fileId;
    const files = await server.context.db.selectFrom("files").selectAll().where("id", "=", fileId).execute();
    const tenantDir = join(server.dataDir, "files", done.tenant_id);

    expect(done.attempts).toBe(2);
    expect(done.resource_name).toBe(fileId);
    expect(files).toHaveLength(1);
    expect(await readdir(tenantDir)).toContain(fileId);
    expect(await readdir(join(server.dataDir, "files", ".tmp"))).toEqual([]);
  });

  it("reports batch progress while it runs", async () => {
    const seen: number[] = [];
    const watching: JobHandler = async (job) => runBatchInvite({
      ...job,
      saveProgress: async (metadata) => {
        seen.push(metadata.processed ?? -1);
        await job.saveProgress(metadata);
      },
    });
    startWorker({ handlers: { BATCH_INVITE: watching } });
    const id = await startOperation("batch", 120);

    await until(async () => (await row(id)).status === "DONE", "the batch invite finished");

    expect(seen).toEqual([50, 100]);
  });
});

describe("backoff", () => {
  it.each([
    [1, 1000],
    [2, 2000],
    [3, 4000],
    [10, 60_000],
  ])("attempt %i waits about %i ms", (attempt, expected) => {
    const delay = backoff(attempt, 1000, 60_000);

    expect(delay).toBeGreaterThanOrEqual(expected * 0.8);
    expect(delay).toBeLessThanOrEqual(expected * 1.2);
  });
});
