/** A stored file's metadata; the bytes live in the storage backend under `<tenant id>/<file id>`. */
export interface FilesTable {
  id: string;
  tenant_id: string;
  uploader_sub: string;
  content_type: string;
  size_bytes: number;
  /** SHA-256 of the bytes, lower-case hex; the download ETag. */
  sha256: string;
  /** Name to save the file under, sent in `Content-Disposition`; set for exports only. */
  file_name: string | null;
  created_at: number;
}

declare module "../db/schema.js" {
  interface Database {
    files: FilesTable;
  }
}
