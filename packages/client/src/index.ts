export { createFruxonClient } from "./client.js";
export type { FruxonClientOptions } from "./client.js";
export { AbortError, FruxonError, NetworkError, OperationFailedError, ProblemError, TimeoutError } from "./errors.js";
export type { Logger, LogLevel } from "./logger.js";
export { paginate } from "./paginate.js";
export type { ListInit } from "./paginate.js";
export type { FetchFunction, GetToken } from "./transport.js";
export type {
  AnyFruxonClient,
  CallOptions,
  ErrorStatusOf,
  FruxonClient,
  FruxonMethod,
  FruxonResponse,
  ListItem,
  ListPath,
  OperationError,
} from "./types.js";
export { unwrap } from "./unwrap.js";
export type { SuccessData } from "./unwrap.js";
export { uploadFile } from "./upload-file.js";
export type { UploadFileInput } from "./upload-file.js";
export { waitForOperation } from "./wait-for-operation.js";
export type { WaitForOperationOptions } from "./wait-for-operation.js";
