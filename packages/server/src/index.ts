export { createServer } from "./server.js";
export type { Server, ServerOptions } from "./server.js";
export { loadConfig, ConfigError } from "./config.js";
export type { Config } from "./config.js";
export type { ServerContext, Clock } from "./context.js";
export { ProblemError, PROBLEM_TYPES } from "./problems.js";
export type { Handler, HandlerRequest, HandlerResult, Handlers, OperationId, Caller } from "./contract/handler-types.js";
