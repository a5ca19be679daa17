import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { refGemm, refSddmm, refSpmm, relativeError } from "./reference.js";
import { SparseMatrix } from "./sparse-matrix.js";
import { availableKernels, fillRandom, kernelLabel, randomMask, seededRandom } from "./testing.js";
import type { Kernels, UpdateRule } from "./types.js";

const TOL = 1e-5;
const impls = availableKernels();
/** Largest relative error seen per implementation and kernel, printed at the end. */
const worst = new Map<string, number>();
function agree(got: ArrayLike<number>, ref: Parameters<typeof relativeError>[1], label: string, stride?: { ld: number; cols: number }): void {
  const err = relativeError(got, ref, stride);
  const key = label.split(" ").slice(0, 2).join(" ");
  worst.set(key, Math.max(worst.get(key) ?? 0, err));
  expect(err, label).toBeLessThanOrEqual(TOL);
}
afterAll(() => {
  impls.forEach((k) => k.dispose());
  console.log("worst relative error (of Σ|terms|):", Object.fromEntries([...worst].map(([k, v]) => [k, Number(v.toExponential(2))])));
});

const hasAvx2 = (() => {
  try {
    return /\bavx2\b/.test(readFileSync("/proc/cpuinfo", "utf8")) && /\bfma\b/.test(readFileSync("/proc/cpuinfo", "utf8"));
  } catch {
    return false;
  }
})();

describe("available implementations", () => {
  it("JS and WASM always load; the addon loads on linux-x64 with AVX2/FMA", () => {
    const names = impls.map((k) => k.name);
    expect(names).toContain("js");
    expect(names).toContain("wasm");
    expect(impls.map(kernelLabel)).toContain("wasm×2");
    if (process.platform === "linux" && process.arch === "x64" && hasAvx2) expect(names).toContain("addon");
  });
});

interface GemmCase {
  m: number; n: number; k: number;
  transA: boolean; transB: boolean;
  alpha: number; beta: number;
  pad: number; // extra leading-dimension elements
  bias: boolean; relu: boolean; gate: boolean;
}

function gemmCases(): GemmCase[] {
  const shapes: [number, number, number][] = [
    [1, 1, 1], [6, 16, 8], [7, 13, 5], [37, 29, 53], [128, 100, 10], [12, 300, 128],
    [64, 48, 700], [250, 33, 20], [128, 300, 100], [5, 1, 300], [130, 17, 31],
  ];
  const random = seededRandom(7);
  const out: GemmCase[] = [];
  shapes.forEach(([m, n, k], s) => {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        const variant = (s + (transA ? 1 : 0) + (transB ? 2 : 0)) % 4;
        out.push({
          m, n, k, transA, transB,
          alpha: variant === 1 ? -0.5 : 1,
          beta: variant === 1 ? 0.7 : variant === 3 ? 1 : 0,
          pad: variant >= 2 ? 3 : 0,
          bias: variant !== 0, relu: variant === 2 || variant === 1, gate: variant === 3 || (variant === 2 && random() < 0.5),
        });
      }
    }
  });
  return out;
}

