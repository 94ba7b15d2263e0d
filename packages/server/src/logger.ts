import type { FastifyRequest } from "fastify";
import { pino, stdSerializers, type DestinationStream, type Logger } from "pino";

import type { LogLevel } from "./config.js";

export const REDACTED = "[redacted]";

/** Log paths whose values are secrets: credentials and anything named token, ticket or password. */
export const REDACT_PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  "headers.authorization",
  "headers.cookie",
  "authorization",
  "token",
  "ticket",
  "password",
  "*.token",
  "*.ticket",
  "*.password",
  "*.*.token",
  "*.*.ticket",
  "*.*.password",
];

/** Query parameters whose values are never logged, matched by name. */
const SECRET_NAME = /token|ticket|password|secret/i;

/**
 * Removes secrets from a request URL before it is logged: the invitation ticket in
 * `/v1/invitations/{ticket}` and the value of any query parameter named like a token, ticket or password.
 */
export function redactUrl(url: string): string {
  const [path = "", query] = url.split("?", 2) as [string, string | undefined];
  const safePath = path.replace(/^(\/v1\/invitations\/)[^/?#]+/, `$1${REDACTED}`);
  if (query === undefined) return safePath;

  const safeQuery = query
    .split("&")
    .map((pair) => {
      const [name = ""] = pair.split("=", 1);
      return SECRET_NAME.test(decodeSafely(name)) ? `${name}=${REDACTED}` : pair;
    })
    .join("&");
  return `${safePath}?${safeQuery}`;
}

function decodeSafely(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Creates the server's pino logger. Tests pass a `destination` to capture the output. */
export function createLogger(options: { level: LogLevel; destination?: DestinationStream }): Logger {
  return pino(
    {
      level: options.level,
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      serializers: {
        err: stdSerializers.err,
        req: (request: FastifyRequest) => ({
          method: request.method,
          url: redactUrl(request.url),
          remoteAddress: request.ip,
        }),
      },
    },
    options.destination,
  );
}
