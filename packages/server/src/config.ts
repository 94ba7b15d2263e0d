import { resolve } from "node:path";

import { loadLocalSecret } from "./auth/key-store.js";

export type WorkerMode = "in-process" | "off";
export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

/** The server's configuration, read from environment variables by `loadConfig`. */
export interface Config {
  host: string;
  port: number;
  /** Absolute path of the folder for the SQLite file, signing keys, outbox and stored files. */
  dataDir: string;
  /** Base URL of the server as users reach it, without a trailing slash; accept links are built from it. */
  publicUrl: string;
  /** `sqlite:/path` or `postgres://…`; undefined means the SQLite file `${dataDir}/fruxon.db`. */
  databaseUrl: string | undefined;
  /** PostgreSQL schema holding the tables. */
  databaseSchema: string;
  /** `smtp://` or `smtps://` URL; undefined means emails are written as `.eml` files under `${dataDir}/outbox`. */
  smtpUrl: string | undefined;
  mailFrom: string;
  authJwksUrl: string | undefined;
  /** A PEM SPKI public key or a JWK as JSON. */
  authPublicKey: string | undefined;
  authIssuer: string | undefined;
  authAudience: string | undefined;
  /** JWS algorithms accepted on bearer tokens; never `none` or an HMAC algorithm. */
  authAlgorithms: string[];
  /** Secret that signs page tokens; undefined means one generated once under `dataDir` (see `loadPageTokenSecret`). */
  pageTokenSecret: string | undefined;
  invitationTtlHours: number;
  invitationsPerTenantPerHour: number;
  rateLimitPerMinute: number;
  redisUrl: string | undefined;
  bodyLimitBytes: number;
  uploadLimitBytes: number;
  worker: WorkerMode;
  workerConcurrency: number;
  jobLeaseMs: number;
  jobMaxAttempts: number;
  logLevel: LogLevel;
}

/** Every accepted bearer-token algorithm: asymmetric JWS algorithms only. */
export const SUPPORTED_ALGORITHMS = [
  "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519",
] as const;

const LOG_LEVELS: readonly LogLevel[] = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

type Environment = Record<string, string | undefined>;

/** One environment variable: its field, help text, default and parser. `parse` throws a message on invalid input. */
interface Setting<Field extends keyof Config> {
  env: string;
  field: Field;
  help: string;
  /** The default as shown in `--help`. */
  defaultText: string;
  /** Returns the default, given the fields parsed before this one. */
  fallback: (parsed: Partial<Config>, env: Environment) => Config[Field];
  parse: (value: string, parsed: Partial<Config>, env: Environment) => Config[Field];
}

type AnySetting = { [Field in keyof Config]: Setting<Field> }[keyof Config];

function setting<Field extends keyof Config>(definition: Setting<Field>): AnySetting {
  return definition as unknown as AnySetting;
}

class InvalidValue extends Error {}

function integer(min: number, max: number) {
  return (value: string): number => {
    const number = /^-?\d+$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(number) || number < min || number > max) {
      throw new InvalidValue(`must be an integer from ${min} to ${max}`);
    }
    return number;
  };
}

function url(protocols: string[]) {
  return (value: string): string => {
    const message = `must be an absolute URL starting with ${protocols.join(" or ")}`;
    if (!protocols.some((protocol) => value.toLowerCase().startsWith(protocol))) throw new InvalidValue(message);
    try {
      new URL(value);
    } catch {
      throw new InvalidValue(message);
    }
    return value;
  };
}

function oneOf<Value extends string>(values: readonly Value[]) {
  return (value: string): Value => {
    if (!(values as readonly string[]).includes(value)) throw new InvalidValue(`must be one of ${values.join(", ")}`);
    return value as Value;
  };
}

function text(value: string): string {
  return value;
}

