/** Content types accepted as avatars, recognised by their leading bytes. */
export type ImageType = "image/png" | "image/jpeg" | "image/webp";

/** Bytes needed by `sniffImageType`. */
export const IMAGE_SIGNATURE_BYTES = 12;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG_SIGNATURE = [0xff, 0xd8, 0xff];

/** Returns the image type whose magic bytes `head` starts with, or `undefined` for anything else. */
export function sniffImageType(head: Uint8Array): ImageType | undefined {
  if (startsWith(head, PNG_SIGNATURE)) return "image/png";
  if (startsWith(head, JPEG_SIGNATURE)) return "image/jpeg";
  // WebP is a RIFF container: "RIFF", a 4-byte little-endian size, then "WEBP".
  if (ascii(head, 0, 4) === "RIFF" && ascii(head, 8, 12) === "WEBP") return "image/webp";
  return undefined;
}

function startsWith(head: Uint8Array, signature: number[]): boolean {
  return head.length >= signature.length && signature.every((byte, index) => head[index] === byte);
}

function ascii(head: Uint8Array, start: number, end: number): string {
  return head.length >= end ? String.fromCharCode(...head.subarray(start, end)) : "";
}
