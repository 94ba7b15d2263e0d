import { createFruxonClient, unwrap, waitForOperation } from "@fruxon/client";
import { afterEach, describe, expect, it } from "vitest";

import { JobWorker } from "../src/jobs/worker.js";
import { createTenant, startSmtpPeer, startTestServer, describeEachDatabase, testUser } from "./helpers/index.js";
import type { SmtpPeer, TestServer } from "./helpers/index.js";

const ENTRIES = 300;

describeEachDatabase("batch invite email on %s", (database) => {
  let server: TestServer | undefined;
  let worker: JobWorker | undefined;
  let peer: SmtpPeer | undefined;

  afterEach(async () => {
    await worker?.stop();
    await server?.close();
    await peer?.stop();
  });

  it("delivers every email once across an SMTP outage", async () => {
    peer = await startSmtpPeer();
    server = await startTestServer({
      database,
      env: { SMTP_URL: peer.url, INVITATIONS_PER_TENANT_PER_HOUR: "100000" },
      outbox: { pollIntervalMs: 50, baseRetryDelayMs: 200, maxRetryDelayMs: 1000 },
    });
    const baseUrl = await server.app.listen({ port: 0, host: "127.0.0.1" });
    worker = new JobWorker(server.context, { pollIntervalMs: 50 });
    worker.start();
    const admin = await testUser("admin@example.com");
    await createTenant(server, admin, "mail");
    const client = createFruxonClient({ baseUrl, token: admin.token });
    const invitations = Array.from({ length: ENTRIES }, (_, index) => ({ email: `guest${index}@mail.example.com`, role: "MEMBER" as const }));

    const operation = await unwrap(client.POST("/v1/tenants/{tenant}/users:batchInvite", { params: { path: { tenant: "mail" } }, body: { invitations } }));
    await peer.waitForMessages(20, 20_000);
    await peer.stop();
    const db = server.context.db;
    const deadline = Date.now() + 15_000;
    while ((await db.selectFrom("outbox").select("id").where("last_error", "is not", null).where("sent_at", "is", null).execute()).length === 0) {
      if (Date.now() > deadline) throw new Error("no email send failed while the SMTP peer was down");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const receivedDuringOutage = peer.messages.length;
    await peer.start();
    const done = await waitForOperation(client, { tenant: "mail", operation: operation.name }, { timeoutMs: 20_000 });
    await peer.waitForMessages(ENTRIES, 20_000);
    // A duplicate would come after the originals; give the dispatcher time to send one.
    await new Promise((resolve) => setTimeout(resolve, 1000));

    expect(receivedDuringOutage).toBeLessThan(ENTRIES);
    expect(done.metadata).toMatchObject({ total: ENTRIES, processed: ENTRIES, succeeded: ENTRIES, failed: 0 });
    const recipients = peer.messages.flatMap((message) => message.to);
    expect(recipients).toHaveLength(ENTRIES);
    expect(new Set(recipients)).toEqual(new Set(invitations.map((entry) => entry.email)));
    const unsent = await db.selectFrom("outbox").select("id").where("sent_at", "is", null).execute();
    expect(unsent).toEqual([]);
  });
});
