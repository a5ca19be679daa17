/**
 * Co-permutation of a ViT's coupled weights (S²FT). Heads move as blocks of dh columns of q, k, v
 * (and their biases) together with the same blocks of rows of o; FFN channels move as columns of
 * `up` (and `up.bias`) together with rows of `down`. The permuted net computes the same function
 * (up to float summation order), and a permutation that lists the chosen units first makes them
 * contiguous: dense slices [0, s) that train as ordinary tensors.
 */
import { argError } from "../errors.js";
import type { VitSpec, Weights } from "../nets/index.js";
import { vitGeometry } from "../nets/vit.js";

/** Per block (block1 first): new position p holds old unit `heads[b][p]` / `channels[b][p]`. */
export interface VitPermutation {
  readonly heads: readonly Int32Array[];
  readonly channels: readonly Int32Array[];
}

export function identityPermutation(spec: VitSpec): VitPermutation {
  return {
    heads: Array.from({ length: spec.depth }, () => Int32Array.from({ length: spec.heads }, (_, i) => i)),
    channels: Array.from({ length: spec.depth }, () => Int32Array.from({ length: spec.mlp }, (_, i) => i)),
  };
}

/** `chosen` first (in the order given), then the rest in their original order. */
export function chosenFirst(chosen: readonly number[], total: number): Int32Array {
  const set = new Set(chosen);
  return Int32Array.from([...chosen, ...Array.from({ length: total }, (_, i) => i).filter((i) => !set.has(i))]);
}

export function invertPermutation(perm: VitPermutation): VitPermutation {
  const inv = (p: Int32Array) => {
    const out = new Int32Array(p.length);
    p.forEach((old, i) => (out[old] = i));
    return out;
  };
  return { heads: perm.heads.map(inv), channels: perm.channels.map(inv) };
}

function checkPermutation(call: string, arg: string, p: Int32Array | undefined, n: number): Int32Array {
  if (!(p instanceof Int32Array) || p.length !== n || new Set(p).size !== n || p.some((v) => v < 0 || v >= n)) {
    throw argError(call, arg, `a permutation of 0…${n - 1}`, p);
  }
  return p;
}

/** Columns: out[:, j] = w[:, map(j)] for a [rows, cols] row-major matrix. */
function permuteColumns(w: Float32Array, rows: number, cols: number, source: Int32Array): Float32Array {
  const out = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) out[r * cols + j] = w[r * cols + source[j]];
  return out;
}

function permuteRows(w: Float32Array, rows: number, cols: number, source: Int32Array): Float32Array {
  const out = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) out.set(w.subarray(source[r] * cols, (source[r] + 1) * cols), r * cols);
  return out;
}

/** Expands a head permutation to the dh-wide column blocks it moves. */
function headColumns(heads: Int32Array, dh: number): Int32Array {
  const out = new Int32Array(heads.length * dh);
  heads.forEach((old, p) => { for (let j = 0; j < dh; j++) out[p * dh + j] = old * dh + j; });
  return out;
}

/** A new weight map with the ViT's heads and channels permuted (other parameters are shared, not copied). */
export function permuteVit(spec: VitSpec, weights: Weights, perm: VitPermutation): Map<string, Float32Array> {
  const call = "permuteVit";
  const g = vitGeometry(spec);
  const { dim: d, mlp: f } = spec;
  if (perm.heads.length !== spec.depth || perm.channels.length !== spec.depth) throw argError(call, "perm", `one head and one channel permutation per block (${spec.depth})`, perm.heads.length);
  const out = new Map(weights);
  const get = (name: string) => {
    const w = weights.get(name);
    if (!w) throw argError(call, "weights", `a parameter "${name}"`, undefined);
    return w;
  };
  g.blocks.forEach((block, b) => {
    const cols = headColumns(checkPermutation(call, `perm.heads[${b}]`, perm.heads[b], spec.heads), g.headDim);
    for (const m of ["q", "k", "v"]) {
      out.set(`${block}.attn.${m}.kernel`, permuteColumns(get(`${block}.attn.${m}.kernel`), d, d, cols));
      out.set(`${block}.attn.${m}.bias`, permuteColumns(get(`${block}.attn.${m}.bias`), 1, d, cols));
    }
    out.set(`${block}.attn.o.kernel`, permuteRows(get(`${block}.attn.o.kernel`), d, d, cols));
    const ch = checkPermutation(call, `perm.channels[${b}]`, perm.channels[b], f);
    out.set(`${block}.ffn.up.kernel`, permuteColumns(get(`${block}.ffn.up.kernel`), d, f, ch));
    out.set(`${block}.ffn.up.bias`, permuteColumns(get(`${block}.ffn.up.bias`), 1, f, ch));
    out.set(`${block}.ffn.down.kernel`, permuteRows(get(`${block}.ffn.down.kernel`), f, d, ch));
  });
  return out;
}
