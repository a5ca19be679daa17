/**
 * The `.slckpt` checkpoint format (version 1): a net's spec and weights, its masks and free-form
 * metadata (step, metrics…). All integers little-endian.
 *
 * | size | field                                                                          |
 * |------|--------------------------------------------------------------------------------|
 * | 6    | magic, ASCII `SLCKPT`                                                          |
 * | 2    | version, uint16 (= 1)                                                          |
 * | 4    | header length H, uint32                                                        |
 * | H    | UTF-8 JSON `{ spec, params: [{ name, shape }], maskBytes, meta }`               |
 * | 4·P  | float32 values of every parameter, in header order (P = total parameter count) |
 * | M    | the masks in the `.slmask` format (M = header.maskBytes)                        |
 * | 4    | CRC-32 of every byte before it                                                 |
 */
import { argError, SparselabError } from "../errors.js";
import { decodeMaskSet, encodeMaskSet, MaskSet } from "../masks/index.js";
import { crc32 } from "../masks/crc32.js";
import { buildNet, Net, type NetSpec } from "../nets/index.js";
import { checkFilePath, loadBytes, saveBytes } from "./atomic.js";

const MAGIC = "SLCKPT";
const VERSION = 1;

export interface Checkpoint {
  readonly net: Net;
  readonly masks: MaskSet;
  readonly meta: Readonly<Record<string, unknown>>;
}

interface Header {
  spec: NetSpec;
  params: { name: string; shape: number[] }[];
  maskBytes: number;
  meta: Record<string, unknown>;
}

export function encodeCheckpoint(net: Net, masks: MaskSet, meta: Record<string, unknown> = {}): Uint8Array {
  masks.checkAgainst(net.prunable);
  const weights = net.snapshot();
  const maskBytes = encodeMaskSet(masks);
  const header = new TextEncoder().encode(JSON.stringify({
    spec: net.spec,
    params: [...net.params].map(([name, v]) => ({ name, shape: v.shape })),
    maskBytes: maskBytes.length,
    meta,
  } satisfies Header));
  const floats = [...weights.values()].reduce((n, w) => n + w.length, 0);
  const out = new Uint8Array(12 + header.length + 4 * floats + maskBytes.length + 4);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(MAGIC), 0);
  view.setUint16(6, VERSION, true);
  view.setUint32(8, header.length, true);
  out.set(header, 12);
  let offset = 12 + header.length;
  for (const w of weights.values()) {
    for (let i = 0; i < w.length; i++, offset += 4) view.setFloat32(offset, w[i], true);
  }
  out.set(maskBytes, offset);
  view.setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)), true);
  return out;
}

export function decodeCheckpoint(bytes: Uint8Array, source = "decodeCheckpoint(bytes)"): Checkpoint {
  const corrupt = (why: string) => new SparselabError(`${source}: not a valid sparselab checkpoint (${why})`);
  if (bytes.length < 16 || new TextDecoder().decode(bytes.subarray(0, 6)) !== MAGIC) throw corrupt("bad magic or too short");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint16(6, true) !== VERSION) throw corrupt(`unsupported version ${view.getUint16(6, true)}`);
  if (crc32(bytes.subarray(0, bytes.length - 4)) !== view.getUint32(bytes.length - 4, true)) throw corrupt("checksum mismatch: truncated or corrupted");
  const headerLength = view.getUint32(8, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerLength))) as Header;
  let offset = 12 + headerLength;
  const weights = new Map<string, Float32Array>();
  for (const p of header.params) {
    const size = p.shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    for (let i = 0; i < size; i++, offset += 4) values[i] = view.getFloat32(offset, true);
    weights.set(p.name, values);
  }
  const masks = decodeMaskSet(bytes.subarray(offset, offset + header.maskBytes));
  if (offset + header.maskBytes + 4 !== bytes.length) throw corrupt("length does not match the header");
  const net = buildNet(header.spec);
  net.load(weights);
  return { net, masks, meta: header.meta };
}

/** Writes a checkpoint atomically (temp file + fsync + rename): an interrupted save never leaves half a file. */
export async function saveCheckpoint(path: string, net: Net, masks: MaskSet, meta: Record<string, unknown> = {}): Promise<void> {
  checkFilePath("saveCheckpoint", path);
  if (!(net instanceof Net)) throw argError("saveCheckpoint", "net", "a sparselab Net", net);
  await saveBytes("saveCheckpoint", path, encodeCheckpoint(net, masks, meta));
}

export async function loadCheckpoint(path: string): Promise<Checkpoint> {
  const bytes = await loadBytes("loadCheckpoint", path);
  return decodeCheckpoint(bytes, `loadCheckpoint(${JSON.stringify(path)})`);
}
