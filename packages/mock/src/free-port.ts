import { connect, createServer } from "node:net";

/**
 * Finds a TCP port that is free on `host` by binding port 0 and releasing it.
 * The port can be taken again before the caller binds it, so callers retry on EADDRINUSE.
 */
export function findFreePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        server.close();
        reject(new Error(`Could not read the port bound on ${host}: server.address() returned ${String(address)}`));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

/** Reports whether something accepts TCP connections on host:port, without binding the port itself. */
export function acceptsConnections(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(timeoutMs);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Reports whether host:port can be bound now; only safe before the process that will bind it starts. */
export function canBind(host: string, port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EADDRINUSE" || error.code === "EACCES") {
        resolve(false);
      } else {
        reject(error);
      }
    });
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}
