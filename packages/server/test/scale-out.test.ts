import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { createFruxonClient, unwrap, waitForOperation } from "@fruxon/client";
import type { FruxonClient } from "@fruxon/client";
import type { Kysely } from "kysely";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

import { loadConfig } from "../src/config.js";
import { openDatabase } from "../src/db/database.js";
import type { Database } from "../src/db/schema.js";
import { buildServer, describeLogs, pauseWhen, spawnService, type ChildService } from "./child-processes.js";
import { dropSchema, startSmtpPeer, describeEachDatabase, TEST_PUBLIC_KEY_PEM, testUser } from "./helpers/index.js";
import type { SmtpPeer, TestDatabase, TestUser } from "./helpers/index.js";

const BATCH_SIZE = 1000;

/** One isolated deployment: a data folder (and PostgreSQL schema) shared by the processes of a test. */
interface Deployment {
  env: Record<string, string>;
  db: Kysely<Database>;
  dataDir: string;
  close(): Promise<void>;
}

async function createDeployment(database: TestDatabase, extraEnv: Record<string, string>): Promise<Deployment> {
  const dataDir = await mkdtemp(join(tmpdir(), "fruxon-scale-"));
  const schema = `test_${randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    AUTH_PUBLIC_KEY: TEST_PUBLIC_KEY_PEM,
    PAGE_TOKEN_SECRET: "test-page-token-secret-0123456789abcdef",
    PUBLIC_URL: "https://fruxon.test",
    INVITATIONS_PER_TENANT_PER_HOUR: "100000",
    RATE_LIMIT_PER_MINUTE: "100000",
    ...(database === "postgres" ? { DATABASE_URL: process.env.TEST_DATABASE_URL as string, DATABASE_SCHEMA: schema } : {}),
    ...extraEnv,
  };
  const { db } = await openDatabase(loadConfig(env));
  return {
    env,
    db,
    dataDir,
    async close() {
      await db.destroy();
      if (database === "postgres") await dropSchema(schema);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

function clientFor(service: ChildService, user: TestUser): FruxonClient {
  return createFruxonClient({ baseUrl: service.url as string, token: user.token, maxRetries: 0 });
}

async function createTenant(client: FruxonClient, slug: string): Promise<void> {
  await unwrap(client.POST("/v1/tenants", { body: { slug, displayName: `Tenant ${slug}` } }));
}

function batchBody(count: number, domain: string) {
  return { invitations: Array.from({ length: count }, (_, index) => ({ email: `person${index}@${domain}`, role: "MEMBER" as const })) };
}

/** Resolves once `condition` holds, checking every 50 ms; rejects after `timeoutMs` with `describe()` in the message. */
async function until(condition: () => Promise<boolean>, what: string, timeoutMs: number, describe: () => string = () => ""): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}\n${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Counts the finished entries of a batch invite. */
async function countItems(db: Kysely<Database>, operationId: string): Promise<number> {
  const { count } = await db.selectFrom("operation_items").select((eb) => eb.fn.countAll<number>().as("count")).where("operation_id", "=", operationId).executeTakeFirstOrThrow();
  return Number(count);
}

/** Checks the tenant's invitations and outbox rows: one each per address, `count` in all. */
async function expectOneInvitationEach(db: Kysely<Database>, slug: string, count: number): Promise<void> {
  const tenant = await db.selectFrom("tenants").select("id").where("slug", "=", slug).executeTakeFirstOrThrow();
  const invitations = await db.selectFrom("invitations").select("email_lower").where("tenant_id", "=", tenant.id).execute();
  const emails = await db.selectFrom("outbox").select("recipient").where("tenant_id", "=", tenant.id).execute();

  expect(invitations).toHaveLength(count);
  expect(new Set(invitations.map((invitation) => invitation.email_lower)).size).toBe(count);
  expect(emails).toHaveLength(count);
  expect(new Set(emails.map((email) => email.recipient)).size).toBe(count);
}

/** Waits until the peer received `count` messages, then a little longer, and checks each went to a distinct recipient once. */
async function expectOneEmailEach(peer: SmtpPeer, domain: string, count: number): Promise<void> {
  await until(async () => peer.messages.filter((message) => message.to[0]?.endsWith(`@${domain}`)).length >= count, `${count} emails to ${domain} arrived`, 25_000);
  // A duplicate would arrive after the originals; give the dispatchers a moment to send one.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const recipients = peer.messages.flatMap((message) => message.to).filter((address) => address.endsWith(`@${domain}`));

  expect(recipients).toHaveLength(count);
  expect(new Set(recipients).size).toBe(count);
}

let distDir: string;
let removeDist: () => Promise<void>;
let admin: TestUser;

beforeAll(async () => {
  ({ distDir, remove: removeDist } = await buildServer());
  admin = await testUser("admin@example.com", { name: "Ada Admin" });
}, 120_000);
afterAll(async () => {
  await removeDist?.();
});

describeEachDatabase("crash safety on %s", (database) => {
  const services: ChildService[] = [];
  let deployment: Deployment | undefined;
  let peer: SmtpPeer | undefined;

  async function start(name: string, kind: "server" | "worker", env: Record<string, string>, args: string[] = []): Promise<ChildService> {
    const service = await spawnService({ distDir, name, kind, env: { ...deployment?.env, ...env }, args });
    services.push(service);
    return service;
  }

  afterEach(async () => {
    await Promise.all(services.splice(0).map((service) => service.kill("SIGKILL")));
    await peer?.stop();
    peer = undefined;
    await deployment?.close();
    deployment = undefined;
  });

  it("finishes a batch invite once after its worker is killed half way", async () => {
    peer = await startSmtpPeer();
    deployment = await createDeployment(database, { JOB_LEASE_MS: "2000" });
    // The API process sends the email; the worker process only runs jobs, so killing it cannot cut an SMTP exchange short.
    const api = await start("api", "server", { WORKER: "off", SMTP_URL: peer.url });
    const firstWorker = await start("worker-1", "worker", {});
    const client = clientFor(api, admin);
    await createTenant(client, "crash");

    const operation = await unwrap(client.POST("/v1/tenants/{tenant}/users:batchInvite", { params: { path: { tenant: "crash" } }, body: batchBody(BATCH_SIZE, "crash.example.com") }));
    await pauseWhen(firstWorker, async () => (await countItems(deployment!.db, operation.name)) >= BATCH_SIZE / 2);
    await firstWorker.kill("SIGKILL");
    const afterKill = await deployment.db.selectFrom("operations").selectAll().where("id", "=", operation.name).executeTakeFirstOrThrow();
    const itemsAtKill = await countItems(deployment.db, operation.name);
    const secondWorker = await start("worker-2", "worker", {});
    const done = await waitForOperation(client, { tenant: "crash", operation: operation.name }, { timeoutMs: 25_000 });

    expect(afterKill.status).toBe("RUNNING");
    expect(afterKill.lease_owner).not.toBeNull();
    expect(itemsAtKill).toBeGreaterThanOrEqual(BATCH_SIZE / 2);
    expect(itemsAtKill).toBeLessThan(BATCH_SIZE);
    expect(done.metadata).toEqual({ total: BATCH_SIZE, processed: BATCH_SIZE, succeeded: BATCH_SIZE, failed: 0, failures: [] });
    const row = await deployment.db.selectFrom("operations").select(["attempts", "lease_owner"]).where("id", "=", operation.name).executeTakeFirstOrThrow();
    expect(row).toEqual({ attempts: 2, lease_owner: null });
    expect(secondWorker.logs.some((entry) => entry.msg === "batch invite resumed" && entry.alreadyDone === itemsAtKill)).toBe(true);
    await expectOneInvitationEach(deployment.db, "crash", BATCH_SIZE);
    await expectOneEmailEach(peer, "crash.example.com", BATCH_SIZE);
  }, 90_000);

  it("hands a job over at once on SIGTERM and lets in-flight requests finish", async () => {
    // A lease of a minute: a takeover within seconds shows the lease was released, not left to expire.
    deployment = await createDeployment(database, { JOB_LEASE_MS: "60000" });
    const first = await start("server-1", "server", { WORKER: "in-process" });
    const client = clientFor(first, admin);
    await createTenant(client, "handover");
    const operation = await unwrap(client.POST("/v1/tenants/{tenant}/users:batchInvite", { params: { path: { tenant: "handover" } }, body: batchBody(BATCH_SIZE, "handover.example.com") }));
    await pauseWhen(first, async () => (await countItems(deployment!.db, operation.name)) >= 100);

    // An upload whose body trickles in over about a second is in flight when SIGTERM arrives.
    const boundary = "fruxon-boundary";
    const parts = [
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.txt"\r\nContent-Type: text/plain\r\n\r\n`,
      "first half, ",
      "second half",
      `\r\n--${boundary}--\r\n`,
    ];
    let sentFirstPart!: () => void;
    const firstPartSent = new Promise<void>((resolve) => { sentFirstPart = resolve; });
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const part = parts.shift();
        if (part === undefined) return controller.close();
        controller.enqueue(new TextEncoder().encode(part));
        if (parts.length === 2) sentFirstPart();
        await new Promise((resolve) => setTimeout(resolve, 300));
      },
    });
    first.child.kill("SIGCONT");
    const upload = fetch(`${first.url}/v1/tenants/handover/storage`, {
      method: "POST",
      headers: { ...admin.headers, "content-type": `multipart/form-data; boundary=${boundary}` },
      body,
      duplex: "half",
    } as RequestInit);
    await firstPartSent;
    const stoppedAt = Date.now();
    first.child.kill("SIGTERM");
    const uploaded = await upload;
    const exitCode = await first.exited;
    const released = await deployment.db.selectFrom("operations").selectAll().where("id", "=", operation.name).executeTakeFirstOrThrow();
    const itemsAtStop = await countItems(deployment.db, operation.name);
    const second = await start("worker-2", "worker", {});
    const resumed = await second.waitForLog((entry) => entry.msg === "job started", 15_000);
    await until(
      async () => (await deployment!.db.selectFrom("operations").select("status").where("id", "=", operation.name).executeTakeFirstOrThrow()).status === "DONE",
      "the second process finished the job",
      40_000,
      () => describeLogs(second.logs),
    );

    expect(uploaded.status).toBe(201);
    expect(((await uploaded.json()) as { sizeBytes: number }).sizeBytes).toBe("first half, second half".length);
    expect(exitCode).toBe(0);
    expect(first.logs.some((entry) => entry.msg === "job lease released for another worker")).toBe(true);
    expect(released.status).toBe("RUNNING");
    expect(released.lease_owner).toBeNull();
    expect(released.lease_until).toBeLessThan(stoppedAt + 60_000);
    expect(itemsAtStop).toBeLessThan(BATCH_SIZE);
    expect(Number(resumed.time) - stoppedAt).toBeLessThan(30_000);
    expect(second.logs.some((entry) => entry.msg === "batch invite resumed" && entry.alreadyDone === itemsAtStop)).toBe(true);
    const final = await deployment.db.selectFrom("operations").select(["attempts", "metadata"]).where("id", "=", operation.name).executeTakeFirstOrThrow();
    expect(final.attempts).toBe(1);
    expect(JSON.parse(final.metadata)).toMatchObject({ processed: BATCH_SIZE, succeeded: BATCH_SIZE });
    await expectOneInvitationEach(deployment.db, "handover", BATCH_SIZE);
  }, 90_000);
});

