import { argError, SparselabError } from "../errors.js";
import { SparseMatrix } from "./sparse-matrix.js";
import type { GemmOptions, KernelInfo, KernelMemory, KernelName, Kernels, SddmmOptions, SpconvOptions, SpmmOptions, UpdateOptions, UpdateRule } from "./types.js";

type F32 = Float32Array;
type I32 = Int32Array;

/**
 * What an implementation provides: the three kernels with every argument resolved and checked
 * (extents fit, m, n, k ≥ 1, alpha ≠ 0 for gemm; m, nout ≥ 1 for spmm; m, nnz ≥ 1 for sddmm).
 * `gate`'s and `bias`'s absence is `null`.
 */
export interface RawKernels {
  gemm(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number, a: F32, lda: number, b: F32, ldb: number,
    beta: number, c: F32, ldc: number, bias: F32 | null, relu: boolean, gate: F32 | null, ldg: number): void;
  /** y[i, o] = Σ_{j ∈ [ptr[o], ptr[o+1])} val[j]·x[i, idx[j]], then the epilogue. */
  spmm(m: number, kin: number, nout: number, ptr: I32, idx: I32, val: F32, x: F32, ldx: number, y: F32, ldy: number,
    bias: F32 | null, relu: boolean, gate: F32 | null, ldg: number): void;
  /** out[j] = Σᵢ x[i, r(j)]·dy[i, colIdx[j]] over the CSR (rowPtr, colIdx). */
  sddmm(m: number, rows: number, cols: number, rowPtr: I32, colIdx: I32, x: F32, ldx: number, dy: F32, ldy: number, out: F32): void;
  /** 3×3 "same" patches of NHWC images (n, h, w, c ≥ 1): cols [n·h·w, 9·c]. */
  im2col(n: number, h: number, w: number, c: number, x: F32, cols: F32): void;
  /** y[b, y, x, o] = Σ over the CSC (colPtr, rowIdx, val) of W [9·cin, cout] of the 3×3 patch terms, then the epilogue. */
  spconv(n: number, h: number, w: number, cin: number, cout: number, colPtr: I32, rowIdx: I32, val: F32, x: F32, y: F32,
    bias: F32 | null, relu: boolean, gate: F32 | null): void;
  /** out[j] = Σ over images and pixels of dy·x at nonzero j = (k, o) of the CSR (rowPtr, colIdx) of W [9·cin, cout] (n ≥ 1). */
  spconvGrad(n: number, h: number, w: number, cin: number, cout: number, rowPtr: I32, colIdx: I32, x: F32, dy: F32, out: F32): void;
  /** 2×2 max-pool (h, w ≥ 2). */
  maxPool(n: number, h: number, w: number, c: number, x: F32, out: F32, argmax: I32): void;
  /** Throws a SparselabError, before writing dx, when an argmax index is outside [0, n·h·w·c). */
  maxUnpool(n: number, h: number, w: number, c: number, dout: F32, argmax: I32, dx: F32): void;
  /**
   * Optimizer update (see UpdateRule); n = w.length; s0/s1 present as the rule needs. Throws a
   * SparselabError when an index is outside [0, n).
   */
  update(rule: ResolvedRule, n: number, count: number, index: I32 | null, compact: boolean, w: F32, g: F32,
    s0: F32 | null, s1: F32 | null, values: F32 | null): void;
  dispose(): void;
}

/** An UpdateRule with every default filled in and Adam's bias corrections computed. */
export interface ResolvedRule {
  readonly adam: boolean;
  readonly lr: number;
  /** momentum (SGD) or beta1 (Adam). */
  readonly a: number;
  readonly b: number;
  readonly eps: number;
  readonly wd: number;
  readonly nesterov: boolean;
  readonly decoupled: boolean;
  /** 1 − beta1^t and 1 − beta2^t (1 for SGD). */
  readonly c1: number;
  readonly c2: number;
}

/** Elements a row-major [rows, cols] operand with leading dimension ld spans. */
export function extent(rows: number, cols: number, ld: number): number {
  return rows === 0 || cols === 0 ? 0 : (rows - 1) * ld + cols;
}

