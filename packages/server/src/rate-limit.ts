import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { Redis } from "ioredis";

import type { Config } from "./config.js";
import { ProblemError } from "./problems.js";

/** Length of a rate-limit window in milliseconds. */
export const RATE_LIMIT_WINDOW_MS = 60_000;

/** Routes that are never rate limited: the liveness and readiness probes. */
const UNLIMITED_ROUTES = new Set(["/healthz", "/readyz"]);

/** How often a Redis connection error is logged at most, in milliseconds. */
const REDIS_ERROR_LOG_INTERVAL_MS = 60_000;

/**
 * Registers the global rate limit: `RATE_LIMIT_PER_MINUTE` requests per caller (the token's `sub`, else the
 * client IP address) per minute. A request past the limit gets 429 `RATE_LIMITED` with `Retry-After`. The health probes are exempt. With
 * `REDIS_URL` the counters are stored in Redis so every process shares them. While Redis is unreachable,
 * requests pass unlimited rather than fail. Must be registered before the routes it applies to.
 *
 * NOTE: the limit runs after authentication (in `preParsing`) so that it can key on the caller, so requests
 * rejected with 401 are not counted.
 */
export async function registerRateLimit(app: FastifyInstance, config: Config): Promise<void> {
  const redis = config.redisUrl === undefined ? undefined : connectRedis(app, config.redisUrl);

  await app.register(rateLimit, {
    global: true,
    max: config.rateLimitPerMinute,
    timeWindow: RATE_LIMIT_WINDOW_MS,
    hook: "preParsing",
    nameSpace: "fruxon-rate-limit:",
    keyGenerator: rateLimitKey,
    skipOnError: true,
    // Load balancers poll the probes often from one address, and a limited probe would take a healthy
    // instance out of service. The spec declares no 429 for them either.
    allowList: (request) => UNLIMITED_ROUTES.has(request.routeOptions.url ?? ""),
    ...(redis === undefined ? {} : { redis }),
    errorResponseBuilder: (_request, context) => {
      const seconds = Math.max(1, Math.ceil(context.ttl / 1000));
      return new ProblemError("RATE_LIMITED", `More than ${context.max} requests in a minute; retry after ${seconds} seconds.`, {
        headers: { "Retry-After": String(seconds) },
      });
    },
  });

  if (redis !== undefined) app.addHook("onClose", async () => void (await redis.quit()));
}

/** Returns the counter key of a request: its caller's subject when authenticated, else its IP address. */
export function rateLimitKey(request: FastifyRequest): string {
  return request.caller === null ? `ip:${request.ip}` : `sub:${request.caller.sub}`;
}

function connectRedis(app: FastifyInstance, url: string): Redis {
  const redis = new Redis(url, { connectTimeout: 1000, maxRetriesPerRequest: 1, enableOfflineQueue: true });
  let lastLogged = 0;
  redis.on("error", (error: Error) => {
    const now = Date.now();
    if (now - lastLogged < REDIS_ERROR_LOG_INTERVAL_MS) return;
    lastLogged = now;
    app.log.warn({ err: error }, "rate-limit Redis connection failed; requests pass unlimited until it recovers");
  });
  return redis;
}
