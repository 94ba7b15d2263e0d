import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

import type { Middleware } from "openapi-fetch";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";

import { AbortError, createFruxonClient, TimeoutError, uploadFile } from "../src/index.js";

// The client with the runtime's own fetch against a node:http server on loopback: what the server
// receives on the wire, and how timeouts and aborts end a real connection.

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

let server: Server;
let baseUrl: string;
const received: Received[] = [];
let respond: (request: Received, index: number) => { status: number; body?: string; headers?: Record<string, string> } | "hang";

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const entry = { method: request.method ?? "", url: request.url ?? "", headers: request.headers, body: Buffer.concat(chunks).toString("latin1") };
      received.push(entry);
      const answer = respond(entry, received.length - 1);
      if (answer === "hang") {
        return;
      }
      response.writeHead(answer.status, { "content-type": "application/json", ...answer.headers });
      response.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  received.length = 0;
  respond = () => ({ status: 200, body: "{}" });
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("on a loopback server", () => {
  it("sends an encoded id as one path segment", async () => {
    const client = createFruxonClient({ baseUrl, token: "loopback-token" });

    await client.GET("/v1/tenants/{tenant}/users/{user}", { params: { path: { tenant: "a/b?c#d", user: "100% sure" } } });

    expect(received[0]?.url).toBe("/v1/tenants/a%2Fb%3Fc%23d/users/100%25%20sure");
    expect(received[0]?.headers.authorization).toBe("Bearer loopback-token");
    expect(received[0]?.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("sends a JSON body with Content-Length", async () => {
    const client = createFruxonClient({ baseUrl });

    await client.POST("/v1/tenants", { body: { slug: "acme", displayName: "Acme" } });

    expect(received[0]?.headers["content-type"]).toBe("application/json");
    expect(received[0]?.headers["content-length"]).toBe(String(received[0]?.body.length));
    expect(received[0]?.headers["transfer-encoding"]).toBeUndefined();
    expect(JSON.parse(received[0]?.body ?? "")).toEqual({ slug: "acme", displayName: "Acme" });
  });

  it("re-sends the same body after a retryable status", async () => {
    respond = (_request, index) => (index === 0 ? { status: 503, headers: { "retry-after": "0" }, body: "" } : { status: 202, body: "{}" });
    const client = createFruxonClient({ baseUrl });

    const result = await client.POST("/v1/tenants/{tenant}/users:batchInvite", {
      params: { path: { tenant: "acme" }, header: { "Idempotency-Key": "k1" } },
      body: { invitations: [{ email: "ada@example.com", role: "ADMIN" }] },
    });

    expect(result.response.status).toBe(202);
    expect(received).toHaveLength(2);
    expect(received[1]?.body).toBe(received[0]?.body);
    expect(received[1]?.headers["x-request-id"]).toBe(received[0]?.headers["x-request-id"]);
  });

  it("uploads multipart bytes that the server can split", async () => {
    const client = createFruxonClient({ baseUrl, getToken: () => "t" });
    respond = () => ({ status: 201, body: JSON.stringify({ fileId: "f", fileType: "text/csv", sizeBytes: 9, createdAt: 1 }) });

    await uploadFile(client, { tenant: "acme", file: new Blob(["id,email\n"], { type: "text/csv" }), filename: "users.csv" });

    const contentType = received[0]?.headers["content-type"] ?? "";
    const boundary = /boundary=(.+)$/.exec(contentType)?.[1];
    expect(contentType).toMatch(/^multipart\/form-data; boundary=/);
    expect(received[0]?.body).toContain(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="users.csv"`);
    expect(received[0]?.body).toContain("Content-Type: text/csv\r\n\r\nid,email\n");
  });

  it("times out a hanging server", async () => {
    respond = () => "hang";
    const client = createFruxonClient({ baseUrl, timeoutMs: 200, maxRetries: 0 });

    await expect(client.GET("/v1/tenants")).rejects.toBeInstanceOf(TimeoutError);
  });

  it("aborts a hanging request for the caller", async () => {
    respond = () => "hang";
    const client = createFruxonClient({ baseUrl });
    const controller = new AbortController();

    const call = client.GET("/v1/tenants", { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);

    await expect(call).rejects.toBeInstanceOf(AbortError);
  });

  it("builds no Request without middleware", async () => {
    const builtIn = globalThis.fetch;
    const seen: [unknown, RequestInit | undefined][] = [];
    let built = 0;
    vi.stubGlobal("fetch", (input: unknown, init?: RequestInit) => {
      seen.push([input, init]);
      return builtIn(input as string, init);
    });
    vi.stubGlobal(
      "Request",
      class extends Request {
        constructor(...args: ConstructorParameters<typeof Request>) {
          super(...args);
          built++;
        }
      },
    );
    const client = createFruxonClient({ baseUrl, token: "loopback-token", timeoutMs: 5_000 });

    await client.GET("/v1/tenants/{tenant}", { params: { path: { tenant: "acme" } }, cache: "no-store" });
    expect(built).toBe(0);
    client.use({ onRequest: () => undefined });
    await client.GET("/v1/tenants/{tenant}", { params: { path: { tenant: "acme" } } });
    expect(built).toBe(1);

    expect(seen.map(([input]) => input)).toEqual([`${baseUrl}/v1/tenants/acme`, `${baseUrl}/v1/tenants/acme`]);
    const [, init] = seen[0]!;
    expect(init?.signal).toBeInstanceOf(AbortSignal);
    expect(init?.cache).toBe("no-store");
    expect(received[0]?.headers.authorization).toBe("Bearer loopback-token");
    expect(received[0]?.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("middleware on a loopback server", () => {
  it("receives real Requests and sends what it changed", async () => {
    const client = createFruxonClient({ baseUrl, token: "loopback-token" });
    const seen: unknown[] = [];
    client.use({
      onRequest({ request }) {
        seen.push(request);
        request.headers.set("x-tenant-hint", "acme");
      },
    });

    const result = await client.POST("/v1/tenants", { body: { slug: "acme", displayName: "Acme" } });

    expect(seen[0]).toBeInstanceOf(Request);
    expect(received[0]?.headers["x-tenant-hint"]).toBe("acme");
    expect(received[0]?.headers.authorization).toBe("Bearer loopback-token");
    expect(received[0]?.headers["x-request-id"]).toBe(result.requestId);
    expect(JSON.parse(received[0]?.body ?? "")).toEqual({ slug: "acme", displayName: "Acme" });
  });

  it("sends a Request that middleware returned", async () => {
    const client = createFruxonClient({ baseUrl });
    client.use({ onRequest: ({ request }) => new Request(request.url.replace("/v1/tenants", "/v1/tenants/acme"), request) });

    await client.GET("/v1/tenants");

    expect(received[0]?.url).toBe("/v1/tenants/acme");
  });

  it("counts middleware across use and eject", async () => {
    const client = createFruxonClient({ baseUrl });
    const kinds: boolean[] = [];
    const record: Middleware = {
      onRequest({ request }) {
        kinds.push(request instanceof Request);
      },
    };
    client.use(record);
    client.use(record);
    client.eject(record);
    client.eject({ onResponse: () => undefined }); // never registered, so nothing is removed

    await client.GET("/v1/tenants");
    client.eject(record);
    client.eject(record);
    await client.GET("/v1/tenants");
    await client.GET("/v1/tenants", { middleware: [record] });

    expect(kinds).toEqual([true, true]);
    expect(received).toHaveLength(3);
  });
});
