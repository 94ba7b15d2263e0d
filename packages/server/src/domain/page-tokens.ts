import { createHash, createHmac, timingSafeEqual } from "node:crypto";

import { ProblemError } from "../problems.js";

/** The position after the last item of a page, in the list's order `(created_at, id)`. */
export type Cursor = [createdAt: number, id: string];

interface Payload {
  /** The list the token belongs to, such as `users`. */
  l: string;
  /** Digest of the list's scope and filters, so a token only continues the query it was issued for. */
  f: string;
  k: Cursor;
  /** Expiry, epoch milliseconds. */
  e: number;
}

const TOKEN_LIFETIME_MS = 24 * 60 * 60 * 1000;
const INVALID_DETAIL = "The page token was altered, has expired or belongs to another list or other filters; request the first page again without pageToken.";

/**
 * Opaque, tamper-proof page tokens: a base64url JSON payload and a base64url HMAC-SHA256 of it, joined by
 * a dot. A token is bound to its list and to that list's scope and filters, and expires after 24 hours.
 */
export class PageTokenCodec {
  readonly #secret: Buffer;
  readonly #clock: () => number;

  constructor(secret: string, clock: () => number) {
    this.#secret = Buffer.from(secret, "utf8");
    this.#clock = clock;
  }

  /** Issues the token that continues `list` (scoped and filtered by `binding`) after `cursor`. */
  encode(list: string, binding: Record<string, unknown>, cursor: Cursor): string {
    const payload: Payload = { l: list, f: digest(binding), k: cursor, e: this.#clock() + TOKEN_LIFETIME_MS };
    const body = Buffer.from(JSON.stringify(payload), "utf8").toString("base64url");
    return `${body}.${this.#sign(body)}`;
  }

  /** Returns the cursor of a token issued by `encode` for the same list and binding; otherwise throws 400 `INVALID_PAGE_TOKEN`. */
  decode(token: string, list: string, binding: Record<string, unknown>): Cursor {
    const [body, signature, extra] = token.split(".");
    if (body === undefined || signature === undefined || extra !== undefined) throw invalid();

    const expected = Buffer.from(this.#sign(body), "utf8");
    const given = Buffer.from(signature, "utf8");
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw invalid();

    let payload: Payload;
    try {
      payload = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as Payload;
    } catch {
      throw invalid();
    }
    if (payload.l !== list || payload.f !== digest(binding) || payload.e < this.#clock()) throw invalid();
    if (!Array.isArray(payload.k) || typeof payload.k[0] !== "number" || typeof payload.k[1] !== "string") throw invalid();
    return payload.k;
  }

  #sign(body: string): string {
    return createHmac("sha256", this.#secret).update(body).digest("base64url");
  }
}

function invalid(): ProblemError {
  return new ProblemError("INVALID_PAGE_TOKEN", INVALID_DETAIL, { errors: [{ pointer: "/query/pageToken", detail: INVALID_DETAIL }] });
}

/** Hashes the binding into a stable digest, with keys sorted and undefined values left out. */
function digest(binding: Record<string, unknown>): string {
  const entries = Object.entries(binding)
    .filter(([, value]) => value !== undefined)
    .sort(([left], [right]) => compareKeys(left, right));
  return createHash("sha256").update(JSON.stringify(entries)).digest("base64url").slice(0, 22);
}

function compareKeys(left: string, right: string): number {
  if (left < right) return -1;
  if (left > right) return 1;
  return 0;
}

/** Page size used when the request gives none. */
export const DEFAULT_PAGE_SIZE = 25;
