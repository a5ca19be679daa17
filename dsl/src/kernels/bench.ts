import { loadavg } from "node:os";
import { argError } from "../errors.js";
import { createAddonKernels } from "./addon.js";
import { createJsKernels } from "./js.js";
import { SparseMatrix } from "./sparse-matrix.js";
import { fillRandom, randomMask, seededRandom } from "./testing.js";
import type { KernelName, Kernels } from "./types.js";
import { createWasmKernels } from "./wasm.js";

/** [batch M, in K, out N]: a layer y[M, N] = x[M, K]·W[K, N]. */
export type LayerShape = readonly [number, number, number];

/** An implementation, optionally with a thread count ("wasm" on 2 worker threads: { name: "wasm", threads: 2 }). */
export type KernelChoice = KernelName | { readonly name: KernelName; readonly threads: number };

export interface KernelBenchOptions {
  /** Implementations to measure (default: addon, wasm, wasm on 2 threads, js — those that load here). */
  readonly implementations?: readonly KernelChoice[];
  readonly shapes?: readonly LayerShape[];
  /** Sparsities of the sparse kernels (default 0.8, 0.9, 0.95, 0.98). */
  readonly sparsities?: readonly number[];
  /** Samples per measurement, taken in rounds over all operations of a shape; the median is reported (default 15). */
  readonly samples?: number;
  /** Each sample repeats the call for at least this long (default 30 ms; JS: a third). */
  readonly minSampleMs?: number;
}

export type KernelOp = "gemm NN" | "gemm NT" | "gemm TN" | "spmm fwd" | "spmm dX" | "sddmm dW";

export interface KernelBenchRow {
  readonly kernels: KernelName;
  readonly threads: number;
  /** "128x784x300" = M×K×N. */
  readonly shape: string;
  readonly op: KernelOp;
  /** 0 for gemm. */
  readonly sparsity: number;
  /** Median time per call. */
  readonly ms: number;
  /** Dense-equivalent: 2·M·K·N / time, whatever the sparsity. */
  readonly gflops: number;
  /** The same from the fastest sample: closer to an idle machine's figure when others load the CPU. */
  readonly bestGflops: number;
  /**
   * Time of the dense gemm that does the same job (fwd: NN, dX: NT, dW: TN) / this time: the median
   * over rounds of the two samples' ratio within a round, which were taken close together.
   */
  readonly speedup: number;
}

export interface KernelBenchResult {
  readonly rows: readonly KernelBenchRow[];
  /** 1-minute load average before and after: other work on the machine skews the numbers. */
  readonly load: { readonly before: number; readonly after: number };
}

export const BENCH_SHAPES: readonly LayerShape[] = [[128, 784, 300], [128, 300, 100]];

/**
 * GFLOP/s of gemm NN / NT / TN (the forward, dX and dW products of a dense layer) and of the
 * sparse forward, dX and sampled dW at each sparsity, per implementation: medians of repeated
 * timed runs. Operands live in the kernels' own memory (no copies are timed).
 */
export function benchKernels(options: KernelBenchOptions = {}): KernelBenchResult {
  const before = loadavg()[0];
  const rows: KernelBenchRow[] = [];
  for (const kernels of createImplementations(options.implementations)) {
    try {
      for (const shape of options.shapes ?? BENCH_SHAPES) rows.push(...benchShape(kernels, shape, options));
    } finally {
      kernels.dispose();
    }
  }
  return { rows, load: { before, after: loadavg()[0] } };
}

export const ALL_CHOICES: readonly KernelChoice[] = ["addon", "wasm", { name: "wasm", threads: 2 }, "js"];

/** Creates each choice that loads here (the others are left out). */
export function createImplementations(choices: readonly KernelChoice[] = ALL_CHOICES): Kernels[] {
  const out: Kernels[] = [];
  for (const choice of choices) {
    const { name, threads } = typeof choice === "string" ? { name: choice, threads: undefined } : choice;
    try {
      out.push(name === "addon" ? createAddonKernels({ threads }) : name === "wasm" ? createWasmKernels({ threads }) : createJsKernels());
    } catch {
      // not available on this machine
    }
  }
  return out;
}