/** Wraps an implementation with argument checking and defaults: the public `Kernels`. */
export function kernelSet(name: KernelName, threads: number, detail: string, raw: RawKernels, memory: KernelMemory,
  how: { reason: string; skipped: readonly string[] } = { reason: "created directly", skipped: [] }): Kernels {
  const info: KernelInfo = Object.freeze({ name, reason: how.reason, skipped: Object.freeze([...how.skipped]), detail });
  let disposed = false;
  const live = (call: string) => {
    if (disposed) throw new SparselabError(`kernels.${call}: the ${name} kernels were disposed`);
  };
  return Object.freeze({
    name,
    threads,
    info,
    allocFloat32: (length: number) => memory.allocFloat32(checkCount("kernels.allocFloat32", "length", length)),
    allocInt32: (length: number) => memory.allocInt32(checkCount("kernels.allocInt32", "length", length)),
    free: (array: F32 | I32) => memory.free(array),
    owns: (array: F32 | I32) => memory.owns(array),
    bytesInUse: () => memory.bytesInUse(),

    gemm(m: number, n: number, k: number, a: F32, b: F32, c: F32, o: GemmOptions = {}): void {
      const call = "kernels.gemm";
      live("gemm");
      checkCount(call, "m", m);
      checkCount(call, "n", n);
      checkCount(call, "k", k);
      const transA = checkBool(call, "transA", o.transA), transB = checkBool(call, "transB", o.transB);
      const alpha = checkFinite(call, "alpha", o.alpha ?? 1), beta = checkFinite(call, "beta", o.beta ?? 0);
      const [ar, ac] = transA ? [k, m] : [m, k];
      const [br, bc] = transB ? [n, k] : [k, n];
      const lda = checkLd(call, "lda", o.lda, ac), ldb = checkLd(call, "ldb", o.ldb, bc), ldc = checkLd(call, "ldc", o.ldc, n);
      const ldg = checkLd(call, "ldg", o.ldg ?? o.ldc, n);
      const used = m > 0 && n > 0 && k > 0 && alpha !== 0;
      checkArray(call, "a", a, used ? extent(ar, ac, lda) : 0);
      checkArray(call, "b", b, used ? extent(br, bc, ldb) : 0);
      checkArray(call, "c", c, extent(m, n, ldc));
      const bias = optional(call, "bias", o.bias, n), gate = optional(call, "gate", o.gate, extent(m, n, ldg));
      const relu = checkBool(call, "relu", o.relu);
      if (m === 0 || n === 0) return;
      if (!used) return scaleOnly(m, n, beta, c, ldc, bias, relu, gate, ldg);
      noOverlap(call, "c", c, extent(m, n, ldc), [["a", a, extent(ar, ac, lda)], ["b", b, extent(br, bc, ldb)]]);
      raw.gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, relu, gate, ldg);
    },

    spmm(m: number, x: F32, w: SparseMatrix, y: F32, o: SpmmOptions = {}): void {
      const call = "kernels.spmm";
      live("spmm");
      checkCount(call, "m", m);
      if (!(w instanceof SparseMatrix)) throw argError(call, "w", "a SparseMatrix", w);
      const transpose = checkBool(call, "transpose", o.transpose);
      const [kin, nout] = transpose ? [w.cols, w.rows] : [w.rows, w.cols];
      const ldx = checkLd(call, "ldx", o.ldx, kin), ldy = checkLd(call, "ldy", o.ldy, nout), ldg = checkLd(call, "ldg", o.ldg ?? o.ldy, nout);
      checkArray(call, "x", x, extent(m, kin, ldx));
      checkArray(call, "y", y, extent(m, nout, ldy));
      const bias = optional(call, "bias", o.bias, nout), gate = optional(call, "gate", o.gate, extent(m, nout, ldg));
      const relu = checkBool(call, "relu", o.relu);
      if (m === 0 || nout === 0) return;
      noOverlap(call, "y", y, extent(m, nout, ldy), [["x", x, extent(m, kin, ldx)]]);
      if (transpose) raw.spmm(m, kin, nout, w.rowPtr, w.colIdx, w.values, x, ldx, y, ldy, bias, relu, gate, ldg);
      else raw.spmm(m, kin, nout, w.colPtr, w.rowIdx, w.cscValues, x, ldx, y, ldy, bias, relu, gate, ldg);
    },

    sddmm(m: number, x: F32, dy: F32, w: SparseMatrix, out: F32, o: SddmmOptions = {}): void {
      const call = "kernels.sddmm";
      live("sddmm");
      checkCount(call, "m", m);
      if (!(w instanceof SparseMatrix)) throw argError(call, "w", "a SparseMatrix", w);
      const ldx = checkLd(call, "ldx", o.ldx, w.rows), ldy = checkLd(call, "ldy", o.ldy, w.cols);
      checkArray(call, "x", x, extent(m, w.rows, ldx));
      checkArray(call, "dy", dy, extent(m, w.cols, ldy));
      checkArray(call, "out", out, w.nnz);
      if (w.nnz === 0) return;
      if (m === 0) return void out.fill(0, 0, w.nnz);
      noOverlap(call, "out", out, w.nnz, [["x", x, extent(m, w.rows, ldx)], ["dy", dy, extent(m, w.cols, ldy)]]);
      raw.sddmm(m, w.rows, w.cols, w.rowPtr, w.colIdx, x, ldx, dy, ldy, out);
    },

    im2col(n: number, h: number, w: number, c: number, x: F32, cols: F32): void {
      const call = "kernels.im2col", size = checkImages(call, n, h, w, c);
      live("im2col");
      checkArray(call, "x", x, size);
      checkArray(call, "cols", cols, 9 * size);
      if (size === 0) return;
      noOverlap(call, "cols", cols, 9 * size, [["x", x, size]]);
      raw.im2col(n, h, w, c, x, cols);
    },

    spconv(n: number, h: number, w: number, x: F32, kernel: SparseMatrix, y: F32, o: SpconvOptions = {}): void {
      const call = "kernels.spconv";
      live("spconv");
      const { cin, cout, pixels } = convOperands(call, n, h, w, kernel, x, ["y", y]);
      const bias = optional(call, "bias", o.bias, cout), gate = optional(call, "gate", o.gate, pixels * cout);
      const relu = checkBool(call, "relu", o.relu);
      if (pixels === 0 || cout === 0) return;
      noOverlap(call, "y", y, pixels * cout, [["x", x, pixels * cin]]);
      raw.spconv(n, h, w, cin, cout, kernel.colPtr, kernel.rowIdx, kernel.cscValues, x, y, bias, relu, gate);
    },

    spconvGrad(n: number, h: number, w: number, x: F32, dy: F32, kernel: SparseMatrix, out: F32): void {
      const call = "kernels.spconvGrad";
      live("spconvGrad");
      const { cin, cout, pixels } = convOperands(call, n, h, w, kernel, x, ["dy", dy]);
      checkArray(call, "out", out, kernel.nnz);
      if (kernel.nnz === 0) return;
      if (pixels === 0) return void out.fill(0, 0, kernel.nnz);
      noOverlap(call, "out", out, kernel.nnz, [["x", x, pixels * cin], ["dy", dy, pixels * cout]]);
      raw.spconvGrad(n, h, w, cin, cout, kernel.rowPtr, kernel.colIdx, x, dy, out);
    },

    maxPool(n: number, h: number, w: number, c: number, x: F32, out: F32, argmax: I32): void {
      const call = "kernels.maxPool", { size, pooled } = poolShapes(call, n, h, w, c);
      live("maxPool");
      checkArray(call, "x", x, size);
      checkArray(call, "out", out, pooled);
      checkIndexArray(call, "argmax", argmax, pooled);
      if (pooled === 0) return;
      noOverlap(call, "out", out, pooled, [["x", x, size]]);
      raw.maxPool(n, h, w, c, x, out, argmax);
    },

    maxUnpool(n: number, h: number, w: number, c: number, dout: F32, argmax: I32, dx: F32): void {
      const call = "kernels.maxUnpool", { size, pooled } = poolShapes(call, n, h, w, c);
      live("maxUnpool");
      checkArray(call, "dout", dout, pooled);
      checkIndexArray(call, "argmax", argmax, pooled);
      checkArray(call, "dx", dx, size);
      noOverlap(call, "dx", dx, size, [["dout", dout, pooled]]);
      raw.maxUnpool(n, h, w, c, dout, argmax, dx);
    },

    update(rule: UpdateRule, w: F32, g: F32, slots: readonly F32[], o: UpdateOptions = {}): void {
      const call = "kernels.update";
      live("update");
      const r = resolveRule(call, rule);
      checkArray(call, "w", w, 0);
      const n = w.length;
      const index = o.index ?? null;
      if (index !== null && !(index instanceof Int32Array)) throw argError(call, "index", "an Int32Array", index);
      const count = o.count === undefined ? (index ? index.length : n) : checkCount(call, "count", o.count);
      if (count > (index ? index.length : n)) throw argError(call, "count", `at most ${index ? index.length : n}`, count);
      const compact = index !== null && checkBool(call, "compactGradient", o.compactGradient);
      checkArray(call, "g", g, compact || !index ? count : n);
      const need = r.adam ? 2 : r.a !== 0 ? 1 : 0;
      if (!Array.isArray(slots) || slots.length < need) throw argError(call, "slots", `${need} optimizer slot arrays`, slots);
      slots.slice(0, need).forEach((s, i) => checkArray(call, `slots[${i}]`, s, n));
      const values = optional(call, "values", o.values, count);
      if (count === 0) return;
      raw.update(r, n, count, index, compact, w, g, need >= 1 ? slots[0] : null, need >= 2 ? slots[1] : null, values);
    },

    dispose(): void {
      if (disposed) return;
      disposed = true;
      raw.dispose();
    },
  });
}

