/**
 * `SparseDelta`: a fine-tuning result as a sparse difference θ − θ₀ — per tensor, sorted flat
 * (row-major) indices and float32 values — tied to the net family it was learned on. Deltas add
 * (composition, LT-SFT style), apply to a net (w[i] += v), revert, and serialise.
 *
 * The `.sldelta` format (version 1), all integers little-endian:
 *
 * | size | field                                                                              |
 * |------|------------------------------------------------------------------------------------|
 * | 6    | magic, ASCII `SLDLTA`                                                              |
 * | 2    | version, uint16 (= 1)                                                              |
 * | 4    | header length H, uint32                                                            |
 * | H    | UTF-8 JSON `{ family, meta, tensors: [{ name, shape, count }] }`                    |
 * | 8·n  | per tensor in header order: `count` uint32 indices, then `count` float32 values     |
 * | 4    | CRC-32 (IEEE) of every byte before it                                              |
 *
 * A decoder recounts and refuses indices out of range, unsorted or repeated: a checksum over the
 * encoder's own output could not catch an encoder bug.
 */
import { argError, describeValue, SparselabError } from "../errors.js";
import { checkFilePath, loadBytes, saveBytes } from "../io/atomic.js";
import { crc32 } from "../masks/crc32.js";
import { Mask, MaskSet } from "../masks/index.js";
import { formatShape, shapeSize } from "../masks/shape.js";
import type { Net, Weights } from "../nets/index.js";
import * as tf from "@tensorflow/tfjs";

export const DELTA_FILE_MAGIC = "SLDLTA";
export const DELTA_FILE_VERSION = 1;

/** One tensor's part of a delta: `values[j]` is added at flat index `indices[j]` (sorted, unique). */
export interface TensorDelta {
  readonly shape: readonly number[];
  readonly indices: Int32Array;
  readonly values: Float32Array;
}

/** What produced a delta (method, task, counts…): free-form JSON, kept through serialisation. */
export type DeltaMeta = Readonly<Record<string, unknown>>;

/** Undoes one `apply`: restores the exact values the entries held before it. */
export interface AppliedDelta {
  readonly delta: SparseDelta;
  revert(): void;
}

export class SparseDelta {
  /** The architecture it belongs to, as `net.family` (e.g. "vit:28x28x1:p7-d32-h4-f64-l2-c10"). */
  readonly family: string;
  readonly tensors: ReadonlyMap<string, TensorDelta>;
  readonly meta: DeltaMeta;

  private constructor(family: string, tensors: Map<string, TensorDelta>, meta: DeltaMeta) {
    this.family = family;
    this.tensors = tensors;
    this.meta = Object.freeze({ ...meta });
    Object.freeze(this);
  }

  /**
   * From per-tensor entries (validated: indices in range, sorted, unique, as many values).
   * Tensors with no entries are dropped.
   */
  static from(family: string, tensors: Iterable<readonly [string, TensorDelta]>, meta: DeltaMeta = {}): SparseDelta {
    const call = "SparseDelta.from";
    if (typeof family !== "string" || family === "") throw argError(call, "family", "a net family like net.family", family);
    const out = new Map<string, TensorDelta>();
    for (const [name, t] of tensors) {
      checkTensorDelta(call, name, t);
      if (out.has(name)) throw argError(call, "tensors", "unique tensor names", name);
      if (t.indices.length > 0) out.set(name, Object.freeze({ shape: Object.freeze([...t.shape]), indices: t.indices, values: t.values }));
    }
    return new SparseDelta(family, out, meta);
  }

  /** An empty delta for a family. */
  static empty(family: string, meta: DeltaMeta = {}): SparseDelta {
    return SparseDelta.from(family, [], meta);
  }

  /**
   * tuned − base at every entry where they differ (or, with `keep`, at exactly the entries
   * `keep` marks, zeros included), over the tensors `names` (default: every parameter of `net`).
   * `net` gives the family and the shapes.
   */
  static difference(net: Net, base: Weights, tuned: Weights, options: { names?: readonly string[]; keep?: MaskSet; meta?: DeltaMeta } = {}): SparseDelta {
    const call = "SparseDelta.difference";
    const names = options.names ?? [...net.params.keys()];
    const entries: [string, TensorDelta][] = [];
    for (const name of names) {
      const b = base.get(name);
      const t = tuned.get(name);
      const variable = net.params.get(name);
      if (!b || !t || !variable || b.length !== variable.size || t.length !== variable.size) {
        throw argError(call, "tuned", `parameter "${name}" of the net in both weight sets`, name);
      }
      const keep = options.keep?.has(name) ? options.keep.get(name).bits : undefined;
      const idx: number[] = [];
      for (let i = 0; i < t.length; i++) if (keep ? keep[i] === 1 : t[i] !== b[i]) idx.push(i);
      const indices = Int32Array.from(idx);
      const values = new Float32Array(idx.length);
      for (let j = 0; j < idx.length; j++) values[j] = t[idx[j]] - b[idx[j]];
      entries.push([name, { shape: variable.shape, indices, values }]);
    }
    return SparseDelta.from(net.family, entries, options.meta);
  }

