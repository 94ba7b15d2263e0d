import { describe, expect, it } from "vitest";

import { ProblemError, uploadFile } from "../src/index.js";
import { json, problem, testClient } from "./helpers.js";

const LINK = { fileId: "0b7c7e4e-4c55-4a53-9d4a-2a3c1c1f1a10", fileType: "text/csv", sizeBytes: 11, createdAt: 1 };

async function readParts(request: { headers: Headers; body: string }) {
  const form = await new Request("http://parse.test", { method: "POST", headers: request.headers, body: request.body }).formData();
  return form.get("file") as File;
}

describe("uploadFile", () => {
  it("sends multipart/form-data with the runtime's boundary", async () => {
    const { client, sent } = testClient([json(LINK, { status: 201 })]);

    const link = await uploadFile(client, { tenant: "acme", file: new File(["id,email\n"], "users.csv", { type: "text/csv" }) });

    expect(link).toEqual(LINK);
    expect(sent[0]?.url).toBe("https://api.fruxon.test/v1/tenants/acme/storage");
    expect(sent[0]?.headers.get("content-type")).toMatch(/^multipart\/form-data; boundary=\S+$/);
    const part = await readParts(sent[0]!);
    expect(part.name).toBe("users.csv");
    expect(part.type).toBe("text/csv");
    expect(await part.text()).toBe("id,email\n");
  });

  it("names a Blob with the given filename", async () => {
    const { client, sent } = testClient([json(LINK, { status: 201 })]);

    await uploadFile(client, { tenant: "acme", file: new Blob(["x"], { type: "text/plain" }), filename: "note.txt" });

    expect((await readParts(sent[0]!)).name).toBe("note.txt");
  });

  it("re-sends the same multipart bytes after a token refresh", async () => {
    let refreshes = 0;
    const { client, sent } = testClient([problem(401), json(LINK, { status: 201 })], {
      token: undefined,
      getToken: ({ forceRefresh }) => (forceRefresh ? `fresh-${++refreshes}` : "stale"),
    });

    await uploadFile(client, { tenant: "acme", file: new Blob(["payload"]) });

    expect(sent).toHaveLength(2);
    expect(sent[1]?.body).toBe(sent[0]?.body);
    expect(sent[1]?.headers.get("content-type")).toBe(sent[0]?.headers.get("content-type"));
  });

  it("throws ProblemError for 413", async () => {
    const { client } = testClient([problem(413, { title: "Payload too large", code: "PAYLOAD_TOO_LARGE" })]);

    await expect(uploadFile(client, { tenant: "acme", file: new Blob(["x"]) })).rejects.toSatisfy(
      (error: unknown) => error instanceof ProblemError && error.status === 413,
    );
  });

  it("rejects a file that is not a Blob", async () => {
    const { client } = testClient([]);

    await expect(uploadFile(client, { tenant: "acme", file: "text" as unknown as Blob })).rejects.toThrow(/file must be a Blob/);
  });
});
