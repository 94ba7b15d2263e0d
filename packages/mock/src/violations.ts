/**
 * A request or response that Prism found to break the spec, read from one line of Prism's log.
 */
export interface PrismViolation {
  /** Prism's severity: `error` breaks the spec, `warning` is advisory (for example an unknown route). */
  severity: "error" | "warning" | "info";
  /** Dotted location such as `response.body.status` or `request.query.pagesize` (Prism lower-cases parameter names). */
  location: string;
  /** Prism's message, such as `Response body must NOT have additional properties; found 'extra'`. */
  message: string;
  /**
   * Method and path of the request that Prism was handling, such as `GET /v1/tenants`.
   * NOTE: best effort. Prism logs the violation without the request, so it is taken from the latest
   * "Request received" line and can name the wrong request when requests overlap.
   */
  request?: string;
}

// Prism 5.14 has no JSON log output: it prints pino records through signale, one per line, as
// `[7:54:35 PM] ›     [VALIDATOR] ✖  error     Violation: response.body.status Response body property ...`.
const ANSI_ESCAPE = /\u001b\[[0-9;]*m/g;
const VIOLATION_LINE = /\b(error|warning|info)\s+Violation: (\S*) (.*)$/;
const REQUEST_RECEIVED_LINE = /\[HTTP SERVER\] (\S+) (\S+) .*\bRequest received$/;
// For some violations Prism sends its own problem response and logs only a summary line that names
// the problem type. These are a response violation under `--errors` (#VIOLATIONS, 500), an invalid
// request for which the spec declares no 400 or 422 (#UNPROCESSABLE_ENTITY, 422), and a request
// without valid credentials in proxy mode with `--errors` (#UNAUTHORIZED, 401). The problem body
// lists the details.
const PROBLEM_SUMMARY_LINE =
  /\[HTTP SERVER\] (\S+) (\S+) .*Request terminated with error: https:\/\/stoplight\.io\/prism\/errors#(VIOLATIONS|UNPROCESSABLE_ENTITY|UNAUTHORIZED): (.*)$/;
const PROBLEM_SUMMARIES: Record<string, { location: string; note: string }> = {
  VIOLATIONS: { location: "response", note: 'Prism sent a 500 problem whose "validation" member lists each violation' },
  UNPROCESSABLE_ENTITY: { location: "request", note: 'Prism sent a 422 problem whose "validation" member lists each violation' },
  UNAUTHORIZED: { location: "request", note: "Prism sent a 401 problem and did not forward the request" },
};

/** Removes terminal colour codes from one line of Prism output. */
export function stripAnsi(line: string): string {
  return line.replace(ANSI_ESCAPE, "");
}

/**
 * Reads Prism log lines in order and collects every violation they report.
 */
export class ViolationCollector {
  readonly #violations: PrismViolation[] = [];
  #currentRequest: string | undefined;

  /** Parses one log line and records the violation it reports, if any. */
  push(rawLine: string): void {
    const line = stripAnsi(rawLine);

    const received = REQUEST_RECEIVED_LINE.exec(line);
    if (received) {
      this.#currentRequest = `${received[1]!.toUpperCase()} ${received[2]!}`;
      return;
    }

    const violation = VIOLATION_LINE.exec(line);
    if (violation) {
      this.#add({
        severity: violation[1] as PrismViolation["severity"],
        location: violation[2] || "request",
        message: violation[3]!,
      });
      return;
    }

    const summary = PROBLEM_SUMMARY_LINE.exec(line);
    if (summary) {
      const { location, note } = PROBLEM_SUMMARIES[summary[3]!]!;
      this.#add({
        severity: "error",
        location,
        message: `${summary[4]!} (${note})`,
        request: `${summary[1]!.toUpperCase()} ${summary[2]!}`,
      });
    }
  }

  /** Returns a copy of the violations collected so far. */
  list(): PrismViolation[] {
    return this.#violations.map((violation) => ({ ...violation }));
  }

  clear(): void {
    this.#violations.length = 0;
  }

  #add(violation: PrismViolation): void {
    const request = violation.request ?? this.#currentRequest;
    this.#violations.push(request === undefined ? violation : { ...violation, request });
  }
}

/** Formats a violation as one readable line, for assertion messages. */
export function formatViolation(violation: PrismViolation): string {
  const where = violation.request === undefined ? "" : ` (${violation.request})`;
  return `${violation.severity} ${violation.location}: ${violation.message}${where}`;
}