  /** Stored entries over all tensors (entries whose value is exactly 0 count: they were selected). */
  get nnz(): number {
    let n = 0;
    for (const t of this.tensors.values()) n += t.indices.length;
    return n;
  }

  /** Stored entries of the tensors `names`. */
  count(names: Iterable<string>): number {
    let n = 0;
    for (const name of names) n += this.tensors.get(name)?.indices.length ?? 0;
    return n;
  }

  /** A copy with other metadata. */
  withMeta(meta: DeltaMeta): SparseDelta {
    return new SparseDelta(this.family, new Map(this.tensors), meta);
  }

  /** θ − θ₀ composed: entries of both, summed where both have one. Both must be for the same family. */
  add(other: SparseDelta): SparseDelta {
    this.#checkFamily("SparseDelta.add", "other", other);
    const names = [...new Set([...this.tensors.keys(), ...other.tensors.keys()])];
    return new SparseDelta(this.family, new Map(names.map((name) => {
      const a = this.tensors.get(name);
      const b = other.tensors.get(name);
      if (!a) return [name, b!];
      if (!b) return [name, a];
      if (shapeSize(a.shape) !== shapeSize(b.shape)) {
        throw new SparselabError(`SparseDelta.add(other): expected "${name}" to have shape ${formatShape(a.shape)}, received ${formatShape(b.shape)}`);
      }
      return [name, mergeSorted(a, b)];
    })), { composedOf: [this.meta, other.meta] });
  }

  /** Every value times `factor` (e.g. −1, or a task-arithmetic weight). */
  scale(factor: number): SparseDelta {
    if (typeof factor !== "number" || !Number.isFinite(factor)) throw argError("SparseDelta.scale", "factor", "a finite number", factor);
    return new SparseDelta(this.family, new Map([...this.tensors].map(([name, t]) => [name, { ...t, values: t.values.map((v) => v * factor) }])), this.meta);
  }

  /** Adds the delta into `net`'s weights in place; the returned handle reverts exactly. */
  apply(net: Net): AppliedDelta {
    this.#checkNet("SparseDelta.apply", net);
    const saved = new Map<string, Float32Array>();
    for (const [name, t] of this.tensors) {
      const variable = net.params.get(name)!;
      const w = Float32Array.from(variable.dataSync() as Float32Array);
      const before = new Float32Array(t.indices.length);
      for (let j = 0; j < t.indices.length; j++) {
        before[j] = w[t.indices[j]];
        w[t.indices[j]] += t.values[j];
      }
      saved.set(name, before);
      assign(variable, w);
    }
    let reverted = false;
    return Object.freeze({
      delta: this,
      revert: () => {
        if (reverted) throw new SparselabError("AppliedDelta.revert(): this application was already reverted");
        reverted = true;
        for (const [name, t] of this.tensors) {
          const variable = net.params.get(name)!;
          const w = Float32Array.from(variable.dataSync() as Float32Array);
          const before = saved.get(name)!;
          for (let j = 0; j < t.indices.length; j++) w[t.indices[j]] = before[j];
          assign(variable, w);
        }
      },
    });
  }

  /**
   * Subtracts the delta from `net`'s weights in place (w[i] −= v). Float addition is not exactly
   * invertible: to restore a net bit for bit, revert the handle `apply` returned.
   */
  revert(net: Net): void {
    this.#checkNet("SparseDelta.revert", net);
    for (const [name, t] of this.tensors) {
      const variable = net.params.get(name)!;
      const w = Float32Array.from(variable.dataSync() as Float32Array);
      for (let j = 0; j < t.indices.length; j++) w[t.indices[j]] -= t.values[j];
      assign(variable, w);
    }
  }

  /** A new net: a copy of `net` with the delta added (the base is left untouched). */
  applyTo(net: Net): Net {
    this.#checkNet("SparseDelta.applyTo", net);
    const copy = net.clone();
    this.apply(copy);
    return copy;
  }

  /** The entries as masks (1 where the delta has an entry), over `tensors` (default: its own tensors). */
  support(tensors?: readonly { name: string; shape: readonly number[] }[]): MaskSet {
    const list = tensors ?? [...this.tensors].map(([name, t]) => ({ name, shape: t.shape }));
    return MaskSet.from(list.map(({ name, shape }) => {
      const bits = new Uint8Array(shapeSize(shape));
      const t = this.tensors.get(name);
      if (t) {
        if (shapeSize(t.shape) !== bits.length) throw argError("SparseDelta.support", "tensors", `"${name}" of shape ${formatShape(t.shape)}`, shape);
        for (const i of t.indices) bits[i] = 1;
      }
      return [name, Mask.fromBits(shape, bits)] as const;
    }));
  }

