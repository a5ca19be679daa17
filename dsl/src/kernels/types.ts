import type { SparseMatrix } from "./sparse-matrix.js";

export const KERNEL_NAMES = ["addon", "wasm", "js"] as const;
/** `addon`: N-API C (AVX2/FMA, threads); `wasm`: WebAssembly SIMD128; `js`: plain JS (the reference). */
export type KernelName = (typeof KERNEL_NAMES)[number];

/**
 * Where kernel operands live. The WASM kernels work in place only on arrays from their own memory
 * (anything else is copied in and out on each call), so long-lived operands — weights, sparse
 * formats, activation buffers — should come from `allocFloat32` / `allocInt32`.
 */
export interface KernelMemory {
  /** A zero-filled array the kernels can use without copying. */
  allocFloat32(length: number): Float32Array;
  allocInt32(length: number): Int32Array;
  /** Returns an array from `alloc*` (other arrays are ignored). Using it afterwards is a bug. */
  free(array: Float32Array | Int32Array): void;
  /** Whether the kernels use `array` in place (always true except for WASM's foreign arrays). */
  owns(array: Float32Array | Int32Array): boolean;
  /** Bytes allocated in the kernels' own memory (WASM's linear memory); 0 when arrays are ordinary ArrayBuffers. */
  bytesInUse(): number;
}

/** Plain JS heap arrays: what the addon and the JS kernels use. */
export const heapMemory: KernelMemory = Object.freeze({
  allocFloat32: (length: number) => new Float32Array(length),
  allocInt32: (length: number) => new Int32Array(length),
  free: () => {},
  owns: () => true,
  bytesInUse: () => 0,
});

/**
 * Applied to each output element v at (row i, column j), in this order:
 * `v += bias[j]`, `v = max(v, 0)` when `relu`, `v = gate[i, j] > 0 ? v : 0` when `gate` is given.
 * The gate is ReLU's backward pass: dH = (dZ·Wᵀ) ⊙ [H > 0] with `gate: H`.
 */
export interface Epilogue {
  readonly bias?: Float32Array;
  readonly relu?: boolean;
  /** Same layout as the output, leading dimension `ldg` (default: the output's). */
  readonly gate?: Float32Array;
  readonly ldg?: number;
}

/** C[m, n] = alpha · op(A)[m, k] · op(B)[k, n] + beta · C, then the epilogue. Row-major. */
export interface GemmOptions extends Epilogue {
  /** op(A) = Aᵀ: A is stored [k, m]. */
  readonly transA?: boolean;
  /** op(B) = Bᵀ: B is stored [n, k]. */
  readonly transB?: boolean;
  readonly alpha?: number;
  /** 0 (default) overwrites C without reading it, so C may hold garbage or NaN. */
  readonly beta?: number;
  /** Leading dimensions (elements between consecutive rows as stored); default: packed. */
  readonly lda?: number;
  readonly ldb?: number;
  readonly ldc?: number;
}

/** Y = X·W (W's CSC) or, with `transpose`, Y = X·Wᵀ (W's CSR); X and Y row-major [m, ·]. */
export interface SpmmOptions extends Epilogue {
  readonly transpose?: boolean;
  readonly ldx?: number;
  readonly ldy?: number;
}

/** A convolution's epilogue: `gate` has the output's shape [n, h, w, cout]. */
export interface SpconvOptions {
  readonly bias?: Float32Array;
  readonly relu?: boolean;
  readonly gate?: Float32Array;
}

export interface SddmmOptions {
  readonly ldx?: number;
  readonly ldy?: number;
}

/**
 * One optimizer step's rule (the update rules of train/optimizers.ts):
 * SGD: grad = g + wd·w; v = momentum·v + grad; u = nesterov ? grad + momentum·v : v (u = grad
 * without momentum). Adam: grad = g + wd·w (not when `decoupled`); m = β₁m + (1−β₁)grad;
 * v = β₂v + (1−β₂)grad²; u = (m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε) (+ wd·w when `decoupled`, AdamW).
 * Then w −= lr·u.
 */
export type UpdateRule =
  | { readonly kind: "sgd"; readonly lr: number; readonly momentum?: number; readonly nesterov?: boolean; readonly weightDecay?: number }
  | {
    readonly kind: "adam"; readonly lr: number; readonly beta1: number; readonly beta2: number; readonly epsilon: number;
    readonly weightDecay?: number; readonly decoupled?: boolean;
    /** The step number t ≥ 1 (bias correction). */
    readonly step: number;
  };

export interface UpdateOptions {
  /**
   * Update only w[index[j]] (and its slots), j < count: the kept weights of a masked tensor.
   * Pruned weights and slots are left untouched, so they stay exactly 0.
   */
  readonly index?: Int32Array;
  /** Default: index.length, or w.length without an index. */
  readonly count?: number;
  /** The gradient is compact, g[j] for w[index[j]] (a sparse gradient in CSR order); default g[i]. */
  readonly compactGradient?: boolean;
  /** Also write values[j] = w[index[j]] (a SparseMatrix's `values`). */
  readonly values?: Float32Array;
}

