import { createPublicKey, type JsonWebKey, type KeyObject } from "node:crypto";

import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from "jose";

import type { Config } from "../config.js";
import type { Caller } from "../contract/handler-types.js";
import { ProblemError } from "../problems.js";
import { loadLocalSigningKey } from "./key-store.js";

/** Clock skew allowed on `exp` and `nbf`, in seconds. */
export const CLOCK_TOLERANCE_SECONDS = 30;

export const AUTH_REALM = "fruxon";

/** Verifies bearer tokens and returns the caller they name. */
export interface TokenVerifier {
  /** Source of the verification keys: `jwks`, `public-key` or `local`. */
  readonly keySource: "jwks" | "public-key" | "local";
  /** Verifies an `Authorization` header value. Throws `ProblemError` `UNAUTHENTICATED` when it is not a valid token. */
  authenticate(authorization: string | undefined): Promise<Caller>;
}

type VerificationKey = KeyObject | JWTVerifyGetKey;

/**
 * Creates the verifier from the configuration. Keys come from `AUTH_JWKS_URL`, else `AUTH_PUBLIC_KEY`, else the
 * embedded Ed25519 key under `${dataDir}/keys` (created on first use, the one `pnpm run token` signs with).
 * Only the configured asymmetric algorithms are accepted, so `alg: none` and HMAC tokens are always rejected.
 */
export function createTokenVerifier(config: Config): TokenVerifier {
  const { key, keySource } = loadVerificationKey(config);
  const options = {
    algorithms: config.authAlgorithms,
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
    requiredClaims: ["exp", "sub"],
    ...(config.authIssuer === undefined ? {} : { issuer: config.authIssuer }),
    ...(config.authAudience === undefined ? {} : { audience: config.authAudience }),
  };

  const verified = new VerifiedTokenCache();
  return {
    keySource,
    async authenticate(authorization) {
      const token = parseBearer(authorization);
      const cached = verified.get(token);
      if (cached !== undefined) return { ...cached };
      let payload: JWTPayload;
      try {
        // The two calls differ only in the key's type, which jose's overloads keep apart.
        payload = typeof key === "function" ? (await jwtVerify(token, key, options)).payload : (await jwtVerify(token, key, options)).payload;
      } catch (error) {
        throw verificationProblem(error);
      }
      const caller = callerFromClaims(payload);
      verified.set(token, caller, payload.exp);
      return { ...caller };
    },
  };
}

/** How long a verified token is trusted without checking its signature again, in milliseconds. */
export const VERIFIED_TOKEN_TTL_MS = 60_000;
const VERIFIED_TOKEN_CACHE_SIZE = 10_000;

/**
 * Remembers tokens whose signature and claims were verified. A client that sends the same token on
 * every request then pays for one signature check per minute instead of one per request; in a profile
 * of the server benchmark that check was about a quarter of a simple read's CPU time. An entry ends at
 * the token's `exp` (without clock tolerance) or after `VERIFIED_TOKEN_TTL_MS`, whichever comes first,
 * so a key removed from the key set stops working within that time. Only successes are kept, keyed by
 * the whole token, signature included.
 */
class VerifiedTokenCache {
  readonly #entries = new Map<string, { caller: Caller; until: number }>();

  get(token: string): Caller | undefined {
    const entry = this.#entries.get(token);
    if (entry === undefined) return undefined;
    if (Date.now() >= entry.until) {
      this.#entries.delete(token);
      return undefined;
    }
    return entry.caller;
  }

  set(token: string, caller: Caller, exp: number | undefined): void {
    const until = Math.min(Date.now() + VERIFIED_TOKEN_TTL_MS, exp === undefined ? 0 : exp * 1000);
    if (until <= Date.now()) return;
    if (this.#entries.size >= VERIFIED_TOKEN_CACHE_SIZE) {
      // Drop the oldest entry: a Map iterates in insertion order.
      this.#entries.delete(this.#entries.keys().next().value as string);
    }
    this.#entries.set(token, { caller, until });
  }
}

