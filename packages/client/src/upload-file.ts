import type { FileLink, UploadFileRequest } from "@fruxon/api-types";

import type { AnyFruxonClient, CallOptions } from "./types.js";
import { unwrap } from "./unwrap.js";

export interface UploadFileInput extends CallOptions {
  /** The tenant's id or slug. */
  tenant: string;
  /** The content; a `Blob`'s `type` becomes the stored file's content type. */
  file: Blob;
  /** File name sent in the multipart part. Default: the `File`'s own name, else "upload". */
  filename?: string;
  signal?: AbortSignal;
}

/**
 * Uploads a file to the tenant's storage as multipart/form-data and returns its `FileLink`.
 * The runtime writes the multipart boundary into `Content-Type`, so callers never set that header.
 * Throws `ProblemError` on an error response, such as 413 for a file over the server's limit.
 */
export async function uploadFile(client: AnyFruxonClient, input: UploadFileInput): Promise<FileLink> {
  const { tenant, file, filename, ...init } = input;
  if (!(file instanceof Blob)) {
    throw new TypeError("uploadFile: file must be a Blob or a File");
  }
  const form = new FormData();
  form.append("file", file, filename ?? ((file as Partial<File>).name || "upload"));

  return unwrap(
    client.POST("/v1/tenants/{tenant}/storage", {
      ...init,
      params: { path: { tenant } },
      // openapi-typescript types a binary field as string; openapi-fetch sends a FormData body unchanged.
      body: form as unknown as UploadFileRequest,
    }),
  );
}
