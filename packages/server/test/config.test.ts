import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { describe, expect, it } from "vitest";

import { localSigningKeyPath, loadLocalSigningKey, readOrCreateFile } from "../src/auth/key-store.js";
import { ConfigError, formatConfigHelp, loadConfig, loadPageTokenSecret, SETTINGS } from "../src/config.js";

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig({ INIT_CWD: "/srv/fruxon", ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("loadConfig accepted invalid input");
}

describe("loadConfig", () => {
  it("applies the defaults", () => {
    const config = loadConfig({ INIT_CWD: "/srv/fruxon" });

    expect(config).toEqual({
      host: "127.0.0.1",
      port: 8080,
      dataDir: "/srv/fruxon/data",
      publicUrl: "http://127.0.0.1:8080",
      databaseUrl: undefined,
      databaseSchema: "public",
      smtpUrl: undefined,
      mailFrom: "Fruxon <no-reply@fruxon.example>",
      authJwksUrl: undefined,
      authPublicKey: undefined,
      authIssuer: undefined,
      authAudience: undefined,
      authAlgorithms: ["RS256", "ES256", "EdDSA"],
      pageTokenSecret: undefined,
      invitationTtlHours: 168,
      invitationsPerTenantPerHour: 2000,
      rateLimitPerMinute: 600,
      redisUrl: undefined,
      bodyLimitBytes: 1_048_576,
      uploadLimitBytes: 52_428_800,
      worker: "in-process",
      workerConcurrency: 2,
      jobLeaseMs: 30_000,
      jobMaxAttempts: 5,
      logLevel: "info",
    });
  });

  it("reads every variable", () => {
    const config = loadConfig({
      INIT_CWD: "/srv/fruxon",
      HOST: "0.0.0.0",
      PORT: "9000",
      DATA_DIR: "state",
      PUBLIC_URL: "https://fruxon.example/",
      DATABASE_URL: "postgres://postgres@127.0.0.1:5432/test",
      DATABASE_SCHEMA: "run_42",
      SMTP_URL: "smtp://127.0.0.1:2525",
      MAIL_FROM: "Team <team@fruxon.example>",
      AUTH_JWKS_URL: "https://id.fruxon.example/.well-known/jwks.json",
      AUTH_ISSUER: "https://id.fruxon.example/",
      AUTH_AUDIENCE: "fruxon-api",
      AUTH_ALGORITHMS: "RS256, PS256",
      PAGE_TOKEN_SECRET: "s".repeat(32),
      INVITATION_TTL_HOURS: "24",
      INVITATIONS_PER_TENANT_PER_HOUR: "10",
      RATE_LIMIT_PER_MINUTE: "60",
      REDIS_URL: "redis://127.0.0.1:6379",
      BODY_LIMIT_BYTES: "2048",
      UPLOAD_LIMIT_BYTES: "4096",
      WORKER: "off",
      WORKER_CONCURRENCY: "4",
      JOB_LEASE_MS: "5000",
      JOB_MAX_ATTEMPTS: "3",
      LOG_LEVEL: "debug",
    });

    expect(config).toMatchObject({
      host: "0.0.0.0",
      port: 9000,
      dataDir: "/srv/fruxon/state",
      publicUrl: "https://fruxon.example",
      databaseSchema: "run_42",
      authAlgorithms: ["RS256", "PS256"],
      rateLimitPerMinute: 60,
      worker: "off",
      logLevel: "debug",
    });
  });

  it("derives PUBLIC_URL from HOST and PORT", () => {
    expect(loadConfig({ HOST: "::1", PORT: "9999" }).publicUrl).toBe("http://[::1]:9999");
  });

  it("treats an empty variable as unset", () => {
    expect(loadConfig({ PORT: "", LOG_LEVEL: "" })).toMatchObject({ port: 8080, logLevel: "info" });
  });

  it.each([
    [{ PORT: "abc" }, 'PORT must be an integer from 1 to 65535, got "abc"'],
    [{ PORT: "70000" }, 'PORT must be an integer from 1 to 65535, got "70000"'],
    [{ PORT: "80.5" }, 'PORT must be an integer from 1 to 65535, got "80.5"'],
    [{ PUBLIC_URL: "fruxon.example" }, 'PUBLIC_URL must be an absolute URL starting with http:// or https://, got "fruxon.example"'],
    [{ DATABASE_URL: "mysql://db" }, 'DATABASE_URL must be sqlite:/path/to/file.db or postgres://user@host:port/database, got "mysql://db"'],
    [{ DATABASE_SCHEMA: "Run-1" }, "DATABASE_SCHEMA must be a lower-case SQL identifier"],
    [{ SMTP_URL: "http://mail" }, 'SMTP_URL must be an absolute URL starting with smtp:// or smtps://, got "http://mail"'],
    [{ AUTH_ALGORITHMS: "RS256,HS256" }, 'AUTH_ALGORITHMS must list only asymmetric algorithms from RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA, Ed25519; "HS256" is not accepted'],
    [{ AUTH_ALGORITHMS: "none" }, '"none" is not accepted'],
    [{ AUTH_PUBLIC_KEY: "not a key" }, "AUTH_PUBLIC_KEY must be a PEM public key (-----BEGIN PUBLIC KEY-----) or a JWK as JSON"],
    [{ AUTH_PUBLIC_KEY: '{"kty":"oct","k":"c2VjcmV0"}' }, 'symmetric ("oct") keys are not accepted'],
    [{ PAGE_TOKEN_SECRET: "short-secret" }, 'PAGE_TOKEN_SECRET must be at least 32 characters long, got "******** (12 characters)"'],
    [{ REDIS_URL: "redis://:hunter2@cache:99999" }, "redis://:***@cache:99999"],
    [{ WORKER: "thread" }, 'WORKER must be one of in-process, off, got "thread"'],
    [{ WORKER_CONCURRENCY: "0" }, 'WORKER_CONCURRENCY must be an integer from 1 to 64, got "0"'],
    [{ BODY_LIMIT_BYTES: "1e6" }, 'BODY_LIMIT_BYTES must be an integer from 1024 to 1073741824, got "1e6"'],
    [{ LOG_LEVEL: "verbose" }, 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "verbose"'],
    [{ MAIL_FROM: "nobody" }, "MAIL_FROM must be an email address"],
  ])("rejects %o", (env, message) => {
    const error = configError(env as Record<string, string>);

    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toContain(message);
  });

  it("hides the password of a rejected URL", () => {
    const error = configError({ SMTP_URL: "ftp://mailer:hunter2@mail.example" });

    expect(error.message).not.toContain("hunter2");
  });

  it("lists every invalid variable in one error", () => {
    const error = configError({ PORT: "0", WORKER: "x", LOG_LEVEL: "loud" });

    expect(error.problems.map((problem) => problem.split(" ", 1)[0])).toEqual(["PORT", "WORKER", "LOG_LEVEL"]);
    expect(error.message.split("\n")).toHaveLength(4);
  });
});

describe("help", () => {
  it("lists every variable with its default", () => {
    const help = formatConfigHelp();

    for (const setting of SETTINGS) {
      expect(help).toMatch(new RegExp(`^  ${setting.env} +.+ Default: .+\\.$`, "m"));
    }
    expect(help.split("\n")).toHaveLength(SETTINGS.length);
  });
});

describe("local key files", () => {
  it("creates the signing key once with mode 0600", () => {
    const dataDir = mkdtempSync(join(tmpdir(), "fruxon-keys-"));

    const first = loadLocalSigningKey(dataDir);
    const second = loadLocalSigningKey(dataDir);
    const mode = statSync(localSigningKeyPath(dataDir)).mode & 0o777;
    rmSync(dataDir, { recursive: true, force: true });

    expect(first.kid).toBe(second.kid);
    expect(first.privateKey.asymmetricKeyType).toBe("ed25519");
    expect(mode).toBe(0o600);
  });

  it("keeps the first writer's content when two processes race", () => {
    const dataDir = mkdtempSync(join(tmpdir(), "fruxon-keys-"));
    const path = join(dataDir, "keys", "secret");

    // The second creator runs while the first is writing, as two processes starting at once would.
    const outer = readOrCreateFile(path, () => {
      const inner = readOrCreateFile(path, () => "second");
      expect(inner).toBe("second");
      return "first";
    });
    const stored = readFileSync(path, "utf8");
    rmSync(dataDir, { recursive: true, force: true });

    expect(outer).toBe("second");
    expect(stored).toBe("second");
  });

  it("generates the page token secret once unless configured", () => {
    const dataDir = mkdtempSync(join(tmpdir(), "fruxon-keys-"));

    const generated = loadPageTokenSecret({ dataDir, pageTokenSecret: undefined });
    const again = loadPageTokenSecret({ dataDir, pageTokenSecret: undefined });
    const configured = loadPageTokenSecret({ dataDir, pageTokenSecret: "c".repeat(32) });
    rmSync(dataDir, { recursive: true, force: true });

    expect(generated).toHaveLength(43);
    expect(again).toBe(generated);
    expect(configured).toBe("c".repeat(32));
  });
});
