#!/usr/bin/env node
// Serves the benchmark's baseline: a bare Fastify app that responds to the benchmark's three requests with
// fixed JSON (the bodies the real server sent), without authentication, validation or a database.
// Usage: node bench/bare-fastify.mjs <fixtures.json> <port>
import { readFileSync } from "node:fs";

import Fastify from "fastify";

const [fixturesPath, portText] = process.argv.slice(2);
if (fixturesPath === undefined || portText === undefined || process.argv.includes("--help")) {
  console.error("Usage: node bench/bare-fastify.mjs <fixtures.json> <port>\nServes the fixed user and page JSON from the fixtures file on 127.0.0.1:<port>.");
  process.exit(fixturesPath === undefined ? 2 : 0);
}
const fixtures = JSON.parse(readFileSync(fixturesPath, "utf8"));
const json = "application/json; charset=utf-8";

const app = Fastify({ logger: false });
app.get("/v1/tenants/:tenant/users/:user", async (_request, reply) => reply.type(json).send(fixtures.user));
app.get("/v1/tenants/:tenant/users", async (_request, reply) => reply.type(json).send(fixtures.page));
app.patch("/v1/tenants/:tenant/users/:user", async (_request, reply) => reply.type(json).send(fixtures.user));

await app.listen({ host: "127.0.0.1", port: Number(portText) });
console.log(`bare fastify listening on ${portText}`);
for (const signal of ["SIGTERM", "SIGINT"]) process.once(signal, () => void app.close().then(() => process.exit(0)));
