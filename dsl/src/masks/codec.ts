/**
 * The `.slmask` binary format for a MaskSet (version 1). All integers are little-endian.
 *
 * | offset    | size | field                                                                   |
 * |-----------|------|-------------------------------------------------------------------------|
 * | 0         | 6    | magic, the ASCII bytes `SLMASK`                                         |
 * | 6         | 2    | format version, uint16 (= 1)                                            |
 * | 8         | 4    | header length H, uint32                                                 |
 * | 12        | H    | header, UTF-8 JSON: `{"masks":[{"name","shape","kept"}, …]}` in network order |
 * | 12 + H    | B    | bits: for each mask in header order, ⌈total/8⌉ bytes; element i (row-major) is |
 * |           |      | bit (i mod 8) of the mask's byte ⌊i/8⌋, least significant bit first; the unused |
 * |           |      | high bits of a mask's last byte are 0; each mask starts on a byte boundary |
 * | 12 + H + B| 4    | CRC-32 (IEEE, as zlib) of every byte before it, uint32                  |
 *
 * `kept` is redundant with the bits on purpose: a decoder recounts and refuses a mismatch, which
 * catches an encoder bug that a checksum over its own output never could.
 */
import { argError, describeValue, SparselabError } from "../errors.js";
import { crc32 } from "./crc32.js";
import { Mask } from "./mask.js";
import { MaskSet } from "./mask-set.js";
import { formatShape, shapeSize } from "./shape.js";

export const MASK_FILE_MAGIC = "SLMASK";
export const MASK_FILE_VERSION = 1;

const PREAMBLE = 12;
const CHECKSUM = 4;

interface HeaderEntry {
  readonly name: string;
  readonly shape: readonly number[];
  readonly kept: number;
}

export function encodeMaskSet(set: MaskSet): Uint8Array {
  if (!(set instanceof MaskSet)) throw argError("encodeMaskSet", "set", "a MaskSet", set);
  const entries = set.entries;
  const header = new TextEncoder().encode(JSON.stringify({
    masks: entries.map(([name, mask]) => ({ name, shape: mask.shape, kept: mask.kept })),
  }));
  const bitBytes = entries.reduce((sum, [, mask]) => sum + packedLength(mask.total), 0);
  const bytes = new Uint8Array(PREAMBLE + header.length + bitBytes + CHECKSUM);
  const view = new DataView(bytes.buffer);
  bytes.set(new TextEncoder().encode(MASK_FILE_MAGIC), 0);
  view.setUint16(6, MASK_FILE_VERSION, true);
  view.setUint32(8, header.length, true);
  bytes.set(header, PREAMBLE);
  let offset = PREAMBLE + header.length;
  for (const [, mask] of entries) {
    for (let i = 0; i < mask.total; i++) bytes[offset + (i >> 3)] |= mask.bits[i] << (i & 7);
    offset += packedLength(mask.total);
  }
  view.setUint32(offset, crc32(bytes.subarray(0, offset)), true);
  return bytes;
}

export function decodeMaskSet(bytes: Uint8Array): MaskSet {
  return decodeMaskSetIn(bytes, "decodeMaskSet(bytes)");
}

