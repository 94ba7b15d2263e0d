import { createReadStream, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import fastifyStatic from "@fastify/static";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

import { bundlePath } from "./contract/spec.js";
import { sendProblem } from "./contract/errors.js";
import { ProblemError } from "./problems.js";

const REPOSITORY_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** Built web console, served at `/` when present. */
export const DEFAULT_CONSOLE_DIR = join(REPOSITORY_ROOT, "apps", "console", "dist");
/** Built API reference, served at `/docs` when present. */
export const DEFAULT_DOCS_DIR = join(REPOSITORY_ROOT, "apps", "docs", "dist");

/** Non-API routes this module registers, for the test that compares the router with the spec. */
export const STATIC_ROUTES = ["GET /openapi.json", "GET /openapi.yaml", "GET /docs"] as const;

export interface StaticOptions {
  /** Folder of the built console; null or a missing folder serves no console. */
  consoleDir: string | null;
  /** Folder of the built docs, read on each request so `pnpm docs` takes effect without a restart. */
  docsDir: string | null;
}

/** Registers `/openapi.json`, `/openapi.yaml`, `/docs` and, when built, the console's files at `/`. */
export async function registerStaticRoutes(app: FastifyInstance, options: StaticOptions): Promise<{ consoleServed: boolean }> {
  const json = readFileSync(bundlePath("json"));
  const yaml = readFileSync(bundlePath("yaml"));

  app.get("/openapi.json", { exposeHeadRoute: false }, async (_request, reply) => reply.type("application/json; charset=utf-8").send(json));
  app.get("/openapi.yaml", { exposeHeadRoute: false }, async (_request, reply) => reply.type("application/yaml; charset=utf-8").send(yaml));

  app.get("/docs", { exposeHeadRoute: false }, async (request, reply) => {
    const page = options.docsDir === null ? undefined : join(options.docsDir, "index.html");
    if (page === undefined || !existsSync(page)) {
      return sendProblem(request, reply, new ProblemError("NOT_FOUND", "The API reference is not built; run `pnpm docs` and reload."));
    }
    return reply.type("text/html; charset=utf-8").send(createReadStream(page));
  });

  const consoleServed = options.consoleDir !== null && existsSync(join(options.consoleDir, "index.html"));
  if (consoleServed && options.consoleDir !== null) {
    // A missing file falls through to the not-found handler, which sends index.html for client routes.
    await app.register(fastifyStatic, { root: options.consoleDir, prefix: "/", wildcard: true, index: ["index.html"] });
  }
  return { consoleServed };
}

/**
 * Decides whether a request that matched no route gets the console's `index.html`, so that client routes
 * such as `/invitations/<ticket>` load the app: GET or HEAD, outside `/v1`, from a client that accepts HTML.
 */
export function wantsConsolePage(request: FastifyRequest): boolean {
  if (request.method !== "GET" && request.method !== "HEAD") return false;
  const path = request.url.split("?", 1)[0] ?? "";
  if (path === "/v1" || path.startsWith("/v1/")) return false;
  return (request.headers.accept ?? "").includes("text/html");
}

/** Sends the console's `index.html`; caching is off so a new build is picked up at once. */
export function sendConsolePage(reply: FastifyReply): FastifyReply {
  return reply.header("cache-control", "no-cache").sendFile("index.html");
}
