/** A logger with pino's call shape, `logger.warn(details, message)`; `console` fits as well. */
export interface Logger {
  debug(details: Record<string, unknown>, message: string): void;
  info(details: Record<string, unknown>, message: string): void;
  warn(details: Record<string, unknown>, message: string): void;
  error(details: Record<string, unknown>, message: string): void;
}

export type LogLevel = "debug" | "info" | "warn" | "error" | "off";

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, off: 100 };

const REDACTED_HEADERS = new Set(["authorization", "proxy-authorization", "cookie", "set-cookie"]);

/** A logger that drops the entries below `level`, so nothing is formatted for a disabled level. */
export interface GatedLogger {
  enabled(level: Exclude<LogLevel, "off">): boolean;
  log(level: Exclude<LogLevel, "off">, details: Record<string, unknown>, message: string): void;
}

export function createGatedLogger(logger: Logger | undefined, level: LogLevel): GatedLogger {
  const threshold = logger === undefined ? LEVELS.off : LEVELS[level];
  if (threshold === undefined) {
    throw new TypeError(`createFruxonClient: logLevel must be one of ${Object.keys(LEVELS).join(", ")}, got "${level}"`);
  }
  return {
    enabled: (entryLevel) => LEVELS[entryLevel] >= threshold,
    log(entryLevel, details, message) {
      if (logger !== undefined && LEVELS[entryLevel] >= threshold) {
        logger[entryLevel](details, message);
      }
    },
  };
}

/** Copies headers into a plain object for a log entry, with credentials replaced by "[redacted]". */
export function redactHeaders(headers: Headers): Record<string, string> {
  const copy: Record<string, string> = {};
  headers.forEach((value, name) => {
    copy[name] = REDACTED_HEADERS.has(name) ? "[redacted]" : value;
  });
  return copy;
}
