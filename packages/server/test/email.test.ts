import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

import { afterEach, describe, expect, it } from "vitest";

import { createLogger } from "../src/logger.js";
import { enqueueEmail } from "../src/email/outbox.js";
import { createTenant, invite, startSmtpPeer, startTestServer, describeEachDatabase, testUser } from "./helpers/index.js";
import type { SmtpPeer, TestServer, TestServerOptions } from "./helpers/index.js";

const FAST_OUTBOX = { pollIntervalMs: 40, baseRetryDelayMs: 40, maxRetryDelayMs: 300, leaseMs: 5000 };
const LINK = /https:\/\/fruxon\.test\/invitations\/([A-Za-z0-9_-]{43})/;

/** Collects pino's output lines. */
function logCapture() {
  const lines: string[] = [];
  return { lines, logger: createLogger({ level: "info", destination: { write: (line: string) => void lines.push(line) } }) };
}

async function waitFor(condition: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Unfolds quoted-printable soft line breaks so a long link reads as one line. */
function unfold(raw: string): string {
  return raw.replace(/=\r?\n/g, "").replace(/=3D/g, "=");
}

describeEachDatabase("email outbox on %s", (database) => {
  const servers: TestServer[] = [];
  const peers: SmtpPeer[] = [];

  afterEach(async () => {
    for (const server of servers.splice(0)) await server.close();
    for (const peer of peers.splice(0)) await peer.stop();
  });

  async function start(options: TestServerOptions): Promise<TestServer> {
    const server = await startTestServer({ database, outbox: FAST_OUTBOX, ...options });
    servers.push(server);
    return server;
  }

  async function peer(listening = true): Promise<SmtpPeer> {
    const created = await startSmtpPeer({ listening });
    peers.push(created);
    return created;
  }

  async function outboxRow(server: TestServer, recipient: string) {
    return server.context.db.selectFrom("outbox").selectAll().where("recipient", "=", recipient).executeTakeFirstOrThrow();
  }

  it("sends one message with the accept link over SMTP", async () => {
    const smtp = await peer();
    const { lines, logger } = logCapture();
    const server = await start({ env: { SMTP_URL: smtp.url, MAIL_FROM: "Fruxon <invites@fruxon.test>" }, logger });
    const admin = await testUser("admin@mail.example", { name: "Ada Admin" });
    await createTenant(server, admin, "mail", "Mail <Team>");

    await invite(server, admin, "mail", "invitee@mail.example", "ADMIN");
    const [message] = await smtp.waitForMessages(1);
    await sleep(300);

    expect(smtp.messages).toHaveLength(1);
    expect(message?.to).toEqual(["invitee@mail.example"]);
    expect(message?.from).toBe("invites@fruxon.test");
    const raw = unfold(message?.raw ?? "");
    expect(raw).toMatch(/^Subject: Ada Admin invited you to join Mail <Team> on Fruxon/m);
    expect(raw).toContain("Mail &lt;Team&gt;");
    const ticket = LINK.exec(raw)?.[1];
    expect(ticket).toBeDefined();

    await waitFor(async () => (await outboxRow(server, "invitee@mail.example")).sent_at !== null, "the row to be marked sent");
    const row = await outboxRow(server, "invitee@mail.example");
    expect(row).toMatchObject({ attempts: 1, text_body: "", html_body: "", link: null, last_error: null, lease_owner: null });
    expect(lines.join("\n")).not.toContain(ticket as string);
  });

  it("retries while the SMTP peer is down and delivers once it is back", async () => {
    const smtp = await peer(false);
    const server = await start({ env: { SMTP_URL: smtp.url } });
    const admin = await testUser("admin@outage.example");
    await createTenant(server, admin, "outage");

    await invite(server, admin, "outage", "patient@outage.example");
    await waitFor(async () => (await outboxRow(server, "patient@outage.example")).attempts >= 3, "three failed attempts");
    const failed = await outboxRow(server, "patient@outage.example");
    await smtp.start();
    await smtp.waitForMessages(1);
    await sleep(400);

    expect(failed.sent_at).toBeNull();
    expect(failed.last_error).toMatch(/ECONNREFUSED|connect/i);
    expect(smtp.messages).toHaveLength(1);
    await waitFor(async () => (await outboxRow(server, "patient@outage.example")).sent_at !== null, "the row to be marked sent");
  });

  it("does not send again after a restart", async () => {
    const smtp = await peer();
    const first = await start({ env: { SMTP_URL: smtp.url }, keepData: true });
    const admin = await testUser("admin@restart.example");
    await createTenant(first, admin, "restart");
    await invite(first, admin, "restart", "once@restart.example");
    await smtp.waitForMessages(1);
    await waitFor(async () => (await outboxRow(first, "once@restart.example")).sent_at !== null, "the row to be marked sent");
    await first.close();

    const second = await start({ env: { SMTP_URL: smtp.url }, reuse: { dataDir: first.dataDir, schema: first.schema } });
    await sleep(400);

    expect(smtp.messages).toHaveLength(1);
    expect((await outboxRow(second, "once@restart.example")).attempts).toBe(1);
  });

  it("sends a row left leased by a stopped process once its lease ends", async () => {
    const smtp = await peer();
    const server = await start({ env: { SMTP_URL: smtp.url }, keepData: true });
    const admin = await testUser("admin@lease.example");
    await createTenant(server, admin, "lease");
    await server.outbox.stop();
    await invite(server, admin, "lease", "leased@lease.example");
    const leaseEnd = Date.now() + 500;
    await server.context.db.updateTable("outbox").set({ lease_owner: "stopped-process", next_attempt_at: leaseEnd, attempts: 1 }).execute();

    const restarted = await start({ env: { SMTP_URL: smtp.url }, reuse: { dataDir: server.dataDir, schema: server.schema } });
    await smtp.waitForMessages(1);
    await sleep(300);

    expect(Date.now()).toBeGreaterThanOrEqual(leaseEnd);
    expect(smtp.messages).toHaveLength(1);
    expect((await outboxRow(restarted, "leased@lease.example")).attempts).toBe(2);
  });

  it("sends each row once with two dispatchers on one database", async () => {
    const smtp = await peer();
    const one = await start({ env: { SMTP_URL: smtp.url }, keepData: true, dispatchEmail: false });
    const admin = await testUser("admin@pair.example");
    await createTenant(one, admin, "pair");
    for (let index = 0; index < 12; index += 1) await invite(one, admin, "pair", `guest${index}@pair.example`);

    const two = await start({ env: { SMTP_URL: smtp.url }, reuse: { dataDir: one.dataDir, schema: one.schema }, keepData: true, outbox: { ...FAST_OUTBOX, batchSize: 2 } });
    const three = await start({ env: { SMTP_URL: smtp.url }, reuse: { dataDir: one.dataDir, schema: one.schema }, outbox: { ...FAST_OUTBOX, batchSize: 2 } });
    expect(two.outbox).not.toBe(three.outbox);
    await smtp.waitForMessages(12);
    await sleep(300);

    const recipients = smtp.messages.flatMap((message) => message.to).sort();
    expect(recipients).toEqual(Array.from({ length: 12 }, (_, index) => `guest${index}@pair.example`).sort());
  });

  it("drains a backlog without waiting for the next poll", async () => {
    const smtp = await peer();
    const server = await start({ env: { SMTP_URL: smtp.url }, dispatchEmail: false, outbox: { ...FAST_OUTBOX, pollIntervalMs: 60_000, batchSize: 2 } });
    const admin = await testUser("admin@backlog.example");
    await createTenant(server, admin, "backlog");
    for (let index = 0; index < 9; index += 1) await invite(server, admin, "backlog", `guest${index}@backlog.example`);

    server.outbox.start();
    await smtp.waitForMessages(9, 10_000);

    expect(smtp.messages).toHaveLength(9);
  });

  it("writes an .eml file and logs the link without SMTP", async () => {
    const { lines, logger } = logCapture();
    const server = await start({ logger });
    const admin = await testUser("admin@files.example");
    await createTenant(server, admin, "files");

    await invite(server, admin, "files", "reader@files.example");
    await waitFor(async () => (await outboxRow(server, "reader@files.example")).sent_at !== null, "the row to be marked sent");

    const row = await outboxRow(server, "reader@files.example");
    const files = await readdir(join(server.dataDir, "outbox"));
    expect(files).toEqual([`${row.id}.eml`]);
    const eml = unfold(await readFile(join(server.dataDir, "outbox", `${row.id}.eml`), "utf8"));
    expect(eml).toMatch(/^To: reader@files\.example$/m);
    expect(eml).toMatch(/^Message-ID: </m);
    const ticket = LINK.exec(eml)?.[1] as string;
    const linkLines = lines.filter((line) => line.includes(ticket));
    expect(linkLines).toHaveLength(1);
    expect(JSON.parse(linkLines[0] as string)).toMatchObject({ msg: "email written to the outbox folder", link: `https://fruxon.test/invitations/${ticket}` });
  });

  it("enqueues a dedupe key once", async () => {
    const server = await start({ dispatchEmail: false });
    const email = { subject: "s", text: "t", html: "<p>t</p>" };
    const entry = { kind: "test", tenantId: null, recipient: "dedupe@example.com", email, link: null, dedupeKey: "test:dedupe", now: Date.now() };

    const first = await enqueueEmail(server.context.db, entry);
    const second = await enqueueEmail(server.context.db, entry);

    expect(first).toBe(true);
    expect(second).toBe(false);
    const rows = await server.context.db.selectFrom("outbox").select("id").where("dedupe_key", "=", "test:dedupe").execute();
    expect(rows).toHaveLength(1);
  });
});