function parseAlgorithms(value: string): string[] {
  const algorithms = value.split(",").map((algorithm) => algorithm.trim()).filter((algorithm) => algorithm !== "");
  if (algorithms.length === 0) throw new InvalidValue(`must list at least one of ${SUPPORTED_ALGORITHMS.join(", ")}`);
  for (const algorithm of algorithms) {
    if (!(SUPPORTED_ALGORITHMS as readonly string[]).includes(algorithm)) {
      throw new InvalidValue(`must list only asymmetric algorithms from ${SUPPORTED_ALGORITHMS.join(", ")}; "${algorithm}" is not accepted`);
    }
  }
  return algorithms;
}

function parsePublicKey(value: string): string {
  const trimmed = value.trim();
  if (trimmed.startsWith("-----BEGIN PUBLIC KEY-----")) return trimmed;
  if (trimmed.startsWith("{")) {
    let jwk: unknown;
    try {
      jwk = JSON.parse(trimmed);
    } catch {
      throw new InvalidValue("must be a PEM public key (-----BEGIN PUBLIC KEY-----) or a JWK as JSON, but the JSON does not parse");
    }
    if (typeof jwk !== "object" || jwk === null || typeof (jwk as { kty?: unknown }).kty !== "string") {
      throw new InvalidValue("must be a JWK object with a \"kty\" member");
    }
    if ((jwk as { kty: string }).kty === "oct") throw new InvalidValue("must be an asymmetric public key; symmetric (\"oct\") keys are not accepted");
    if ("d" in jwk) throw new InvalidValue("must be a public JWK; this one contains the private member \"d\"");
    return trimmed;
  }
  throw new InvalidValue("must be a PEM public key (-----BEGIN PUBLIC KEY-----) or a JWK as JSON");
}

function parseDatabaseUrl(value: string): string {
  if (/^sqlite:.+/.test(value) || /^postgres(ql)?:\/\/.+/.test(value)) return value;
  throw new InvalidValue("must be sqlite:/path/to/file.db or postgres://user@host:port/database");
}

/**
 * The configuration table: the single source of both `loadConfig` and the `--help` text.
 * Order matters where a default depends on an earlier field (PUBLIC_URL on HOST and PORT).
 */