/** How a kernel set was chosen (see `loadKernels`). */
export interface KernelInfo {
  readonly name: KernelName;
  /** "requested", "SPARSELAB_KERNELS", "best available" or "created directly". */
  readonly reason: string;
  /** Implementations tried before this one, each with why it was skipped. */
  readonly skipped: readonly string[];
  /** E.g. "C AVX2/FMA, 2 threads" or "WebAssembly SIMD128, 1 thread". */
  readonly detail: string;
}

/**
 * Dense and sparse fp32 kernels on row-major typed arrays. Every implementation computes the same
 * thing (to float32 rounding); they differ in speed only.
 */
export interface Kernels extends KernelMemory {
  readonly name: KernelName;
  readonly threads: number;
  readonly info: KernelInfo;
  /** C = alpha·op(A)·op(B) + beta·C (+ bias, ReLU, gate). */
  gemm(m: number, n: number, k: number, a: Float32Array, b: Float32Array, c: Float32Array, options?: GemmOptions): void;
  /**
   * Sparse weight W [rows, cols] times row-major activations, "lanes = batch":
   * forward `y[m, cols] = x[m, rows]·W`, or with `transpose` `y[m, rows] = x[m, cols]·Wᵀ` (dX).
   * `y` is overwritten (then the epilogue; a bias has one entry per output column).
   */
  spmm(m: number, x: Float32Array, w: SparseMatrix, y: Float32Array, options?: SpmmOptions): void;
  /**
   * Sampled dense-dense product, the gradient of a sparse weight: for every nonzero j = (r, c) of
   * `w`, `out[j] = Σᵢ x[i, r]·dy[i, c]` (x [m, rows], dy [m, cols]); `out` is in CSR order,
   * like `w.values`.
   */
  sddmm(m: number, x: Float32Array, dy: Float32Array, w: SparseMatrix, out: Float32Array, options?: SddmmOptions): void;
  /**
   * Patches of a 3×3 "same" convolution (stride 1, zero padding) as matrix rows: NHWC images
   * `x` [n, h, w, c] become `cols` [n·h·w, 9·c], row (b, y, x) the neighbourhood of pixel (y, x)
   * of image b in (kh, kw, channel) order — the row-major order of a [3, 3, c, cout] kernel, so
   * cols·W is the convolution.
   */
  im2col(n: number, h: number, w: number, c: number, x: Float32Array, cols: Float32Array): void;
  /**
   * A sparse 3×3 "same" convolution (stride 1, zero padding) computed directly, without patches:
   * NHWC `x` [n, h, w, cin] to `y` [n, h, w, cout] with `kernel` the [3, 3, cin, cout] weights read
   * as [9·cin, cout] (what im2col rows multiply). Work is in proportion to the nonzeros. `y` is
   * overwritten, then the epilogue (bias per output channel, ReLU, gate).
   */
  spconv(n: number, h: number, w: number, x: Float32Array, kernel: SparseMatrix, y: Float32Array, options?: SpconvOptions): void;
  /**
   * The gradient of `spconv`'s kernel at its nonzeros, from whole images: for every nonzero
   * j = (k, o) of `kernel` (k = (kh·3 + kw)·cin + ci), `out[j] = Σ_{b,y,x} dy[b, y, x, o]·x[b, y+kh−1, x+kw−1, ci]`
   * (x [n, h, w, cin], dy [n, h, w, cout]); `out` is in CSR order, like `kernel.values`.
   */
  spconvGrad(n: number, h: number, w: number, x: Float32Array, dy: Float32Array, kernel: SparseMatrix, out: Float32Array): void;
  /**
   * 2×2 max-pooling, stride 2 (odd rows and columns dropped): NHWC `x` [n, h, w, c] to `out`
   * [n, ⌊h/2⌋, ⌊w/2⌋, c], and in `argmax` the index in x of each maximum (the first of equal ones).
   */
  maxPool(n: number, h: number, w: number, c: number, x: Float32Array, out: Float32Array, argmax: Int32Array): void;
  /** The pool's backward pass: `dx` [n, h, w, c] is 0 except at each window's maximum, which gets `dout`'s value. */
  maxUnpool(n: number, h: number, w: number, c: number, dout: Float32Array, argmax: Int32Array, dx: Float32Array): void;
  /**
   * One optimizer step in place: w and its slots ([] for SGD, [velocity] with momentum, [m, v]
   * for Adam; each as long as w) from gradient g.
   */
  update(rule: UpdateRule, w: Float32Array, g: Float32Array, slots: readonly Float32Array[], options?: UpdateOptions): void;
  /** Releases worker threads and memory; the kernels must not be used afterwards. */
  dispose(): void;
}
