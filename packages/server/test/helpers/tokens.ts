import { generateKeyPairSync, randomUUID } from "node:crypto";

import { SignJWT } from "jose";

/** One ES256 key pair per test process: servers trust its public half, `mintToken` signs with the private half. */
const keyPair = generateKeyPairSync("ec", { namedCurve: "P-256" });

/** The PEM public key to pass as `AUTH_PUBLIC_KEY`. */
export const TEST_PUBLIC_KEY_PEM = keyPair.publicKey.export({ type: "spki", format: "pem" }).toString();

export interface TestClaims {
  /** Defaults to a fresh `test|<uuid>`. */
  sub?: string;
  email: string;
  /** Defaults to true. */
  emailVerified?: boolean;
  name?: string;
  /** Lifetime in seconds; defaults to one hour. Negative values mint an expired token. */
  expiresInSeconds?: number;
  issuer?: string;
  audience?: string;
}

/** Signs a bearer token that every test server started by `startTestServer` accepts. */
export async function mintToken(claims: TestClaims): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = { email: claims.email, email_verified: claims.emailVerified ?? true };
  if (claims.name !== undefined) payload.name = claims.name;

  const jwt = new SignJWT(payload)
    .setProtectedHeader({ alg: "ES256", typ: "JWT" })
    .setSubject(claims.sub ?? `test|${randomUUID()}`)
    .setIssuedAt(now)
    .setExpirationTime(now + (claims.expiresInSeconds ?? 3600));
  if (claims.issuer !== undefined) jwt.setIssuer(claims.issuer);
  if (claims.audience !== undefined) jwt.setAudience(claims.audience);
  return jwt.sign(keyPair.privateKey);
}

/** A test user: the claims and a token for them, with the `Authorization` header ready to send. */
export interface TestUser {
  sub: string;
  email: string;
  token: string;
  headers: { authorization: string };
}

/** Creates a user with a fresh `sub` and a token for it. */
export async function testUser(email: string, extra: Omit<TestClaims, "email" | "sub"> & { sub?: string } = {}): Promise<TestUser> {
  const sub = extra.sub ?? `test|${randomUUID()}`;
  const token = await mintToken({ ...extra, sub, email });
  return { sub, email, token, headers: { authorization: `Bearer ${token}` } };
}
