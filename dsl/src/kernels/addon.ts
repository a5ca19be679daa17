import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { SparselabError } from "../errors.js";
import { kernelSet, type RawKernels } from "./kernel-set.js";
import { heapMemory, type Kernels } from "./types.js";

type F32 = Float32Array;
type I32 = Int32Array;

/** The prebuilt addon for this platform (dsl/native/prebuilt/<platform>-<arch>/spkernels.node). */
export const DEFAULT_ADDON_PATH = new URL(`../../native/prebuilt/${process.platform}-${process.arch}/spkernels.node`, import.meta.url);

const BINDING_VERSION = 3;

/** The binding's surface (dsl/native/src/addon.c). */
interface Binding {
  readonly supported: boolean;
  readonly maxThreads: number;
  readonly version: number;
  /** Hash of the native sources it was built from (dsl/native/build.sh). */
  readonly sourceHash: number;
  gemm(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number, a: F32, lda: number, b: F32, ldb: number,
    beta: number, c: F32, ldc: number, bias: F32 | null, relu: boolean, gate: F32 | null, ldg: number, threads: number): void;
  spmm(m: number, kin: number, nout: number, ptr: I32, idx: I32, val: F32, x: F32, ldx: number, y: F32, ldy: number,
    bias: F32 | null, relu: boolean, gate: F32 | null, ldg: number, threads: number): void;
  sddmm(m: number, rows: number, cols: number, rowPtr: I32, colIdx: I32, x: F32, ldx: number, g: F32, ldg: number, out: F32, threads: number): void;
  im2col(n: number, h: number, w: number, c: number, x: F32, cols: F32, threads: number): void;
  spconv(n: number, h: number, w: number, cin: number, cout: number, colPtr: I32, rowIdx: I32, val: F32, x: F32, y: F32,
    bias: F32 | null, relu: boolean, gate: F32 | null, threads: number): void;
  spconvGrad(n: number, h: number, w: number, cin: number, cout: number, rowPtr: I32, colIdx: I32, x: F32, dy: F32, out: F32, threads: number): void;
  maxPool(n: number, h: number, w: number, c: number, x: F32, out: F32, argmax: I32, threads: number): void;
  maxUnpool(n: number, h: number, w: number, c: number, dout: F32, argmax: I32, dx: F32): void;
  update(kind: number, nesterov: boolean, decoupled: boolean, lr: number, a: number, b: number, eps: number, wd: number, c1: number, c2: number,
    index: I32 | null, count: number, compact: boolean, w: F32, g: F32, s0: F32 | null, s1: F32 | null, values: F32 | null, threads: number): void;
}

export interface AddonKernelOptions {
  readonly path?: string | URL;
  /** Threads per kernel call; default min(2, available cores) — what the kernels were tuned for. */
  readonly threads?: number;
}

/**
 * The N-API C kernels (AVX2/FMA). Throws a SparselabError saying why when the prebuilt is missing,
 * does not load (other OS, old glibc...), or the CPU lacks AVX2/FMA.
 */
export function createAddonKernels(options: AddonKernelOptions = {}, how?: { reason: string; skipped: readonly string[] }): Kernels {
  const path = options.path ?? DEFAULT_ADDON_PATH;
  const file = path instanceof URL ? fileURLToPath(path) : path;
  if (!existsSync(file)) throw new SparselabError(`no prebuilt addon at ${file} (platform ${process.platform}-${process.arch})`);
  let binding: Binding;
  try {
    binding = createRequire(import.meta.url)(file) as Binding;
  } catch (error) {
    throw new SparselabError(`the prebuilt addon does not load: ${(error as Error).message.split("\n")[0]}`);
  }
  if (binding.version !== BINDING_VERSION) throw new SparselabError(`the prebuilt addon has binding version ${binding.version}, expected ${BINDING_VERSION}`);
  if (!binding.supported) throw new SparselabError("this CPU lacks AVX2/FMA");
  const max = Math.max(1, Math.min(binding.maxThreads, availableParallelism()));
  const threads = options.threads ?? Math.min(2, max);
  if (!Number.isInteger(threads) || threads < 1) throw new SparselabError(`createAddonKernels(threads): expected a positive integer, received ${threads}`);
  const raw: RawKernels = {
    gemm: (transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, relu, gate, ldg) =>
      binding.gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, relu, gate, ldg, threads),
    spmm: (m, kin, nout, ptr, idx, val, x, ldx, y, ldy, bias, relu, gate, ldg) =>
      binding.spmm(m, kin, nout, ptr, idx, val, x, ldx, y, ldy, bias, relu, gate, ldg, threads),
    sddmm: (m, rows, cols, rowPtr, colIdx, x, ldx, dy, ldy, out) => binding.sddmm(m, rows, cols, rowPtr, colIdx, x, ldx, dy, ldy, out, threads),
    im2col: (n, h, w, c, x, cols) => binding.im2col(n, h, w, c, x, cols, threads),
    spconv: (n, h, w, cin, cout, colPtr, rowIdx, val, x, y, bias, relu, gate) =>
      binding.spconv(n, h, w, cin, cout, colPtr, rowIdx, val, x, y, bias, relu, gate, threads),
    spconvGrad: (n, h, w, cin, cout, rowPtr, colIdx, x, dy, out) => binding.spconvGrad(n, h, w, cin, cout, rowPtr, colIdx, x, dy, out, threads),
    maxPool: (n, h, w, c, x, out, argmax) => binding.maxPool(n, h, w, c, x, out, argmax, threads),
    maxUnpool: (n, h, w, c, dout, argmax, dx) => {
      try {
        binding.maxUnpool(n, h, w, c, dout, argmax, dx);
      } catch (error) {
        throw new SparselabError(`kernels.maxUnpool: ${(error as Error).message}`);
      }
    },
    update: (r, _n, count, index, compact, w, g, s0, s1, values) => {
      try {
        binding.update(r.adam ? 1 : 0, r.nesterov, r.decoupled, r.lr, r.a, r.b, r.eps, r.wd, r.c1, r.c2, index, count, compact, w, g, s0, s1, values, threads);
      } catch (error) {
        throw new SparselabError(`kernels.update: ${(error as Error).message}`);
      }
    },
    dispose: () => {},
  };
  return kernelSet("addon", threads, `C AVX2/FMA, ${threads} thread${threads === 1 ? "" : "s"}`, raw, heapMemory, how);
}
