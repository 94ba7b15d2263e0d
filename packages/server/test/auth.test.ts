import { generateKeyPairSync } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

import { exportJWK, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { signDevelopmentToken } from "../src/auth/dev-token.js";
import { loadLocalSigningKey } from "../src/auth/key-store.js";
import { PUBLIC_KEY_PEM, signingKeys, signToken, startTestApp, type TestApp } from "./fixtures/test-app.js";

const ISSUER = "https://id.fruxon.example/";
const AUDIENCE = "fruxon-api";

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

/** Builds a token with `alg: none` and no signature. */
function unsignedToken(): string {
  const now = Math.floor(Date.now() / 1000);
  return `${base64url({ alg: "none", typ: "JWT" })}.${base64url({ sub: "user-1", email: "ana@example.com", exp: now + 600, iss: ISSUER, aud: AUDIENCE })}.`;
}

const otherKeys = generateKeyPairSync("ed25519");

let test: TestApp;

beforeAll(async () => {
  test = await startTestApp({ env: { AUTH_ISSUER: ISSUER, AUTH_AUDIENCE: AUDIENCE } });
});

afterAll(async () => {
  await test.close();
});

async function getProfile(app: TestApp, authorization: string | undefined) {
  return app.app.inject({ method: "GET", url: "/v1/users/me", headers: authorization === undefined ? {} : { authorization } });
}

describe("bearer token verification", () => {
  const valid = { issuer: ISSUER, audience: AUDIENCE };

  it.each<[string, () => Promise<string | undefined>, RegExp]>([
    ["missing header", async () => undefined, /no bearer token/],
    ["another scheme", async () => `Basic ${Buffer.from("ana:secret").toString("base64")}`, /not of the form Bearer/],
    ["bearer without token", async () => "Bearer", /not of the form Bearer/],
    ["token that is not a JWT", async () => "Bearer abc.def", /malformed/],
    ["unsigned token (alg none)", async () => `Bearer ${unsignedToken()}`, /malformed|algorithm/],
    ["token signed by another key", async () => `Bearer ${await signToken({ ...valid, key: otherKeys.privateKey })}`, /signature is invalid/],
    [
      "HS256 with the public key as secret",
      async () => `Bearer ${await signToken({ ...valid, alg: "HS256", key: new TextEncoder().encode(PUBLIC_KEY_PEM) })}`,
      /algorithm that is not accepted/,
    ],
    ["expired token beyond the tolerance", async () => `Bearer ${await signToken({ ...valid, expiresIn: -31 - 5 })}`, /expired/],
    ["token not valid yet", async () => `Bearer ${await signToken({ ...valid, notBefore: 120 })}`, /not valid yet/],
    ["wrong issuer", async () => `Bearer ${await signToken({ issuer: "https://evil.example/", audience: AUDIENCE })}`, /untrusted issuer/],
    ["missing issuer", async () => `Bearer ${await signToken({ audience: AUDIENCE })}`, /issuer/],
    ["wrong audience", async () => `Bearer ${await signToken({ issuer: ISSUER, audience: "another-api" })}`, /another audience/],
    ["token without email", async () => `Bearer ${await signToken({ ...valid, email: undefined })}`, /"email"/],
  ])("%s is 401", async (_label, authorization, description) => {
    const header = await authorization();
    test.calls.length = 0;

    const response = await getProfile(test, header);

    expect(response.statusCode).toBe(401);
    expect(response.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(response.headers["cache-control"]).toBe("no-store");
    const problem = response.json();
    expect(problem).toMatchObject({ status: 401, code: "UNAUTHENTICATED", type: "/problems/unauthenticated" });
    expect(problem.detail).toMatch(description);
    const challenge = String(response.headers["www-authenticate"]);
    expect(challenge).toMatch(/^Bearer realm="fruxon"/);
    if (header !== undefined) {
      expect(challenge).toContain('error="invalid_token"');
      // Double quotes cannot appear inside the quoted-string, so the challenge carries them as single quotes.
      expect(challenge).toContain(`error_description="${String(problem.detail).replaceAll('"', "'")}"`);
    }
    expect(test.calls).toEqual([]);
  });

  it("token without exp is 401", async () => {
    const token = await new SignJWT({ email: "ana@example.com" })
      .setProtectedHeader({ alg: "EdDSA" })
      .setSubject("user-1")
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .sign(signingKeys.privateKey);

    const response = await getProfile(test, `Bearer ${token}`);

    expect(response.statusCode).toBe(401);
    expect(response.json().detail).toMatch(/"exp"/);
  });

  it("expired within the clock tolerance is accepted", async () => {
    const response = await getProfile(test, `Bearer ${await signToken({ ...valid, expiresIn: -10 })}`);

    expect(response.statusCode).toBe(200);
  });

  it("valid token sets the caller", async () => {
    test.calls.length = 0;
    const token = await signToken({ ...valid, sub: "auth0|42", email: "Ana@Example.com", name: "Ana Diaz" });

    const response = await getProfile(test, `Bearer ${token}`);

    expect(response.statusCode).toBe(200);
    expect(response.headers["cache-control"]).toBe("no-store");
    expect(test.calls[0]?.request.caller).toEqual({ sub: "auth0|42", email: "Ana@Example.com", emailVerified: true, name: "Ana Diaz" });
  });

  it("operations with security [] skip authentication", async () => {
    test.calls.length = 0;

    const response = await test.app.inject({ method: "GET", url: "/healthz", headers: { authorization: "Bearer garbage" } });

    expect(response.statusCode).toBe(200);
    expect(test.calls[0]?.request.caller).toBeNull();
  });

  it("never logs the token", async () => {
    const token = await signToken(valid);
    const expired = await signToken({ ...valid, expiresIn: -3600 });

    await getProfile(test, `Bearer ${token}`);
    await getProfile(test, `Bearer ${expired}`);

    const logs = test.logs.join("\n");
    expect(logs).toContain("/v1/users/me");
    expect(logs).not.toContain(token);
    expect(logs).not.toContain(expired);
    expect(logs).not.toContain(token.split(".")[2]);
  });
});

describe("key sources", () => {
  it("accepts a JWK given as AUTH_PUBLIC_KEY", async () => {
    const jwk = JSON.stringify(await exportJWK(signingKeys.publicKey));
    const app = await startTestApp({ env: { AUTH_PUBLIC_KEY: jwk } });

    const good = await getProfile(app, `Bearer ${await signToken()}`);
    const bad = await getProfile(app, `Bearer ${await signToken({ key: otherKeys.privateKey })}`);
    await app.close();

    expect(good.statusCode).toBe(200);
    expect(bad.statusCode).toBe(401);
  });

  it("unreadable AUTH_PUBLIC_KEY fails at start-up", async () => {
    const broken = "-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----";

    await expect(startTestApp({ env: { AUTH_PUBLIC_KEY: broken } })).rejects.toThrow(/AUTH_PUBLIC_KEY could not be read as a public key/);
  });

  it("rejects an algorithm left out of AUTH_ALGORITHMS", async () => {
    const app = await startTestApp({ env: { AUTH_ALGORITHMS: "RS256,ES256" } });

    const response = await getProfile(app, `Bearer ${await signToken()}`);
    await app.close();

    expect(response.statusCode).toBe(401);
    expect(response.json().detail).toMatch(/algorithm that is not accepted/);
  });

  it("trusts the embedded key when no key is configured", async () => {
    const app = await startTestApp({ env: { AUTH_PUBLIC_KEY: "" } });
    const key = loadLocalSigningKey(app.config.dataDir);
    const token = await signDevelopmentToken(key, { email: "ana@example.com", name: "Ana Diaz", ttlSeconds: 60 });

    const response = await getProfile(app, `Bearer ${token}`);
    const caller = app.calls[0]?.request.caller;
    await app.close();

    expect(response.statusCode).toBe(200);
    expect(caller).toEqual({ sub: "local|ana@example.com", email: "ana@example.com", emailVerified: true, name: "Ana Diaz" });
  });

  describe("JWKS", () => {
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
    let server: Server;
    let jwksUrl: string;
    let jwksRequests = 0;

    beforeAll(async () => {
      const keys = [
        { ...(await exportJWK(rsa.publicKey)), kid: "rsa-1", alg: "RS256", use: "sig" },
        { ...(await exportJWK(ec.publicKey)), kid: "ec-1", alg: "ES256", use: "sig" },
      ];
      server = createServer((request, response) => {
        jwksRequests += 1;
        if (request.url !== "/.well-known/jwks.json") {
          response.writeHead(404).end();
          return;
        }
        response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys }));
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
    });

    afterAll(async () => {
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    });

    async function jwksToken(alg: string, kid: string, key: Parameters<SignJWT["sign"]>[0]): Promise<string> {
      return new SignJWT({ email: "ana@example.com", email_verified: true })
        .setProtectedHeader({ alg, kid })
        .setSubject("idp|7")
        .setIssuer(ISSUER)
        .setExpirationTime("5m")
        .sign(key);
    }

    it("verifies RS256 and ES256 tokens by kid", async () => {
      const app = await startTestApp({ env: { AUTH_PUBLIC_KEY: "", AUTH_JWKS_URL: jwksUrl, AUTH_ISSUER: ISSUER } });

      const rs256 = await getProfile(app, `Bearer ${await jwksToken("RS256", "rsa-1", rsa.privateKey)}`);
      const es256 = await getProfile(app, `Bearer ${await jwksToken("ES256", "ec-1", ec.privateKey)}`);
      const unknownKid = await getProfile(app, `Bearer ${await jwksToken("ES256", "ec-9", ec.privateKey)}`);
      const wrongKey = await getProfile(app, `Bearer ${await jwksToken("RS256", "rsa-1", generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey)}`);
      await app.close();

      expect(rs256.statusCode).toBe(200);
      expect(es256.statusCode).toBe(200);
      expect(unknownKid.statusCode).toBe(401);
      expect(unknownKid.json().detail).toMatch(/No trusted key/);
      expect(wrongKey.statusCode).toBe(401);
      expect(jwksRequests).toBeGreaterThan(0);
    });

    it("answers 503 when the JWKS cannot be fetched", async () => {
      const app = await startTestApp({ env: { AUTH_PUBLIC_KEY: "", AUTH_JWKS_URL: jwksUrl.replace("jwks.json", "missing.json") } });

      const response = await getProfile(app, `Bearer ${await jwksToken("ES256", "ec-1", ec.privateKey)}`);
      await app.close();

      expect(response.statusCode).toBe(503);
      expect(response.json().code).toBe("UNAVAILABLE");
    });
  });
});