function resolveRule(call: string, rule: UpdateRule): ResolvedRule {
  if (rule === null || typeof rule !== "object") throw argError(call, "rule", "an update rule", rule);
  const lr = checkFinite(call, "rule.lr", rule.lr), wd = checkFinite(call, "rule.weightDecay", rule.weightDecay ?? 0);
  if (rule.kind === "sgd") {
    return { adam: false, lr, a: checkFinite(call, "rule.momentum", rule.momentum ?? 0), b: 0, eps: 0, wd,
      nesterov: checkBool(call, "rule.nesterov", rule.nesterov), decoupled: false, c1: 1, c2: 1 };
  }
  if (rule.kind !== "adam") throw argError(call, "rule.kind", '"sgd" | "adam"', (rule as { kind: unknown }).kind);
  const a = checkFinite(call, "rule.beta1", rule.beta1), b = checkFinite(call, "rule.beta2", rule.beta2);
  const t = rule.step;
  if (!Number.isInteger(t) || t < 1) throw argError(call, "rule.step", "an integer ≥ 1", t);
  return { adam: true, lr, a, b, eps: checkFinite(call, "rule.epsilon", rule.epsilon), wd, nesterov: false,
    decoupled: checkBool(call, "rule.decoupled", rule.decoupled), c1: 1 - a ** t, c2: 1 - b ** t };
}