/** Decodes with errors prefixed by `context`, e.g. `loadMaskSet("run/masks.slmask")`. */
export function decodeMaskSetIn(bytes: Uint8Array, context: string): MaskSet {
  const fail = (expected: string, received: string) => new SparselabError(`${context}: expected ${expected}, received ${received}`);
  if (!(bytes instanceof Uint8Array)) throw fail("a Uint8Array", describeValue(bytes));
  const magic = new TextDecoder().decode(bytes.subarray(0, MASK_FILE_MAGIC.length));
  const truncatedMagic = bytes.length < MASK_FILE_MAGIC.length && MASK_FILE_MAGIC.startsWith(magic);
  if (magic !== MASK_FILE_MAGIC && !truncatedMagic) {
    throw fail(`a sparselab mask file (starting with "${MASK_FILE_MAGIC}")`, `bytes starting with ${JSON.stringify(magic)}`);
  }
  if (bytes.length < PREAMBLE + CHECKSUM) throw fail(`at least ${PREAMBLE + CHECKSUM} bytes`, `${bytes.length} (truncated)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(6, true);
  if (version !== MASK_FILE_VERSION) throw fail(`format version ${MASK_FILE_VERSION}`, `version ${version}`);
  const headerLength = view.getUint32(8, true);
  const bitsStart = PREAMBLE + headerLength;
  if (bitsStart + CHECKSUM > bytes.length) {
    throw fail(`a ${headerLength}-byte header and a checksum`, `${bytes.length} bytes in all (truncated)`);
  }

  let header: readonly HeaderEntry[] | Error;
  try {
    header = parseHeader(bytes.subarray(PREAMBLE, bitsStart));
  } catch (error) {
    header = error as Error;
  }
  const expectedLength = header instanceof Error ? undefined
    : header.reduce((sum, entry) => sum + packedLength(shapeSize(entry.shape)), bitsStart + CHECKSUM);
  const stored = view.getUint32(bytes.length - CHECKSUM, true);
  const computed = crc32(bytes.subarray(0, bytes.length - CHECKSUM));
  if (stored !== computed) {
    if (expectedLength !== undefined && expectedLength !== bytes.length) {
      throw fail(`${expectedLength} bytes for the masks in the header`, `${bytes.length} (truncated or padded)`);
    }
    throw fail(`checksum ${hex(stored, 8)}`, `data with checksum ${hex(computed, 8)} (the file is corrupted)`);
  }
  if (header instanceof Error) throw fail("a valid header", header.message);
  if (expectedLength !== bytes.length) {
    throw fail(`${expectedLength} bytes for the masks in the header`, `${bytes.length}`);
  }

  const masks: [string, Mask][] = [];
  let offset = bitsStart;
  for (const { name, shape, kept } of header) {
    const total = shapeSize(shape);
    const bits = new Uint8Array(total);
    for (let i = 0; i < total; i++) bits[i] = (bytes[offset + (i >> 3)] >> (i & 7)) & 1;
    const lastByte = bytes[offset + packedLength(total) - 1];
    if (total % 8 !== 0 && lastByte >> (total % 8) !== 0) {
      throw fail(`zero padding bits after mask "${name}"`, `byte ${hex(lastByte, 2)}`);
    }
    const mask = Mask.fromBits(shape, bits);
    if (mask.kept !== kept) {
      throw fail(`${kept} kept weights in mask "${name}" ${formatShape(shape)} (as its header says)`, `${mask.kept} in its bits`);
    }
    masks.push([name, mask]);
    offset += packedLength(total);
  }
  return MaskSet.from(masks);
}

function parseHeader(json: Uint8Array): readonly HeaderEntry[] {
  const header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(json)) as { masks?: unknown };
  if (!Array.isArray(header?.masks)) throw new Error(`a header without a "masks" array`);
  const names = new Set<string>();
  return header.masks.map((entry: { name?: unknown; shape?: unknown; kept?: unknown } | null, i: number) => {
    const name = entry?.name;
    if (typeof name !== "string" || name === "" || names.has(name)) throw new Error(`a missing or repeated name at masks[${i}]`);
    names.add(name);
    const shape = entry?.shape;
    if (!Array.isArray(shape) || shape.length === 0 || !shape.every((dim) => Number.isInteger(dim) && dim > 0)) {
      throw new Error(`an invalid shape at masks[${i}]`);
    }
    const kept = entry?.kept;
    if (!Number.isInteger(kept) || (kept as number) < 0 || (kept as number) > shapeSize(shape)) {
      throw new Error(`an invalid kept count at masks[${i}]`);
    }
    return { name, shape: shape as number[], kept: kept as number };
  });
}

function packedLength(total: number): number {
  return Math.ceil(total / 8);
}

function hex(value: number, digits: number): string {
  return `0x${value.toString(16).padStart(digits, "0")}`;
}