  /** Entries two deltas share, and their union, over all tensors. */
  overlap(other: SparseDelta): { shared: number; union: number; iou: number } {
    this.#checkFamily("SparseDelta.overlap", "other", other);
    let shared = 0;
    for (const [name, t] of this.tensors) {
      const o = other.tensors.get(name);
      if (!o) continue;
      let i = 0;
      let j = 0;
      while (i < t.indices.length && j < o.indices.length) {
        if (t.indices[i] === o.indices[j]) { shared++; i++; j++; } else if (t.indices[i] < o.indices[j]) i++; else j++;
      }
    }
    const union = this.nnz + other.nnz - shared;
    return { shared, union, iou: union === 0 ? 1 : shared / union };
  }

  encode(): Uint8Array {
    const list = [...this.tensors];
    const header = new TextEncoder().encode(JSON.stringify({
      family: this.family, meta: this.meta, tensors: list.map(([name, t]) => ({ name, shape: t.shape, count: t.indices.length })),
    }));
    const body = list.reduce((n, [, t]) => n + 8 * t.indices.length, 0);
    const out = new Uint8Array(12 + header.length + body + 4);
    const view = new DataView(out.buffer);
    out.set(new TextEncoder().encode(DELTA_FILE_MAGIC), 0);
    view.setUint16(6, DELTA_FILE_VERSION, true);
    view.setUint32(8, header.length, true);
    out.set(header, 12);
    let offset = 12 + header.length;
    for (const [, t] of list) {
      for (const i of t.indices) { view.setUint32(offset, i, true); offset += 4; }
      for (const v of t.values) { view.setFloat32(offset, v, true); offset += 4; }
    }
    view.setUint32(offset, crc32(out.subarray(0, offset)), true);
    return out;
  }

  static decode(bytes: Uint8Array, context = "SparseDelta.decode(bytes)"): SparseDelta {
    const fail = (expected: string, received: string) => new SparselabError(`${context}: expected ${expected}, received ${received}`);
    if (!(bytes instanceof Uint8Array)) throw fail("a Uint8Array", describeValue(bytes));
    if (bytes.length < 16 || new TextDecoder().decode(bytes.subarray(0, 6)) !== DELTA_FILE_MAGIC) {
      throw fail(`a sparselab delta file (starting with "${DELTA_FILE_MAGIC}")`, `${bytes.length} bytes starting with ${JSON.stringify(new TextDecoder().decode(bytes.subarray(0, 6)))}`);
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const version = view.getUint16(6, true);
    if (version !== DELTA_FILE_VERSION) throw fail(`format version ${DELTA_FILE_VERSION}`, `version ${version}`);
    const stored = view.getUint32(bytes.length - 4, true);
    const computed = crc32(bytes.subarray(0, bytes.length - 4));
    if (stored !== computed) throw fail(`checksum 0x${stored.toString(16).padStart(8, "0")}`, `data with checksum 0x${computed.toString(16).padStart(8, "0")} (truncated or corrupted)`);
    const headerLength = view.getUint32(8, true);
    let header: { family: string; meta: DeltaMeta; tensors: { name: string; shape: number[]; count: number }[] };
    try {
      header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(12, 12 + headerLength)));
    } catch (error) {
      throw fail("a JSON header", (error as Error).message);
    }
    if (!Array.isArray(header?.tensors) || typeof header.family !== "string") throw fail("a header with family and tensors", describeValue(header));
    let offset = 12 + headerLength;
    const expected = header.tensors.reduce((n, t) => n + 8 * (Number.isInteger(t.count) ? t.count : NaN), offset + 4);
    if (expected !== bytes.length) throw fail(`${expected} bytes for the entries in the header`, `${bytes.length}`);
    const entries: [string, TensorDelta][] = header.tensors.map((t) => {
      const indices = new Int32Array(t.count);
      const values = new Float32Array(t.count);
      for (let j = 0; j < t.count; j++) { indices[j] = view.getUint32(offset, true); offset += 4; }
      for (let j = 0; j < t.count; j++) { values[j] = view.getFloat32(offset, true); offset += 4; }
      return [t.name, { shape: t.shape, indices, values }];
    });
    try {
      return SparseDelta.from(header.family, entries, header.meta ?? {});
    } catch (error) {
      throw fail("valid entries", (error as Error).message);
    }
  }

  /** Writes the delta atomically (temp file, fsync, rename) in the `.sldelta` format. */
  async save(path: string): Promise<void> {
    checkFilePath("SparseDelta.save", path);
    await saveBytes("SparseDelta.save", path, this.encode());
  }

  static async load(path: string): Promise<SparseDelta> {
    const bytes = await loadBytes("SparseDelta.load", path);
    return SparseDelta.decode(bytes, `SparseDelta.load(${JSON.stringify(path)})`);
  }

  toString(): string {
    return `SparseDelta(${this.family}: ${this.nnz} entries in ${this.tensors.size} tensors)`;
  }

  #checkFamily(call: string, arg: string, other: unknown): asserts other is SparseDelta {
    if (!(other instanceof SparseDelta)) throw argError(call, arg, "a SparseDelta", other);
    if (other.family !== this.family) {
      throw new SparselabError(`${call}(${arg}): expected a delta for ${JSON.stringify(this.family)}, received one for ${JSON.stringify(other.family)}`);
    }
  }

  #checkNet(call: string, net: Net): void {
    if (typeof net !== "object" || net === null || !(net.params instanceof Map)) throw argError(call, "net", "a sparselab Net", net);
    if (net.family !== this.family) {
      throw new SparselabError(`${call}(net): expected a net of family ${JSON.stringify(this.family)} (the delta's architecture), received ${JSON.stringify(net.family)}`);
    }
    for (const [name, t] of this.tensors) {
      const variable = net.params.get(name);
      if (!variable) throw new SparselabError(`${call}(net): expected a parameter "${name}", received a net without one`);
      if (variable.size !== shapeSize(t.shape)) {
        throw new SparselabError(`${call}(net): expected "${name}" of shape ${formatShape(t.shape)}, received ${formatShape(variable.shape)}`);
      }
    }
  }
}