function loadVerificationKey(config: Config): { key: VerificationKey; keySource: TokenVerifier["keySource"] } {
  if (config.authJwksUrl !== undefined) {
    return { key: remoteKeySet(new URL(config.authJwksUrl)), keySource: "jwks" };
  }
  if (config.authPublicKey !== undefined) {
    const text = config.authPublicKey.trim();
    try {
      const key = text.startsWith("{") ? createPublicKey({ key: JSON.parse(text) as JsonWebKey, format: "jwk" }) : createPublicKey(text);
      return { key, keySource: "public-key" };
    } catch (error) {
      throw new Error(`AUTH_PUBLIC_KEY could not be read as a public key (${(error as Error).message}); give a PEM SPKI key or a public JWK`, { cause: error });
    }
  }
  return { key: loadLocalSigningKey(config.dataDir).publicKey, keySource: "local" };
}

/** The identity provider's key set could not be fetched or read: a server-side failure, not a bad token. */
class KeySetUnavailableError extends Error {}

/** Wraps jose's remote key set so that a failed fetch is distinguished from a token that no key matches. */
function remoteKeySet(url: URL): JWTVerifyGetKey {
  const keySet = createRemoteJWKSet(url);
  return async (header, token) => {
    try {
      return await keySet(header, token);
    } catch (error) {
      const fetchFailed =
        error instanceof errors.JWKSTimeout ||
        error instanceof errors.JWKSInvalid ||
        error instanceof TypeError ||
        (error instanceof errors.JOSEError && error.code === errors.JOSEError.code);
      if (fetchFailed) throw new KeySetUnavailableError(`Fetching ${url.href} failed`, { cause: error });
      throw error;
    }
  };
}

/** Builds the 401 problem with the RFC 6750 `WWW-Authenticate` challenge. */
export function unauthenticated(description: string, { tokenPresent = true } = {}): ProblemError {
  // RFC 6750 section 3.1: a request without credentials gets a challenge without an error code.
  const challenge = tokenPresent
    ? `Bearer realm="${AUTH_REALM}", error="invalid_token", error_description="${description.replaceAll('"', "'")}"`
    : `Bearer realm="${AUTH_REALM}"`;
  return new ProblemError("UNAUTHENTICATED", description, { headers: { "WWW-Authenticate": challenge } });
}

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

function parseBearer(authorization: string | undefined): string {
  if (authorization === undefined || authorization.trim() === "") {
    throw unauthenticated("The request has no bearer token; send Authorization: Bearer <token>.", { tokenPresent: false });
  }
  const match = BEARER.exec(authorization);
  if (match?.[1] === undefined) {
    throw unauthenticated("The Authorization header is not of the form Bearer <token>.");
  }
  return match[1];
}

function verificationProblem(error: unknown): ProblemError {
  if (error instanceof errors.JWTExpired) return unauthenticated("The token has expired; request a new one.");
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === "nbf") return unauthenticated("The token is not valid yet (nbf is in the future).");
    if (error.claim === "iss") return unauthenticated("The token was issued by an untrusted issuer.");
    if (error.claim === "aud") return unauthenticated("The token was issued for another audience.");
    if (error.reason === "missing") return unauthenticated(`The token has no "${error.claim}" claim.`);
    return unauthenticated(`The token's "${error.claim}" claim is invalid.`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return unauthenticated("The token is signed with an algorithm that is not accepted.");
  if (error instanceof errors.JWSSignatureVerificationFailed) return unauthenticated("The token's signature is invalid.");
  if (error instanceof errors.JWKSNoMatchingKey) return unauthenticated("No trusted key matches the token.");
  if (error instanceof KeySetUnavailableError) {
    return new ProblemError("UNAVAILABLE", "The identity provider's keys could not be fetched; retry later.", { cause: error });
  }
  if (error instanceof errors.JOSEError || error instanceof TypeError) return unauthenticated("The token is malformed.");
  throw error;
}

function callerFromClaims(payload: JWTPayload): Caller {
  const { sub, email, email_verified: emailVerified, name } = payload;
  if (typeof sub !== "string" || sub === "") throw unauthenticated('The token\'s "sub" claim must be a non-empty string.');
  if (typeof email !== "string" || !email.includes("@")) throw unauthenticated('The token has no "email" claim with an email address.');

  const caller: Caller = { sub, email, emailVerified: emailVerified === true };
  if (typeof name === "string" && name !== "") caller.name = name;
  return caller;
}
