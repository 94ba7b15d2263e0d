import { SignJWT } from "jose";

import type { LocalSigningKey } from "./key-store.js";

export interface DevelopmentTokenClaims {
  email: string;
  /** Defaults to `local|<email in lower case>`, so one email keeps one account. */
  sub?: string;
  name?: string;
  issuer?: string;
  audience?: string;
  /** Lifetime in seconds. */
  ttlSeconds: number;
}

/** Signs a development token with the embedded key: `email_verified` is true, as an identity provider would set it. */
export async function signDevelopmentToken(key: LocalSigningKey, claims: DevelopmentTokenClaims): Promise<string> {
  const payload: Record<string, unknown> = { email: claims.email, email_verified: true };
  if (claims.name !== undefined) payload.name = claims.name;

  const jwt = new SignJWT(payload)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "JWT" })
    .setSubject(claims.sub ?? `local|${claims.email.toLowerCase()}`)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + claims.ttlSeconds);
  if (claims.issuer !== undefined) jwt.setIssuer(claims.issuer);
  if (claims.audience !== undefined) jwt.setAudience(claims.audience);
  return jwt.sign(key.privateKey);
}

const DURATION = /^(\d+)\s*(s|m|h|d)?$/;
const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/** Parses a lifetime such as `90`, `90s`, `30m`, `1h` or `7d` into seconds; returns undefined when invalid. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (match?.[1] === undefined) return undefined;
  const seconds = Number(match[1]) * UNIT_SECONDS[(match[2] ?? "s") as keyof typeof UNIT_SECONDS];
  return seconds > 0 && Number.isSafeInteger(seconds) ? seconds : undefined;
}
