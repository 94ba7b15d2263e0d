#!/usr/bin/env node
// Serves the benchmark's baseline: a bare Fastify app that responds to the benchmark's three requests with
// fixed JSON (the bodies the real server sent), without authentication, validation or a database.
// With --log it also logs each request as Fastify does by default (pino, two lines at info, to stdout).
// Usage: node bench/bare-fastify.mjs <fixtures.json> <port> [--log]
import { readFileSync } from "node:fs";

import Fastify from "fastify";

const [fixturesPath, portText] = process.argv.slice(2).filter((argument) => argument !== "--log");
const logRequests = process.argv.includes("--log");
if (fixturesPath === undefined || portText === undefined || process.argv.includes("--help")) {
  console.error(
    "Usage: node bench/bare-fastify.mjs <fixtures.json> <port> [--log]\nServes the fixed user and page JSON from the fixtures file on 127.0.0.1:<port>.\n--log logs each request with Fastify's default pino logger at info.",
  );
  process.exit(fixturesPath === undefined ? 2 : 0);
}
const fixtures = JSON.parse(readFileSync(fixturesPath, "utf8"));
const json = "application/json; charset=utf-8";

const app = Fastify({ logger: logRequests ? { level: "info" } : false });
app.get("/v1/tenants/:tenant/users/:user", async (_request, reply) => reply.type(json).send(fixtures.user));
app.get("/v1/tenants/:tenant/users", async (_request, reply) => reply.type(json).send(fixtures.page));
app.patch("/v1/tenants/:tenant/users/:user", async (_request, reply) => reply.type(json).send(fixtures.user));

await app.listen({ host: "127.0.0.1", port: Number(portText) });
console.log(`bare fastify listening on ${portText}`);
for (const signal of ["SIGTERM", "SIGINT"]) process.once(signal, () => void app.close().then(() => process.exit(0)));