describe("every implementation agrees with the float64 reference (≤ 1e-5 of Σ|terms|)", () => {
  it.each(gemmCases().map((c) => [`${c.m}x${c.n}x${c.k} ${c.transA ? "T" : "N"}${c.transB ? "T" : "N"} α=${c.alpha} β=${c.beta} pad=${c.pad}${c.bias ? " bias" : ""}${c.relu ? " relu" : ""}${c.gate ? " gate" : ""}`, c] as const))(
    "gemm %s", (_label, c) => {
      const random = seededRandom(c.m * 1000 + c.n * 10 + c.k);
      const [ar, ac] = c.transA ? [c.k, c.m] : [c.m, c.k];
      const [br, bc] = c.transB ? [c.n, c.k] : [c.k, c.n];
      const lda = ac + c.pad, ldb = bc + c.pad, ldc = c.n + c.pad;
      const a = fillRandom(new Float32Array(ar * lda), random);
      const b = fillRandom(new Float32Array(br * ldb), random);
      const c0 = fillRandom(new Float32Array(c.m * ldc), random);
      const bias = c.bias ? fillRandom(new Float32Array(c.n), random) : undefined;
      const gate = c.gate ? fillRandom(new Float32Array(c.m * ldc), random) : undefined;
      const options = { transA: c.transA, transB: c.transB, alpha: c.alpha, beta: c.beta, lda, ldb, ldc, relu: c.relu };
      const ref = refGemm(c.m, c.n, c.k, a, b, c0, { ...options, bias, gate });
      for (const K of impls) {
        const cc = copy(K, c0);
        if (c.beta === 0) cc.fill(Number.NaN); // beta = 0 must not read C
        const [ka, kb, kbias, kgate] = [copy(K, a), copy(K, b), bias && copy(K, bias), gate && copy(K, gate)];
        K.gemm(c.m, c.n, c.k, ka, kb, cc, { ...options, bias: kbias, gate: kgate });
        agree(cc, ref, `${kernelLabel(K)} gemm`, { ld: ldc, cols: c.n });
        for (let i = 0; i < c.m && c.pad; i++) for (let j = c.n; j < ldc; j++) {
          if (c.beta === 0) expect(cc[i * ldc + j], `${kernelLabel(K)}: padding`).toBeNaN();
          else expect(cc[i * ldc + j], `${kernelLabel(K)}: padding`).toBe(c0[i * ldc + j]);
        }
        for (const arr of [ka, kb, cc, kbias, kgate]) if (arr) K.free(arr);
      }
    });

  it("gemm with k = 0 or alpha = 0 scales C and applies the epilogue", () => {
    for (const K of impls) {
      const c = K.allocFloat32(6).fill(2);
      K.gemm(2, 3, 0, new Float32Array(0), new Float32Array(0), c, { beta: 0.5, bias: new Float32Array([1, -3, 0]), relu: true });
      expect(Array.from(c), kernelLabel(K)).toEqual([2, 0, 1, 2, 0, 1]);
      K.gemm(2, 3, 4, new Float32Array(8), new Float32Array(12), c, { alpha: 0 });
      expect(Array.from(c), kernelLabel(K)).toEqual([0, 0, 0, 0, 0, 0]);
    }
  });

  const sparseShapes: [number, number, number][] = [
    // [batch m, rows (in), cols (out)]
    [128, 784, 300], [128, 300, 100], [45, 37, 23], [1, 19, 7], [33, 64, 10], [100, 10, 100], [200, 300, 100], [257, 120, 90], [48, 784, 300],
  ];
  const densities = [0.02, 0.1, 0.5, 0.9];
  // the LeNet layer 784×300 at the sparse end only (its float64 reference is the slow part)
  const sparseCases = sparseShapes.flatMap(([m, rows, cols]) =>
    densities.filter((d) => rows < 784 || d <= 0.1).map((d) => [m, rows, cols, d] as const));

  it.each(sparseCases)("spmm forward and transposed, sddmm: m=%i W %ix%i density %f", (m, rows, cols, density) => {
    const random = seededRandom(m + rows * 7 + cols * 13 + Math.round(density * 100));
    checkSparse(m, rows, cols, randomMask(rows * cols, density, random), random);
  });

  it("sparse kernels with empty rows and columns, and with no nonzeros at all", () => {
    const random = seededRandom(5);
    const rows = 50, cols = 41, m = 70;
    const mask = randomMask(rows * cols, 0.3, random);
    for (let r = 0; r < rows; r += 3) mask.fill(0, r * cols, (r + 1) * cols); // empty rows
    for (let c = 0; c < cols; c += 4) for (let r = 0; r < rows; r++) mask[r * cols + c] = 0; // empty columns
    checkSparse(m, rows, cols, mask, random);
    checkSparse(m, rows, cols, new Uint8Array(rows * cols), random);
  });
});

/** `src` copied into an array the kernels own (WASM memory for the wasm kernels). */
function copy(K: Kernels, src: Float32Array): Float32Array {
  const out = K.allocFloat32(src.length);
  out.set(src);
  return out;
}