function benchShape(k: Kernels, [M, K, N]: LayerShape, options: KernelBenchOptions): KernelBenchRow[] {
  const samples = options.samples ?? 15;
  const minMs = options.minSampleMs ?? (k.name === "js" ? 10 : 30);
  const random = seededRandom(M * 31 + K * 7 + N);
  const x = fillRandom(k.allocFloat32(M * K), random), dy = fillRandom(k.allocFloat32(M * N), random);
  const wDense = fillRandom(k.allocFloat32(K * N), random);
  const y = k.allocFloat32(M * N), dx = k.allocFloat32(M * K), dw = k.allocFloat32(K * N);
  const flops = 2 * M * K * N;
  const shape = `${M}x${K}x${N}`;
  const row = (op: KernelOp, sparsity: number, t: SampleTimes, dense: SampleTimes): KernelBenchRow => ({
    kernels: k.name, threads: k.threads, shape, op, sparsity, ms: t.median, gflops: flops / (t.median * 1e6),
    bestGflops: flops / (t.min * 1e6), speedup: median(t.samples.map((ms, i) => dense.samples[i] / ms)),
  });
  // Every operation is timed once per round, round after round, so that a slow spell of a shared
  // machine falls on the dense and the sparse kernels alike and their ratio stays meaningful.
  const ops: { op: KernelOp; sparsity: number; dense: number; run: () => void }[] = [
    { op: "gemm NN", sparsity: 0, dense: 0, run: () => k.gemm(M, N, K, x, wDense, y) },
    { op: "gemm NT", sparsity: 0, dense: 1, run: () => k.gemm(M, K, N, dy, wDense, dx, { transB: true }) },
    { op: "gemm TN", sparsity: 0, dense: 2, run: () => k.gemm(K, N, M, x, dy, dw, { transA: true }) },
  ];
  const sparse: { w: SparseMatrix; out: Float32Array }[] = [];
  for (const sparsity of options.sparsities ?? [0.8, 0.9, 0.95, 0.98]) {
    const w = SparseMatrix.fromMask(K, N, randomMask(K * N, 1 - sparsity, random), wDense, k);
    const out = k.allocFloat32(w.nnz);
    sparse.push({ w, out });
    ops.push(
      { op: "spmm fwd", sparsity, dense: 0, run: () => k.spmm(M, x, w, y) },
      { op: "spmm dX", sparsity, dense: 1, run: () => k.spmm(M, dy, w, dx, { transpose: true }) },
      { op: "sddmm dW", sparsity, dense: 2, run: () => k.sddmm(M, x, dy, w, out) },
    );
  }
  const times = interleavedTimes(ops.map((o) => o.run), samples, minMs);
  const rows = ops.map((o, i) => row(o.op, o.sparsity, times[i], times[o.dense]));
  for (const { w, out } of sparse) {
    k.free(out);
    w.dispose();
  }
  for (const a of [x, dy, wDense, y, dx, dw]) k.free(a);
  return rows;
}

/** sampleTimes of each function, their samples taken in turns (one of each per round). */
export function interleavedTimes(fns: readonly (() => void)[], samples: number, minMs: number): SampleTimes[] {
  for (const fn of fns) for (let warm = performance.now(); performance.now() - warm < Math.min(minMs, 50);) fn();
  return inTurns(fns.map((fn) => () => timeSample(fn, minMs)), samples);
}

/** `samples` results of each timer (one call, one sample), taken in turns: one of each per round. */
export function inTurns(timers: readonly (() => number)[], samples: number): SampleTimes[] {
  const times = timers.map(() => [] as number[]);
  for (let s = 0; s < samples; s++) timers.forEach((t, i) => times[i].push(t()));
  return times.map((t) => ({ median: median(t), min: Math.min(...t), samples: t }));
}

/** Median over `samples` of the mean time per call (ms), each sample ≥ minMs of back-to-back calls. */
export function medianTime(fn: () => void, samples: number, minMs: number): number {
  return sampleTimes(fn, samples, minMs).median;
}

export interface SampleTimes {
  readonly median: number;
  readonly min: number;
  /** In the order taken: sample i of two timers timed in turns comes from the same round. */
  readonly samples: readonly number[];
}

/** Median and fastest of `samples` mean times per call (ms), each sample ≥ minMs of back-to-back calls. */
export function sampleTimes(fn: () => void, samples: number, minMs: number): SampleTimes {
  return interleavedTimes([fn], samples, minMs)[0];
}

