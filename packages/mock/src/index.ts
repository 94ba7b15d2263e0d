export { startMock } from "./start-mock.js";
export type { MockExit, MockServer, StartMockOptions } from "./start-mock.js";
export { formatViolation } from "./violations.js";
export type { PrismViolation } from "./violations.js";
export { resolveBundledSpec } from "./resolve.js";