export const SETTINGS: readonly AnySetting[] = [
  setting({ env: "HOST", field: "host", help: "Interface to listen on.", defaultText: "127.0.0.1", fallback: () => "127.0.0.1", parse: text }),
  setting({ env: "PORT", field: "port", help: "TCP port to listen on.", defaultText: "8080", fallback: () => 8080, parse: integer(1, 65535) }),
  setting({
    env: "DATA_DIR", field: "dataDir",
    help: "Folder for the SQLite file, signing keys, outbox and stored files; relative to the folder pnpm was started in.",
    defaultText: "./data", fallback: (_parsed, env) => resolve(workingDirectory(env), "data"), parse: (value, _parsed, env) => resolve(workingDirectory(env), value),
  }),
  setting({
    env: "PUBLIC_URL", field: "publicUrl", help: "Base URL users reach the server at; invitation links are built from it.",
    defaultText: "http://{HOST}:{PORT}", fallback: (parsed) => `http://${formatHost(parsed.host ?? "127.0.0.1")}:${parsed.port ?? 8080}`,
    parse: (value) => url(["http://", "https://"])(value).replace(/\/+$/, ""),
  }),
  setting({
    env: "DATABASE_URL", field: "databaseUrl", help: "sqlite:/path/file.db or postgres://user@host:port/db.",
    defaultText: "SQLite file {DATA_DIR}/fruxon.db", fallback: () => undefined, parse: parseDatabaseUrl,
  }),
  setting({
    env: "DATABASE_SCHEMA", field: "databaseSchema", help: "PostgreSQL schema holding the tables.", defaultText: "public", fallback: () => "public",
    parse: (value) => {
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(value)) throw new InvalidValue("must be a lower-case SQL identifier of at most 63 characters (a-z, 0-9, _)");
      return value;
    },
  }),
  setting({
    env: "SMTP_URL", field: "smtpUrl", help: "smtp:// or smtps:// URL of the mail server.",
    defaultText: "write .eml files under {DATA_DIR}/outbox", fallback: () => undefined, parse: url(["smtp://", "smtps://"]),
  }),
  setting({
    env: "MAIL_FROM", field: "mailFrom", help: "From address of invitation emails.", defaultText: "Fruxon <no-reply@fruxon.example>",
    fallback: () => "Fruxon <no-reply@fruxon.example>",
    parse: (value) => {
      if (!/@/.test(value)) throw new InvalidValue("must be an email address such as \"Fruxon <no-reply@example.com>\"");
      return value;
    },
  }),
  setting({
    env: "AUTH_JWKS_URL", field: "authJwksUrl", help: "JWKS URL of the identity provider that signs bearer tokens.",
    defaultText: "unset", fallback: () => undefined, parse: url(["https://", "http://"]),
  }),
  setting({
    env: "AUTH_PUBLIC_KEY", field: "authPublicKey", help: "Public key that verifies bearer tokens: PEM (SPKI) or a JWK as JSON.",
    defaultText: "the local key under {DATA_DIR}/keys when AUTH_JWKS_URL is unset too", fallback: () => undefined, parse: parsePublicKey,
  }),
  setting({ env: "AUTH_ISSUER", field: "authIssuer", help: "Required `iss` claim of bearer tokens.", defaultText: "not checked", fallback: () => undefined, parse: text }),
  setting({ env: "AUTH_AUDIENCE", field: "authAudience", help: "Required `aud` claim of bearer tokens.", defaultText: "not checked", fallback: () => undefined, parse: text }),
  setting({
    env: "AUTH_ALGORITHMS", field: "authAlgorithms", help: "Comma-separated JWS algorithms accepted on bearer tokens.",
    defaultText: "RS256,ES256,EdDSA", fallback: () => ["RS256", "ES256", "EdDSA"], parse: parseAlgorithms,
  }),
  setting({
    env: "PAGE_TOKEN_SECRET", field: "pageTokenSecret", help: "Secret that signs page tokens (at least 32 characters).",
    defaultText: "generated once under {DATA_DIR}/keys", fallback: () => undefined,
    parse: (value) => {
      if (value.length < 32) throw new InvalidValue("must be at least 32 characters long");
      return value;
    },
  }),
  setting({ env: "INVITATION_TTL_HOURS", field: "invitationTtlHours", help: "Hours until an invitation expires.", defaultText: "168", fallback: () => 168, parse: integer(1, 8760) }),
  setting({
    env: "INVITATIONS_PER_TENANT_PER_HOUR", field: "invitationsPerTenantPerHour", help: "Invitation emails one tenant may send per hour, batch entries included.",
    defaultText: "2000", fallback: () => 2000, parse: integer(1, 1_000_000),
  }),
  setting({
    env: "RATE_LIMIT_PER_MINUTE", field: "rateLimitPerMinute", help: "Requests per minute per caller (token subject, else IP address).",
    defaultText: "600", fallback: () => 600, parse: integer(1, 1_000_000),
  }),
  setting({
    env: "REDIS_URL", field: "redisUrl", help: "redis:// URL; when set, processes share rate-limit counters there.",
    defaultText: "counters in process memory", fallback: () => undefined, parse: url(["redis://", "rediss://"]),
  }),
  setting({
    env: "BODY_LIMIT_BYTES", field: "bodyLimitBytes", help: "Largest JSON request body, in bytes.",
    defaultText: "1048576", fallback: () => 1_048_576, parse: integer(1024, 1_073_741_824),
  }),
  setting({
    env: "UPLOAD_LIMIT_BYTES", field: "uploadLimitBytes", help: "Largest stored-file upload, in bytes.",
    defaultText: "52428800", fallback: () => 52_428_800, parse: integer(1024, 10_737_418_240),
  }),
  setting({
    env: "WORKER", field: "worker", help: "in-process runs the job worker inside the server; off leaves jobs to `worker` processes.",
    defaultText: "in-process", fallback: () => "in-process", parse: oneOf<WorkerMode>(["in-process", "off"]),
  }),
  setting({ env: "WORKER_CONCURRENCY", field: "workerConcurrency", help: "Jobs one worker runs at once.", defaultText: "2", fallback: () => 2, parse: integer(1, 64) }),
  setting({
    env: "JOB_LEASE_MS", field: "jobLeaseMs", help: "Lease length in milliseconds: how long a worker owns a job before another worker may claim it.",
    defaultText: "30000", fallback: () => 30_000, parse: integer(1000, 3_600_000),
  }),
  setting({ env: "JOB_MAX_ATTEMPTS", field: "jobMaxAttempts", help: "Attempts before a job is marked FAILED.", defaultText: "5", fallback: () => 5, parse: integer(1, 100) }),
  setting({ env: "LOG_LEVEL", field: "logLevel", help: `Log level: ${LOG_LEVELS.join(", ")}.`, defaultText: "info", fallback: () => "info", parse: oneOf(LOG_LEVELS) }),
];