/** The mean time per call (ms) of back-to-back calls for at least minMs. */
function timeSample(fn: () => void, minMs: number): number {
  let calls = 0;
  const start = performance.now();
  let now = start;
  do {
    fn();
    calls++;
    now = performance.now();
  } while (now - start < minMs);
  return (now - start) / calls;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

/** A break-even density and the sparse/dense time ratios it was read from. */
export interface BreakEven {
  readonly density: number;
  readonly ratios: readonly { readonly density: number; readonly sparseOverDense: number }[];
}

export interface BreakEvenOptions {
  readonly densities?: readonly number[];
  /** Samples per measurement, the median taken (default 5), each at least this long (default 60 ms; JS 25). */
  readonly samples?: number;
  readonly minSampleMs?: number;
}

/**
 * The density below which one training step of a layer (forward + dX + dW) is faster sparse
 * than dense on `kernels`: measured at `densities` and interpolated where the time ratio
 * crosses 1 (clamped to the measured range).
 */
export function measureBreakEven(kernels: Kernels, shape: LayerShape = [128, 784, 300], options: BreakEvenOptions = {}): BreakEven {
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every(isPositiveInteger)) {
    throw argError("measureBreakEven", "shape", "[batch, in, out] of positive integers", shape);
  }
  const [M, K, N] = shape;
  const random = seededRandom(17);
  const k = kernels;
  const x = fillRandom(k.allocFloat32(M * K), random), dy = fillRandom(k.allocFloat32(M * N), random);
  const wDense = fillRandom(k.allocFloat32(K * N), random);
  const y = k.allocFloat32(M * N), dx = k.allocFloat32(M * K), dw = k.allocFloat32(K * N);
  try {
    return breakEven("measureBreakEven", k, () => {
      k.gemm(M, N, K, x, wDense, y);
      k.gemm(M, K, N, dy, wDense, dx, { transB: true });
      k.gemm(K, N, M, x, dy, dw, { transA: true });
    }, (density) => {
      const w = SparseMatrix.fromMask(K, N, randomMask(K * N, density, random), wDense, k);
      const out = k.allocFloat32(w.nnz);
      return {
        run: () => {
          k.spmm(M, x, w, y);
          k.spmm(M, dy, w, dx, { transpose: true });
          k.sddmm(M, x, dy, w, out);
        },
        release: () => {
          k.free(out);
          w.dispose();
        },
      };
    }, options.densities ?? [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8], options);
  } finally {
    for (const a of [x, dy, wDense, y, dx, dw]) k.free(a);
  }
}

export interface ConvLayerShape {
  /** Images per batch (default 32), their height and width (28), input and output channels (16, 16). */
  readonly n?: number;
  readonly h?: number;
  readonly w?: number;
  readonly cin?: number;
  readonly cout?: number;
}

/**
 * The density below which one training step of a 3×3 conv layer (forward, input and weight
 * gradients) is faster on spconv / spconvGrad than on im2col + gemm (in blocks of patches that
 * fit 2 MB, as the conv engine runs it): measured at `densities`, interpolated like measureBreakEven.
 */