/**
 * `sl.compose(a, b, …)`: the sum of deltas for one family (LT-SFT composition: θ₀ + Δa + Δb).
 * `sl.compose(domain, task).applyTo(pre)` returns a new net.
 */
export function compose(...deltas: SparseDelta[]): SparseDelta {
  if (deltas.length === 0) throw argError("compose", "deltas", "at least one SparseDelta", deltas);
  deltas.forEach((d, i) => {
    if (!(d instanceof SparseDelta)) throw argError("compose", `deltas[${i}]`, "a SparseDelta", d);
    if (d.family !== deltas[0].family) {
      throw new SparselabError(`compose(deltas[${i}]): expected a delta for ${JSON.stringify(deltas[0].family)} (as deltas[0]), received one for ${JSON.stringify(d.family)}`);
    }
  });
  return deltas.slice(1).reduce((sum, d) => sum.add(d), deltas[0]);
}

function assign(variable: tf.Variable, values: Float32Array): void {
  const t = tf.tensor(values, variable.shape, "float32");
  variable.assign(t);
  t.dispose();
}

function checkTensorDelta(call: string, name: unknown, t: TensorDelta): void {
  if (typeof name !== "string" || name === "") throw argError(call, "tensors", "[name, entries] pairs with non-empty names", name);
  if (typeof t !== "object" || t === null || !(t.indices instanceof Int32Array) || !(t.values instanceof Float32Array)) {
    throw argError(call, `tensors["${name}"]`, "{ shape, indices: Int32Array, values: Float32Array }", t);
  }
  if (!Array.isArray(t.shape) || t.shape.length === 0 || t.shape.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw argError(call, `tensors["${name}"].shape`, "positive integer dimensions", t.shape);
  }
  if (t.values.length !== t.indices.length) throw argError(call, `tensors["${name}"].values`, `${t.indices.length} values (one per index)`, t.values);
  const size = shapeSize(t.shape);
  for (let j = 0; j < t.indices.length; j++) {
    const i = t.indices[j];
    if (i < 0 || i >= size) throw argError(call, `tensors["${name}"].indices[${j}]`, `an index in [0, ${size})`, i);
    if (j > 0 && i <= t.indices[j - 1]) throw argError(call, `tensors["${name}"].indices[${j}]`, `sorted unique indices (after ${t.indices[j - 1]})`, i);
    if (!Number.isFinite(t.values[j])) throw argError(call, `tensors["${name}"].values[${j}]`, "a finite number", t.values[j]);
  }
}

function mergeSorted(a: TensorDelta, b: TensorDelta): TensorDelta {
  const idx: number[] = [];
  const val: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.indices.length || j < b.indices.length) {
    if (j >= b.indices.length || (i < a.indices.length && a.indices[i] < b.indices[j])) { idx.push(a.indices[i]); val.push(a.values[i]); i++; }
    else if (i >= a.indices.length || b.indices[j] < a.indices[i]) { idx.push(b.indices[j]); val.push(b.values[j]); j++; }
    else { idx.push(a.indices[i]); val.push(a.values[i] + b.values[j]); i++; j++; }
  }
  return { shape: a.shape, indices: Int32Array.from(idx), values: Float32Array.from(val) };
}