/** spmm (both directions, with and without epilogues, with leading dimensions) and sddmm on one mask. */
function checkSparse(m: number, rows: number, cols: number, mask: Uint8Array, random: () => number): void {
  const dense = new Float32Array(rows * cols);
  for (let i = 0; i < dense.length; i++) dense[i] = mask[i] ? random() * 2 - 1 : 0;
  const x = fillRandom(new Float32Array(m * rows), random), dy = fillRandom(new Float32Array(m * cols), random);
  const bias = fillRandom(new Float32Array(cols), random), gate = fillRandom(new Float32Array(m * rows), random);
  const ldx = rows + 5, ldy = cols + 2;
  const xp = fillRandom(new Float32Array(m * ldx), random);
  const positions = new Int32Array(mask.reduce((s, b) => s + b, 0));
  for (let i = 0, q = 0; i < mask.length; i++) if (mask[i]) positions[q++] = i;
  const refs = {
    fwd: refSpmm(m, rows, cols, x, dense),
    fwdBiasRelu: refSpmm(m, rows, cols, x, dense, { bias, relu: true }),
    dx: refSpmm(m, rows, cols, dy, dense, { transpose: true }),
    dxGated: refSpmm(m, rows, cols, dy, dense, { transpose: true, gate }),
    strided: refSpmm(m, rows, cols, xp, dense, { ldx }),
    dw: refSddmm(m, rows, cols, x, dy, positions),
  };
  for (const K of impls) {
    const w = SparseMatrix.fromMask(rows, cols, mask, dense, K);
    expect(Array.from(w.flatIndices())).toEqual(Array.from(positions));
    const [kx, kdy, kbias, kgate, kxp] = [copy(K, x), copy(K, dy), copy(K, bias), copy(K, gate), copy(K, xp)];
    const y = K.allocFloat32(m * cols).fill(Number.NaN);
    K.spmm(m, kx, w, y);
    agree(y, refs.fwd, `${kernelLabel(K)} spmm-forward`);
    K.spmm(m, kx, w, y, { bias: kbias, relu: true });
    agree(y, refs.fwdBiasRelu, `${kernelLabel(K)} spmm-forward+bias+relu`);
    const dx = K.allocFloat32(m * rows).fill(Number.NaN);
    K.spmm(m, kdy, w, dx, { transpose: true });
    agree(dx, refs.dx, `${kernelLabel(K)} spmm-transposed`);
    K.spmm(m, kdy, w, dx, { transpose: true, gate: kgate });
    agree(dx, refs.dxGated, `${kernelLabel(K)} spmm-transposed+gate`);
    const yp = K.allocFloat32(m * ldy).fill(-7);
    K.spmm(m, kxp, w, yp, { ldx, ldy });
    agree(yp, refs.strided, `${kernelLabel(K)} spmm-strided`, { ld: ldy, cols });
    expect(yp[cols], `${kernelLabel(K)} padding`).toBe(-7);
    const out = K.allocFloat32(Math.max(w.nnz, 1)).fill(Number.NaN);
    K.sddmm(m, kx, kdy, w, out);
    agree(out.subarray(0, w.nnz), refs.dw, `${kernelLabel(K)} sddmm`);
    for (const arr of [kx, kdy, kbias, kgate, kxp, y, dx, yp, out]) K.free(arr);
    w.dispose();
  }
}

describe("foreign arrays", () => {
  it("plain arrays work everywhere (WASM copies them in and out)", () => {
    const random = seededRandom(11);
    const [m, n, k] = [20, 30, 40];
    const a = fillRandom(new Float32Array(m * k), random), b = fillRandom(new Float32Array(k * n), random);
    const ref = refGemm(m, n, k, a, b, new Float32Array(m * n), { beta: 0.5 });
    for (const K of impls) {
      const c = new Float32Array(m * n);
      K.gemm(m, n, k, a, b, c, { beta: 0.5 });
      expect(relativeError(c, ref), kernelLabel(K)).toBeLessThanOrEqual(TOL);
      const mask = randomMask(k * n, 0.3, random);
      const w = SparseMatrix.fromMask(k, n, mask, b); // heap arrays, not the kernels' memory
      const y = new Float32Array(m * n);
      K.spmm(m, a, w, y);
      const masked = b.map((v, i) => (mask[i] ? v : 0));
      expect(relativeError(y, refSpmm(m, k, n, a, masked)), kernelLabel(K)).toBeLessThanOrEqual(TOL);
    }
  });
});

