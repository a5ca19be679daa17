/**
 * IDX, the format of MNIST and Fashion-MNIST: two zero bytes, a type code, the number of dims, each
 * dim as a big-endian uint32, then the data. Only unsigned bytes (type 0x08) occur in these
 * datasets, so other types are refused rather than half-supported.
 */
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import { invalid } from "./errors.js";

export interface IdxArray {
  readonly dims: readonly number[];
  readonly data: Uint8Array;
}

const UNSIGNED_BYTE = 0x08;
const GZIP_MAGIC = [0x1f, 0x8b] as const;
// Asynchronous so that decompressing 26 MB does not freeze a notebook kernel's event loop.
const gunzipAsync = promisify(gunzip);

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
}

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1];
}

/** Decompresses gzip data (recognised by its magic bytes, not the file name); other bytes pass through. */
export async function gunzipIfNeeded(bytes: Uint8Array, file: string): Promise<Uint8Array> {
  if (!isGzip(bytes)) return bytes;
  try {
    return await gunzipAsync(bytes);
  } catch (error) {
    throw invalid(`gunzip(${JSON.stringify(file)})`, "a complete gzip stream", `${bytes.length} bytes that fail to decompress (${(error as Error).message})`);
  }
}

/** Parses uncompressed IDX bytes; `file` only names the source in errors. */
export function parseIdx(bytes: Uint8Array, file = "<buffer>"): IdxArray {
  const where = `parseIdx(${JSON.stringify(file)})`;
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0 || bytes[2] !== UNSIGNED_BYTE || bytes[3] === 0) {
    throw invalid(where, "an IDX file starting with 00 00 08 <ndims>", `${hex(bytes.subarray(0, 4)) || "an empty file"}`);
  }
  const ndims = bytes[3];
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) {
    throw invalid(where, `a ${headerBytes}-byte header for ${ndims} dims`, `${bytes.length} bytes (truncated file)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: ndims }, (_, i) => view.getUint32(4 + 4 * i, false));
  const dataBytes = dims.reduce((a, b) => a * b, 1);
  const received = bytes.length - headerBytes;
  if (received !== dataBytes) {
    throw invalid(
      where,
      `${dataBytes} data bytes for dims ${dims.join("×")}`,
      `${received} (${received < dataBytes ? "truncated" : "trailing bytes in a corrupt"} file)`,
    );
  }
  return { dims, data: bytes.subarray(headerBytes) };
}

/** The inverse of `parseIdx`, used to write the embedded subset and test fixtures. */
export function encodeIdx(dims: readonly number[], data: Uint8Array): Uint8Array {
  const expected = dims.reduce((a, b) => a * b, 1);
  if (dims.length === 0 || dims.length > 255 || data.length !== expected) {
    throw invalid("encodeIdx(data)", `1 to 255 dims whose product is data.length`, `dims [${dims.join(", ")}] and ${data.length} bytes`);
  }
  const bytes = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(bytes.buffer);
  bytes[2] = UNSIGNED_BYTE;
  bytes[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  bytes.set(data, 4 + 4 * dims.length);
  return bytes;
}

/** Reads an IDX file from disk, gzipped or not. */
export async function readIdxFile(path: string): Promise<IdxArray> {
  return parseIdx(await gunzipIfNeeded(await readFile(path), path), path);
}