describe("rate limits across processes", () => {
  let deployment: Deployment | undefined;
  const services: ChildService[] = [];

  afterEach(async () => {
    await Promise.all(services.splice(0).map((service) => service.kill("SIGKILL")));
    await deployment?.close();
  });

  it("shares counters through Redis", async () => {
    deployment = await createDeployment("sqlite", { RATE_LIMIT_PER_MINUTE: "3", REDIS_URL: process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379" });
    for (const name of ["server-1", "server-2"]) {
      services.push(await spawnService({ distDir, name, kind: "server", env: deployment.env }));
    }
    // A fresh account, so counters of an earlier run within the same minute do not count.
    const caller = await testUser("limited@example.com");

    const statuses: number[] = [];
    for (const service of [services[0], services[1], services[0], services[1]]) {
      statuses.push((await fetch(`${service?.url}/v1/tenants`, { headers: caller.headers })).status);
    }

    expect(statuses).toEqual([200, 200, 200, 429]);
  }, 60_000);
});

describe.skipIf(!process.env.TEST_DATABASE_URL)("scale-out on postgres", () => {
  const services: ChildService[] = [];
  let deployment: Deployment | undefined;
  let peer: SmtpPeer | undefined;

  afterEach(async () => {
    await Promise.all(services.splice(0).map((service) => service.kill("SIGKILL")));
    await peer?.stop();
    await deployment?.close();
  });

  it("runs every job once across three servers", async () => {
    peer = await startSmtpPeer();
    deployment = await createDeployment("postgres", { JOB_LEASE_MS: "5000", WORKER: "in-process", SMTP_URL: peer.url });
    for (const name of ["server-1", "server-2", "server-3"]) {
      services.push(await spawnService({ distDir, name, kind: "server", env: deployment.env }));
    }
    const clients = services.map((service) => clientFor(service, admin));
    const [first, second, third] = clients as [FruxonClient, FruxonClient, FruxonClient];
    await createTenant(first, "scale");

    const batch = await unwrap(second.POST("/v1/tenants/{tenant}/users:batchInvite", { params: { path: { tenant: "scale" } }, body: batchBody(BATCH_SIZE, "scale.example.com") }));
    const exports = [
      await unwrap(third.POST("/v1/tenants/{tenant}/users:export", { params: { path: { tenant: "scale" } } })),
      await unwrap(first.POST("/v1/tenants/{tenant}/users:export", { params: { path: { tenant: "scale" } } })),
    ];
    const finished = await Promise.all([
      waitForOperation(third, { tenant: "scale", operation: batch.name }, { timeoutMs: 40_000 }),
      ...exports.map((operation, index) => waitForOperation(clients[index] as FruxonClient, { tenant: "scale", operation: operation.name }, { timeoutMs: 40_000 })),
    ]);

    expect(finished.map((operation) => operation.status)).toEqual(["DONE", "DONE", "DONE"]);
    const rows = await deployment.db.selectFrom("operations").select(["id", "attempts"]).execute();
    expect(rows.map((row) => row.attempts)).toEqual([1, 1, 1]);
    const started = services.flatMap((service) => service.logs.filter((entry) => entry.msg === "job started").map((entry) => entry.operationId));
    expect(started.sort()).toEqual(rows.map((row) => row.id).sort());
    for (const operation of finished.slice(1)) {
      const download = await fetch(`${services[2]?.url}/v1/tenants/scale/storage/${operation.resourceName}`);
      expect(download.status).toBe(200);
      expect((await download.text()).split("\r\n")[0]).toBe("id,email,firstName,lastName,role,status,createdAt,modifiedAt");
    }
    await expectOneInvitationEach(deployment.db, "scale", BATCH_SIZE);
    await expectOneEmailEach(peer, "scale.example.com", BATCH_SIZE);
  }, 120_000);
});