describe("optimizer update kernel", () => {
  const rules: UpdateRule[] = [
    { kind: "sgd", lr: 0.1 },
    { kind: "sgd", lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-3 },
    { kind: "sgd", lr: 0.05, momentum: 0.8, weightDecay: 0 },
    { kind: "adam", lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 1e-2, step: 3 },
    { kind: "adam", lr: 2e-3, beta1: 0.8, beta2: 0.99, epsilon: 1e-6, weightDecay: 1e-2, decoupled: true, step: 1 },
  ];
  /** The rule in float64 on plain arrays (the reference). */
  function reference(r: UpdateRule, w: number[], g: (j: number, i: number) => number, s: number[][], idx: number[]): number[] {
    idx.forEach((i, j) => {
      const wd = r.weightDecay ?? 0;
      if (r.kind === "sgd") {
        const grad = g(j, i) + wd * w[i];
        let u = grad;
        if (r.momentum) {
          s[0][i] = r.momentum * s[0][i] + grad;
          u = r.nesterov ? grad + r.momentum * s[0][i] : s[0][i];
        }
        w[i] -= r.lr * u;
      } else {
        const grad = g(j, i) + (r.decoupled ? 0 : wd * w[i]);
        s[0][i] = r.beta1 * s[0][i] + (1 - r.beta1) * grad;
        s[1][i] = r.beta2 * s[1][i] + (1 - r.beta2) * grad * grad;
        const u = s[0][i] / (1 - r.beta1 ** r.step) / (Math.sqrt(s[1][i] / (1 - r.beta2 ** r.step)) + r.epsilon);
        w[i] -= r.lr * (u + (r.decoupled ? wd * w[i] : 0));
      }
    });
    return w;
  }
  const modes = ["all", "index", "index+compact"] as const;
  it.each(rules.flatMap((r) => modes.map((m) => [`${r.kind}${r.kind === "sgd" && r.momentum ? "+momentum" : ""}${r.kind === "sgd" && r.nesterov ? "+nesterov" : ""}${r.kind === "adam" && r.decoupled ? "W" : ""}`, m, r] as const)))(
    "%s, %s", (_label, mode, rule) => {
      const n = 70_001; // > the addon's threading threshold
      const random = seededRandom(n);
      const w0 = fillRandom(new Float32Array(n), random), g0 = fillRandom(new Float32Array(n), random);
      const s00 = fillRandom(new Float32Array(n), random).map(Math.abs), s10 = fillRandom(new Float32Array(n), random).map(Math.abs);
      const mask = randomMask(n, 0.3, random);
      const index = mode === "all" ? undefined : Int32Array.from([...mask.keys()].filter((i) => mask[i]));
      const compact = mode === "index+compact";
      const gCompact = index ? Float32Array.from(index, (i) => g0[i]) : g0;
      const ref = reference(rule, Array.from(w0), (j, i) => (compact ? gCompact[j] : g0[i]), [Array.from(s00), Array.from(s10)],
        index ? Array.from(index) : [...w0.keys()]);
      for (const K of impls) {
        const [w, g, s0, s1] = [copy(K, w0), copy(K, compact ? gCompact : g0), copy(K, s00), copy(K, s10)];
        const values = index ? K.allocFloat32(index.length) : undefined;
        const kindex = index ? K.allocInt32(index.length) : undefined;
        kindex?.set(index!);
        K.update(rule, w, g, [s0, s1], { index: kindex, compactGradient: compact, values });
        let worstErr = 0;
        for (let i = 0; i < n; i++) worstErr = Math.max(worstErr, Math.abs(w[i] - ref[i]) / (Math.abs(ref[i]) + 1e-3));
        expect(worstErr, kernelLabel(K)).toBeLessThan(1e-5);
        if (index) {
          let touched = 0, unsynced = 0;
          for (let i = 0; i < n; i++) if (!mask[i] && w[i] !== w0[i]) touched++;
          index.forEach((i, j) => { if (values![j] !== w[i]) unsynced++; });
          expect(touched, `${kernelLabel(K)}: pruned positions untouched`).toBe(0);
          expect(unsynced, `${kernelLabel(K)}: values = w[index]`).toBe(0);
        }
        for (const a of [w, g, s0, s1, values]) if (a) K.free(a);
        if (kindex) K.free(kindex);
      }
    });

  it("rejects indices outside the parameter", () => {
    for (const K of impls) {
      const w = K.allocFloat32(10), g = K.allocFloat32(10), index = K.allocInt32(2);
      index.set([3, 10]);
      expect(() => K.update({ kind: "sgd", lr: 0.1 }, w, g, [], { index }), kernelLabel(K)).toThrow(/outside the parameter/);
      expect(() => K.update({ kind: "adam", lr: 0.1, beta1: 0.9, beta2: 0.99, epsilon: 1e-8, step: 1 }, w, g, [w]), kernelLabel(K)).toThrow(/slots/);
    }
  });
});
