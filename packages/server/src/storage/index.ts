import { join } from "node:path";

import type { Config } from "../config.js";
import type { StorageBackend } from "./backend.js";
import { LocalDiskStorage } from "./local-disk.js";

export { createAvatarValidator, isAvatarFile } from "./files.js";
export type { StorageBackend, StoredObject } from "./backend.js";

/**
 * Builds the storage backend of the configuration: files under `${DATA_DIR}/files`.
 * An S3-compatible store plugs in here by returning another `StorageBackend` (see docs/operations.md).
 */
export function createStorageBackend(config: Pick<Config, "dataDir">): StorageBackend {
  return new LocalDiskStorage(join(config.dataDir, "files"));
}
