import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { bundlePath } from "../src/contract/spec.js";
import { startTestApp, type TestApp } from "./fixtures/test-app.js";

const html = { accept: "text/html,application/xhtml+xml" };

describe("spec and docs routes", () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await startTestApp();
  });

  afterAll(async () => {
    await test.close();
  });

  it("serves the bundle as JSON and YAML", async () => {
    const json = await test.app.inject({ method: "GET", url: "/openapi.json" });
    const yaml = await test.app.inject({ method: "GET", url: "/openapi.yaml" });

    expect(json.statusCode).toBe(200);
    expect(json.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(json.body).toBe(readFileSync(bundlePath("json"), "utf8"));
    expect(yaml.statusCode).toBe(200);
    expect(yaml.headers["content-type"]).toBe("application/yaml; charset=utf-8");
    expect(yaml.body).toBe(readFileSync(bundlePath("yaml"), "utf8"));
  });

  it("docs without a build is 404 saying how to build", async () => {
    const response = await test.app.inject({ method: "GET", url: "/docs" });

    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: "NOT_FOUND", detail: expect.stringContaining("pnpm docs") });
  });

  it("serves no console when it is not built", async () => {
    const response = await test.app.inject({ method: "GET", url: "/invitations/abc", headers: html });

    expect(response.statusCode).toBe(404);
    expect(response.headers["content-type"]).toMatch(/^application\/problem\+json/);
  });
});

describe("built console and docs", () => {
  let test: TestApp;
  let root: string;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "fruxon-static-"));
    mkdirSync(join(root, "console", "assets"), { recursive: true });
    mkdirSync(join(root, "docs"));
    writeFileSync(join(root, "console", "index.html"), "<!doctype html><title>Fruxon console</title>");
    writeFileSync(join(root, "console", "assets", "app.js"), "console.log('app');");
    writeFileSync(join(root, "docs", "index.html"), "<!doctype html><title>Fruxon API reference</title>");
    test = await startTestApp({ consoleDir: join(root, "console"), docsDir: join(root, "docs") });
  });

  afterAll(async () => {
    await test.close();
    rmSync(root, { recursive: true, force: true });
  });

  it("serves the docs page", async () => {
    const response = await test.app.inject({ method: "GET", url: "/docs" });

    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(response.body).toContain("Fruxon API reference");
  });

  it("serves the console's index and assets", async () => {
    const index = await test.app.inject({ method: "GET", url: "/", headers: html });
    const asset = await test.app.inject({ method: "GET", url: "/assets/app.js" });

    expect(index.statusCode).toBe(200);
    expect(index.body).toContain("Fruxon console");
    expect(asset.statusCode).toBe(200);
    expect(asset.headers["content-type"]).toMatch(/javascript/);
  });

  it("answers client routes with the console's index", async () => {
    const response = await test.app.inject({ method: "GET", url: "/invitations/some-ticket", headers: html });

    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toMatch(/^text\/html/);
    expect(response.body).toContain("Fruxon console");
  });

  it("never falls back for /v1 paths", async () => {
    const response = await test.app.inject({ method: "GET", url: "/v1/unknown", headers: html });

    expect(response.statusCode).toBe(404);
    expect(response.json().code).toBe("NOT_FOUND");
  });

  it("keeps 405 for API paths under the console's wildcard route", async () => {
    const response = await test.app.inject({ method: "GET", url: "/v1/tenants/acme/users:invite", headers: html });

    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe("POST");
  });

  it("a missing asset is 404 for clients that do not want HTML", async () => {
    const response = await test.app.inject({ method: "GET", url: "/assets/missing.js", headers: { accept: "*/*" } });

    expect(response.statusCode).toBe(404);
    expect(response.json().code).toBe("NOT_FOUND");
  });

  it("does not serve files outside the console folder", async () => {
    const response = await test.app.inject({ method: "GET", url: "/..%2fdocs%2findex.html" });

    expect(response.statusCode).not.toBe(200);
    expect(response.body).not.toContain("Fruxon API reference");
  });
});
