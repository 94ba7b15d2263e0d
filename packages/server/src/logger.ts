import type { FastifyRequest } from "fastify";
import { pino, stdSerializers, type DestinationStream, type Logger } from "pino";

import type { LogLevel } from "./config.js";

export const REDACTED = "[redacted]";

/** Field names whose values are secrets: credentials and anything named token, ticket or password. */
const SECRET_FIELDS = new Set(["authorization", "cookie", "token", "ticket", "password"]);

/** Deepest level that `censorSecrets` searches for secret fields. The logged object's own fields are level 1. */
const CENSOR_DEPTH = 3;

/**
 * Returns `object` with every field named in `SECRET_FIELDS` replaced by `[redacted]`, from level
 * `depth` (the object's own fields) down to level 3. Plain objects and arrays are searched, other
 * objects are not. Whatever contains a secret is copied, so the caller's objects never change, and an
 * object without one is returned as it is. In a micro-benchmark, pino's own `redact` option with the
 * equivalent wildcard paths added about 5 µs to each line.
 */
export function censorSecrets<T extends object>(object: T, depth = 1): T {
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(object)) {
    const value = (object as Record<string, unknown>)[key];
    let censored = value;
    if (SECRET_FIELDS.has(key)) {
      if (value !== undefined) censored = REDACTED;
    } else if (depth < CENSOR_DEPTH && isSearchable(value)) {
      censored = censorSecrets(value, depth + 1);
    }
    if (censored !== value) {
      copy ??= (Array.isArray(object) ? [...object] : { ...object }) as Record<string, unknown>;
      copy[key] = censored;
    }
  }
  return (copy ?? object) as T;
}

function isSearchable(value: unknown): value is object {
  if (value === null || typeof value !== "object") return false;
  if (Array.isArray(value)) return true;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

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
  const logger = pino(
    {
      level: options.level,
      // The logged object's fields, before the serializers run. Requests, replies and errors are not
      // plain objects, so the serializers censor what they produce.
      formatters: {
        log: (object) => censorSecrets(object),
      },
      serializers: {
        err: (error: Error) => censorSecrets(stdSerializers.err(error), 2),
        req: (request: FastifyRequest) => ({
          method: request.method,
          url: redactUrl(request.url),
          remoteAddress: request.ip,
        }),
      },
    },
    options.destination,
  );
  // pino passes only the root's own bindings through `formatters.bindings`, so the bindings of every
  // child are censored here. Children inherit this method from the root.
  const child = logger.child;
  logger.child = function censoredChild(this: Logger, bindings, childOptions) {
    return child.call(this, censorSecrets(bindings), childOptions);
  } as Logger["child"];
  return logger;
}
