import { randomUUID } from "node:crypto";

import multipart from "@fastify/multipart";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";

import { createTokenVerifier, type TokenVerifier } from "./auth/verifier.js";
import type { Config } from "./config.js";
import { sendProblem, toProblemError } from "./contract/errors.js";
import type { Handlers } from "./contract/handler-types.js";
import { createMethodLookup, registerOperations } from "./contract/router.js";
import { listOperations, loadSpec, type OperationSpec } from "./contract/spec.js";
import { createLogger } from "./logger.js";
import { ProblemError } from "./problems.js";
import { registerRateLimit } from "./rate-limit.js";
import { DEFAULT_CONSOLE_DIR, DEFAULT_DOCS_DIR, registerStaticRoutes, sendConsolePage, wantsConsolePage } from "./static.js";

declare module "fastify" {
  interface FastifyInstance {
    /** Every route registered on the app, in registration order, with find-my-way paths. */
    registeredRoutes: readonly RegisteredRoute[];
  }
}

export interface RegisteredRoute {
  method: string;
  url: string;
}

export interface BuildAppOptions {
  config: Config;
  handlers: Handlers;
  /** A pino logger; defaults to one at `config.logLevel` on stdout. */
  logger?: FastifyBaseLogger;
  /** Check run before the readiness handler; when it returns false the response is 503 `UNAVAILABLE`. */
  readiness?: () => Promise<boolean>;
  /** Runs when the app closes, after in-flight requests have finished. */
  onClose?: () => Promise<void>;
  /** Overrides the verifier built from `config`. */
  verifier?: TokenVerifier;
  /** Folder of the built console; defaults to `apps/console/dist`, null serves none. */
  consoleDir?: string | null;
  /** Folder of the built API reference; defaults to `apps/docs/dist`, null serves none. */
  docsDir?: string | null;
  /** Operations to serve; defaults to every operation of the bundled spec. */
  operations?: OperationSpec[];
}

/**
 * Request log lines: one line per request at info, when it completes, with the method and URL. Fastify
 * puts those on a separate "incoming request" line, which is logged at debug here.
 */
class RequestLogController extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ req: request }, "incoming request");
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, "request errored");
    else reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, "request completed");
  }
}

/** Returns the id of a request: its valid `x-request-id` header (1–128 visible ASCII characters), else a new UUID. */
export function requestIdOf(header: string | string[] | undefined): string {
  return typeof header === "string" && /^[\x21-\x7e]{1,128}$/.test(header) ? header : randomUUID();
}

/**
 * Builds the Fastify app for the spec: one route per operation with authentication, validation against the
 * spec's schemas and serialization through the declared response schemas. Every error response is an
 * `application/problem+json` document. The app does not listen, so call `listen()` or `inject()`.
 */
export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const { config } = options;
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const operations = options.operations ?? listOperations(loadSpec());
  const verifier = options.verifier ?? createTokenVerifier(config);

  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: config.bodyLimitBytes,
    requestIdHeader: false,
    logController: new RequestLogController({ requestIdLogLabel: "requestId" }),
    genReqId: (request) => requestIdOf(request.headers["x-request-id"]),
    exposeHeadRoutes: false,
    // Fastify's own 503 while closing is plain JSON, so the hook below sends a problem document instead.
    return503OnClosing: false,
    frameworkErrors: (error, request, reply) => {
      request.log.info({ code: error.code }, "request rejected by the router");
      void sendProblem(request, reply, toProblemError(error, request.id));
    },
  }) as unknown as FastifyInstance;

  const routes: RegisteredRoute[] = [];
  app.decorate("registeredRoutes", routes);
  app.addHook("onRoute", (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url ?? route.path });
  });

  // content types: JSON for bodies and multipart for uploads, any other type is rejected with 415
  app.removeContentTypeParser("text/plain");
  // An empty JSON body counts as no body, so operations without one accept it and the validator names a missing one.
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    if (body === "") {
      done(null, undefined);
      return;
    }
    parseJson(request, body.toString(), done);
  });
  await app.register(multipart, {
    limits: { fileSize: config.uploadLimitBytes, files: 1, fields: 10, parts: 11 },
    throwFileSizeLimit: true,
  });

  // per-request state and headers
  let closing = false;
  app.addHook("preClose", async () => {
    closing = true;
  });
  // Callback-style hooks: they run on every request and cost less than async ones.
  app.addHook("onRequest", (request, reply, done) => {
    if (!closing) {
      done();
      return;
    }
    reply.header("connection", "close");
    done(new ProblemError("UNAVAILABLE", "The server is shutting down; retry the request.", { headers: { "Retry-After": "1" } }));
  });
  app.decorateRequest("caller", null);
  app.addHook("onSend", (request, reply, payload, done) => {
    reply.header("x-request-id", request.id);
    if (request.routeOptions.config.authenticated === true) reply.header("cache-control", "no-store");
    done(null, payload);
  });

  // errors
  app.setErrorHandler((error, request, reply) => {
    const problem = toProblemError(error, request.id);
    if (problem.status >= 500) {
      request.log.error({ err: problem.code === "INTERNAL" ? error : (problem.cause ?? problem), code: problem.code }, "request failed");
    } else {
      request.log.info({ code: problem.code, status: problem.status }, "request rejected");
    }
    return sendProblem(request, reply, problem);
  });

  // routes
  await registerRateLimit(app, config);
  registerOperations(app, {
    operations,
    handlers: options.handlers,
    verifier,
    uploadLimitBytes: config.uploadLimitBytes,
    ...(options.readiness === undefined ? {} : { readiness: options.readiness }),
  });
  const { consoleServed } = await registerStaticRoutes(app, {
    consoleDir: options.consoleDir === undefined ? DEFAULT_CONSOLE_DIR : options.consoleDir,
    docsDir: options.docsDir === undefined ? DEFAULT_DOCS_DIR : options.docsDir,
  });

  // unknown routes: 405 for a spec path with another method, the console for its client routes, else 404
  const methodsFor = createMethodLookup(operations);
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split("?", 1)[0] ?? "/";
    const allowed = methodsFor(path);
    if (allowed.length > 0) {
      const problem = new ProblemError("METHOD_NOT_ALLOWED", `${request.method} is not allowed on ${path}; use ${allowed.join(" or ")}.`, {
        headers: { Allow: allowed.join(", ") },
      });
      sendProblem(request, reply, problem);
    } else if (consoleServed && wantsConsolePage(request)) {
      sendConsolePage(reply);
    } else {
      sendProblem(request, reply, new ProblemError("NOT_FOUND", `No route matches ${request.method} ${path}; the API's paths are listed at /openapi.json.`));
    }
  });

  if (options.onClose !== undefined) {
    const onClose = options.onClose;
    app.addHook("onClose", async () => onClose());
  }
  return app;
}