export function measureConvBreakEven(kernels: Kernels, shape: ConvLayerShape = {}, options: BreakEvenOptions = {}): BreakEven {
  const { n = 32, h = 28, w = 28, cin = 16, cout = 16 } = shape ?? {};
  for (const [name, v] of Object.entries({ n, h, w, cin, cout })) {
    if (!isPositiveInteger(v)) throw argError("measureConvBreakEven", `shape.${name}`, "a positive integer", v);
  }
  const k = kernels, random = seededRandom(19), pixels = h * w;
  const block = Math.max(1, Math.floor(2 ** 19 / (pixels * 9 * Math.max(cin, cout))));
  const x = fillRandom(k.allocFloat32(n * pixels * cin), random), dy = fillRandom(k.allocFloat32(n * pixels * cout), random);
  const y = k.allocFloat32(n * pixels * cout), dx = k.allocFloat32(n * pixels * cin), cols = k.allocFloat32(block * pixels * 9 * Math.max(cin, cout));
  const kernel = fillRandom(k.allocFloat32(9 * cin * cout), random), flipped = fillRandom(k.allocFloat32(9 * cin * cout), random);
  const dw = k.allocFloat32(9 * cin * cout);
  const images = (a: Float32Array, first: number, count: number, c: number) => a.subarray(first * pixels * c, (first + count) * pixels * c);
  try {
    return breakEven("measureConvBreakEven", k, () => {
      for (let b = 0; b < n; b += block) {
        const m = Math.min(block, n - b), rows = m * pixels;
        k.im2col(m, h, w, cin, images(x, b, m, cin), cols);
        k.gemm(rows, cout, 9 * cin, cols, kernel, images(y, b, m, cout), { relu: true });
        k.gemm(9 * cin, cout, rows, cols, images(dy, b, m, cout), dw, { transA: true, beta: b === 0 ? 0 : 1 });
        k.im2col(m, h, w, cout, images(dy, b, m, cout), cols);
        k.gemm(rows, cin, 9 * cout, cols, flipped, images(dx, b, m, cin), { gate: images(x, b, m, cin) });
      }
    }, (density) => {
      const wk = SparseMatrix.fromMask(9 * cin, cout, randomMask(9 * cin * cout, density, random), kernel, k);
      const wf = SparseMatrix.fromMask(9 * cout, cin, randomMask(9 * cin * cout, density, random), flipped, k);
      const g = k.allocFloat32(wk.nnz);
      return {
        run: () => {
          k.spconv(n, h, w, x, wk, y, { relu: true });
          k.spconvGrad(n, h, w, x, dy, wk, g);
          k.spconv(n, h, w, dy, wf, dx, { gate: x });
        },
        release: () => {
          k.free(g);
          wk.dispose();
          wf.dispose();
        },
      };
    }, options.densities ?? [0.4, 0.5, 0.6, 0.7, 0.8, 0.9], options);
  } finally {
    for (const a of [x, dy, y, dx, cols, kernel, flipped, dw]) k.free(a);
  }
}

/**
 * Times the dense step, then at each density the sparse step `sparseAt` sets up (released after
 * its measurement), and reads off where their ratio crosses 1.
 */
function breakEven(call: string, kernels: Kernels, dense: () => void, sparseAt: (density: number) => { run: () => void; release: () => void },
  densities: readonly number[], options: BreakEvenOptions): BreakEven {
  const samples = options.samples ?? 5, minMs = options.minSampleMs ?? (kernels.name === "js" ? 25 : 60);
  if (!Array.isArray(densities) || densities.length === 0 || !densities.every((d) => typeof d === "number" && d > 0 && d <= 1)) {
    throw argError(call, "options.densities", "densities in (0, 1]", densities);
  }
  const denseMs = medianTime(dense, samples, minMs);
  const ratios = densities.map((density) => {
    const sparse = sparseAt(density);
    try {
      return { density, sparseOverDense: medianTime(sparse.run, samples, minMs) / denseMs };
    } finally {
      sparse.release();
    }
  });
  return { density: crossing(ratios), ratios };
}

function isPositiveInteger(v: unknown): boolean {
  return Number.isInteger(v) && (v as number) >= 1;
}

/** Where sparse/dense time crosses 1 along increasing densities (linear between measurements, clamped to the range). */
function crossing(ratios: readonly { density: number; sparseOverDense: number }[]): number {
  let density = ratios[0].density;
  for (let i = 0; i < ratios.length; i++) {
    const r = ratios[i];
    if (r.sparseOverDense < 1) density = r.density;
    if (r.sparseOverDense >= 1) {
      if (i > 0) {
        const p = ratios[i - 1];
        density = p.density + ((1 - p.sparseOverDense) / (r.sparseOverDense - p.sparseOverDense)) * (r.density - p.density);
      }
      break;
    }
  }
  return density;
}

/** The rows as a fixed-width table, one line per (implementation, shape, op, sparsity). */
export function formatKernelBench(result: KernelBenchResult): string {
  const lines = [
    `load average (1 min): ${result.load.before.toFixed(2)} before, ${result.load.after.toFixed(2)} after`,
    "kernels  thr  shape        op        sparsity   ms/call   GFLOP/s   × dense   best GFLOP/s",
  ];
  for (const r of result.rows) {
    lines.push([
      r.kernels.padEnd(7), String(r.threads).padStart(3), r.shape.padEnd(11), r.op.padEnd(9),
      (r.sparsity ? `${Math.round(r.sparsity * 100)}%` : "dense").padStart(8),
      r.ms.toFixed(4).padStart(9), r.gflops.toFixed(1).padStart(9), r.speedup.toFixed(2).padStart(9), r.bestGflops.toFixed(1).padStart(9),
    ].join("  "));
  }
  return lines.join("\n");
}
