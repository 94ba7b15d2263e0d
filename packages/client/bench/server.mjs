// Loopback HTTP server for the request-overhead benchmark. Runs in its own process so its CPU time
// does not count against the clients; prints its port on stdout, then serves until killed.
import { createServer } from "node:http";

const tenant = JSON.stringify({
  id: "7d9f8a52-3c1e-4b6a-9f0d-2e5c8b1a4f37",
  slug: "acme",
  displayName: "Acme Corporation",
  createdAt: 1764806400000,
  modifiedAt: 1764806400000,
});

const server = createServer((request, response) => {
  response.writeHead(200, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(tenant),
    "x-request-id": request.headers["x-request-id"] ?? "none",
  });
  response.end(tenant);
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${server.address().port}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