/** A configuration error listing every invalid variable, one per line. */
export class ConfigError extends Error {
  readonly problems: string[];

  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  ${problem}`).join("\n")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

/**
 * Reads the configuration from environment variables. An empty variable counts as unset.
 * Throws a `ConfigError` naming each invalid variable, its value and what is expected.
 */
export function loadConfig(env: Environment = process.env): Config {
  const parsed: Partial<Record<keyof Config, unknown>> = {};
  const problems: string[] = [];

  for (const entry of SETTINGS) {
    const raw = env[entry.env];
    if (raw === undefined || raw === "") {
      parsed[entry.field] = entry.fallback(parsed as Partial<Config>, env);
      continue;
    }
    try {
      parsed[entry.field] = entry.parse(raw, parsed as Partial<Config>, env);
    } catch (error) {
      if (!(error instanceof InvalidValue)) throw error;
      problems.push(`${entry.env} ${error.message}, got ${JSON.stringify(showValue(entry.env, raw))}`);
      parsed[entry.field] = entry.fallback(parsed as Partial<Config>, env);
    }
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return parsed as Config;
}

/** Formats the `--help` section listing every variable, its meaning and default. */
export function formatConfigHelp(): string {
  const width = Math.max(...SETTINGS.map((entry) => entry.env.length));
  return SETTINGS.map((entry) => `  ${entry.env.padEnd(width)}  ${entry.help} Default: ${entry.defaultText}.`).join("\n");
}

/** Returns `PAGE_TOKEN_SECRET`, or else the secret generated once under `${dataDir}/keys/page-token-secret`. */
export function loadPageTokenSecret(config: Pick<Config, "pageTokenSecret" | "dataDir">): string {
  return config.pageTokenSecret ?? loadLocalSecret(config.dataDir, "page-token-secret");
}

/** Returns the folder that relative paths resolve against: where `pnpm` was started (`INIT_CWD`), else the process's. */
function workingDirectory(env: Environment): string {
  return env.INIT_CWD ?? process.cwd();
}

function formatHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

const SECRET_VARIABLES = new Set(["PAGE_TOKEN_SECRET", "SMTP_URL", "REDIS_URL", "DATABASE_URL"]);

/** Hides secrets in error messages: a secret's value, or a URL's password. */
function showValue(env: string, value: string): string {
  if (env === "PAGE_TOKEN_SECRET") return `${"*".repeat(Math.min(value.length, 8))} (${value.length} characters)`;
  if (SECRET_VARIABLES.has(env)) return value.replace(/\/\/([^:/@]*):[^@/]*@/, "//$1:***@");
  return value;
}