/** k = 0 or alpha = 0: C = beta·C, then the epilogue (A and B are not read). */
function scaleOnly(m: number, n: number, beta: number, c: F32, ldc: number, bias: F32 | null, relu: boolean, gate: F32 | null, ldg: number): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let v = beta === 0 ? 0 : beta * c[i * ldc + j];
      if (bias) v += bias[j];
      if (relu && !(v > 0)) v = 0;
      if (gate && !(gate[i * ldg + j] > 0)) v = 0;
      c[i * ldc + j] = v;
    }
  }
}

function checkCount(call: string, arg: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 2 ** 31 - 1) {
    throw argError(call, arg, "a non-negative integer", value);
  }
  return value;
}

/**
 * The operands of a sparse 3×3 conv, checked: `kernel` a SparseMatrix [9·cin, cout], images `x`
 * [n, h, w, cin], and `output` [n, h, w, cout] (the output or its gradient).
 */
function convOperands(call: string, n: number, h: number, w: number, kernel: unknown, x: unknown,
  [name, output]: [string, unknown]): { cin: number; cout: number; pixels: number } {
  if (!(kernel instanceof SparseMatrix) || kernel.rows % 9 !== 0) {
    throw argError(call, "kernel", "a SparseMatrix [9·cin, cout] (a [3, 3, cin, cout] kernel)", kernel);
  }
  const cin = kernel.rows / 9, cout = kernel.cols;
  checkImages(call, n, h, w, Math.max(cin, cout));
  const pixels = n * h * w;
  checkArray(call, "x", x, pixels * cin);
  checkArray(call, name, output, pixels * cout);
  return { cin, cout, pixels };
}

