import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, randomUUID, type KeyObject } from "node:crypto";
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

/**
 * Reads a file, creating it first with `create()` when it does not exist. The file is written with mode
 * 0600 under a temporary name and hard-linked into place, and `link` fails when the target exists, so two
 * processes starting at once both end up reading the content of whichever linked first.
 */
export function readOrCreateFile(path: string, create: () => string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }

  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.${randomUUID()}.tmp`;
  writeFileSync(temporary, create(), { mode: 0o600, flag: "wx" });
  try {
    linkSync(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  } finally {
    unlinkSync(temporary);
  }
  return readFileSync(path, "utf8");
}

/** The embedded signing key: an Ed25519 pair whose private half `pnpm run token` signs with. */
export interface LocalSigningKey {
  /** JWS algorithm of the key. */
  alg: "EdDSA";
  /** Key id sent in the token header: the last 16 characters of the public key's base64url DER. */
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** Returns the path of the embedded signing key under `dataDir`. */
export function localSigningKeyPath(dataDir: string): string {
  return join(dataDir, "keys", "signing-key.pem");
}

/** Loads the embedded Ed25519 signing key from `${dataDir}/keys/signing-key.pem`, generating it on first use. */
export function loadLocalSigningKey(dataDir: string): LocalSigningKey {
  const pem = readOrCreateFile(localSigningKeyPath(dataDir), () => {
    const { privateKey } = generateKeyPairSync("ed25519");
    return privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  });
  const privateKey = createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== "ed25519") {
    throw new Error(`${localSigningKeyPath(dataDir)} must hold an Ed25519 private key, found ${privateKey.asymmetricKeyType ?? "another key type"}`);
  }
  const publicKey = createPublicKey(privateKey);
  const der = publicKey.export({ type: "spki", format: "der" });
  return { alg: "EdDSA", kid: der.toString("base64url").slice(-16), privateKey, publicKey };
}

/** Loads a random 32-byte secret (base64url) from `${dataDir}/keys/<name>`, generating it on first use. */
export function loadLocalSecret(dataDir: string, name: string): string {
  return readOrCreateFile(join(dataDir, "keys", name), () => randomBytes(32).toString("base64url")).trim();
}