/** An NHWC batch's n, h, w, c (non-negative integers, 9·n·h·w·c < 2³¹); returns n·h·w·c. */
function checkImages(call: string, n: number, h: number, w: number, c: number): number {
  for (const [arg, v] of [["n", n], ["h", h], ["w", w], ["c", c]] as const) checkCount(call, arg, v);
  const size = n * h * w * c;
  if (9 * size > 2 ** 31 - 1) throw argError(call, "n", `at most ${Math.floor((2 ** 31 - 1) / (9 * h * w * c))} images of ${h}×${w}×${c}`, n);
  return size;
}

/** Floats of an NHWC batch (checked as checkImages does) and of its 2×2 max-pool. */
function poolShapes(call: string, n: number, h: number, w: number, c: number): { size: number; pooled: number } {
  return { size: checkImages(call, n, h, w, c), pooled: n * (h >> 1) * (w >> 1) * c };
}

/**
 * For implementations of maxUnpool: every argmax index inside the input, checked before dx is
 * written (a SparselabError naming the first one outside).
 */
export function checkArgmax(argmax: I32, pooled: number, size: number): void {
  for (let o = 0; o < pooled; o++) {
    if (!(argmax[o] >= 0 && argmax[o] < size)) throw new SparselabError(`kernels.maxUnpool(argmax[${o}]): ${argmax[o]} is outside the input (length ${size})`);
  }
}

function checkIndexArray(call: string, arg: string, value: unknown, need: number): void {
  if (!(value instanceof Int32Array)) throw argError(call, arg, "an Int32Array", value);
  if (value.length < need) throw argError(call, arg, `an Int32Array of at least ${need} elements`, value);
}

function checkBool(call: string, arg: string, value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== "boolean") throw argError(call, arg, "a boolean", value);
  return value;
}

function checkFinite(call: string, arg: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value)) throw argError(call, arg, "a finite number", value);
  return value;
}

function checkLd(call: string, arg: string, value: unknown, cols: number): number {
  if (value === undefined) return Math.max(cols, 1);
  if (typeof value !== "number" || !Number.isInteger(value) || value < Math.max(cols, 1) || value > 2 ** 31 - 1) {
    throw argError(call, arg, `an integer ≥ ${Math.max(cols, 1)} (the row length)`, value);
  }
  return value;
}

function checkArray(call: string, arg: string, value: unknown, need: number): void {
  if (!(value instanceof Float32Array)) throw argError(call, arg, "a Float32Array", value);
  if (value.length < need) throw argError(call, arg, `a Float32Array of at least ${need} elements`, value);
}

function optional(call: string, arg: string, value: unknown, need: number): F32 | null {
  if (value === undefined || value === null) return null;
  checkArray(call, arg, value, need);
  return value as F32;
}

/** The output must not share memory with an input: the kernels read inputs while writing it. */
function noOverlap(call: string, arg: string, out: F32, outLength: number, inputs: [string, F32, number][]): void {
  const o0 = out.byteOffset, o1 = o0 + 4 * outLength;
  for (const [name, a, length] of inputs) {
    if (a.buffer !== out.buffer) continue;
    const a0 = a.byteOffset, a1 = a0 + 4 * length;
    if (a0 < o1 && o0 < a1) throw new SparselabError(`${call}(${arg}): overlaps input ${name}; the output must be a separate array`);
  }
}
