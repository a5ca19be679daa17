import { readFileSync } from "node:fs";
import { SparselabError } from "../errors.js";
import { checkArgmax, extent, kernelSet, type RawKernels } from "./kernel-set.js";
import type { KernelMemory, Kernels } from "./types.js";
import { WasmPool } from "./wasm-pool.js";

type F32 = Float32Array;
type I32 = Int32Array;

/** The prebuilt modules (dsl/native/prebuilt, built by dsl/native/build.sh; same path from src/ and dist/). */
export const DEFAULT_WASM_PATH = new URL("../../native/prebuilt/spkernels.wasm", import.meta.url);
/** The same kernels on a shared memory, for worker threads. */
export const DEFAULT_WASM_MT_PATH = new URL("../../native/prebuilt/spkernels-mt.wasm", import.meta.url);

export interface WasmKernelOptions {
  readonly path?: string | URL;
  /**
   * Size of the kernels' linear memory, fixed for its lifetime (growing it would detach every
   * array handed out). Arrays that do not fit come from the JS heap and are copied per call.
   */
  readonly memoryMB?: number;
  /** Threads (default 1): more run the kernels on worker threads over a shared memory. */
  readonly threads?: number;
}

interface WasmExports {
  readonly __heap_base: WebAssembly.Global;
  gemm_scratch_floats(m: number, n: number): number;
  gemm(m: number, n: number, k: number, alpha: number, a: number, ars: number, acs: number, b: number, brs: number, bcs: number,
    beta: number, c: number, ldc: number, bias: number, relu: number, gate: number, ldg: number, scratch: number): void;
  spmm_scratch_floats(kin: number, nout: number): number;
  spmm(m: number, kin: number, nout: number, ptr: number, idx: number, val: number, x: number, ldx: number, y: number, ldy: number,
    bias: number, relu: number, gate: number, ldg: number, scratch: number): void;
  sddmm_scratch_floats(m: number, rows: number, cols: number): number;
  sddmm(m: number, rows: number, cols: number, rowPtr: number, colIdx: number, x: number, ldx: number, g: number, ldg: number,
    out: number, scratch: number): void;
  spk_im2col_rows(h: number, w: number, c: number, x: number, cols: number, r0: number, r1: number): void;
  spk_spconv_scratch_floats(h: number, w: number, cin: number, cout: number, nnz: number): number;
  spk_spconv_images(h: number, w: number, cin: number, cout: number, colPtr: number, rowIdx: number, val: number, x: number, y: number,
    bias: number, relu: number, gate: number, b0: number, b1: number, scratch: number): void;
  spk_spconv_grad_scratch_floats(h: number, w: number, cin: number, cout: number): number;
  spk_spconv_grad_images(h: number, w: number, cin: number, cout: number, rowPtr: number, colIdx: number, x: number, dy: number,
    out: number, b0: number, b1: number, scratch: number): void;
  spk_maxpool_rows(h: number, w: number, c: number, x: number, out: number, argmax: number, r0: number, r1: number): void;
  spk_unpool(dout: number, argmax: number, dx: number, o0: number, o1: number): void;
  spk_update(kind: number, nesterov: number, decoupled: number, lr: number, a: number, b: number, eps: number, wd: number, c1: number, c2: number,
    n: number, count: number, index: number, compact: number, w: number, g: number, s0: number, s1: number, values: number): number;
}

const modules = new Map<string, WebAssembly.Module>();

/**
 * WebAssembly SIMD128 kernels. With `threads` > 1 the kernels run on worker threads sharing one
 * memory (the `-mt` module). Throws when the module is missing or cannot compile.
 */
export function createWasmKernels(options: WasmKernelOptions = {}, how?: { reason: string; skipped: readonly string[] }): Kernels {
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1 || threads > 16) throw new SparselabError(`createWasmKernels(threads): expected an integer in [1, 16], received ${threads}`);
  const shared = threads > 1;
  const path = options.path ?? (shared ? DEFAULT_WASM_MT_PATH : DEFAULT_WASM_PATH);
  const key = String(path);
  let module = modules.get(key);
  if (!module) {
    module = new WebAssembly.Module(readFileSync(path));
    modules.set(key, module);
  }
  const pages = Math.max(16, Math.ceil(((options.memoryMB ?? 128) * 2 ** 20) / 65536));
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared });
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const ex = instance.exports as unknown as WasmExports;
  const heap = new WasmHeap(memory, Number(ex.__heap_base.value));
  const pool = shared ? new WasmPool(module, memory, instance.exports as Record<string, unknown>, threads - 1) : undefined;
  const raw = wasmRaw(ex, heap, pool);
  const detail = `WebAssembly SIMD128, ${threads} thread${threads > 1 ? "s" : ""}, ${(pages * 65536) / 2 ** 20} MB memory`;
  return kernelSet("wasm", threads, detail, raw, heap, how);
}

/** Work below this many multiply-adds runs on the calling thread alone. */
const PARALLEL_MIN = 64 * 64 * 64;

function wasmRaw(ex: WasmExports, heap: WasmHeap, pool: WasmPool | undefined): RawKernels {
  const threads = pool?.threads ?? 1;
  // per-thread scratch (gemm packing, spmm blocks) and one shared area (sddmm's transposed copies)
  const scratch: number[] = new Array(threads).fill(0);
  let scratchFloats = 0, sharedPtr = 0, sharedFloats = 0;
  const scratchFor = (floats: number): number => {
    if (scratchFloats < floats) {
      for (let t = 0; t < threads; t++) {
        if (scratch[t]) heap.release(scratch[t]);
        scratch[t] = heap.reserve(floats * 4);
        pool?.setScratch(t, scratch[t]);
      }
      scratchFloats = floats;
    }
    return scratch[0];
  };
  const sharedFor = (floats: number): number => {
    if (sharedFloats < floats) {
      if (sharedPtr) heap.release(sharedPtr);
      sharedPtr = heap.reserve(floats * 4);
      sharedFloats = floats;
    }
    return sharedPtr;
  };
  /** Splits [0, dim) into `chunks` ranges aligned to `unit`. */
  const ranges = (dim: number, unit: number, chunks: number): [number, number][] => {
    const units = Math.ceil(dim / unit);
    const n = Math.max(1, Math.min(chunks, units));
    const out: [number, number][] = [];
    for (let c = 0; c < n; c++) {
      const d0 = Math.floor((units * c) / n) * unit, d1 = Math.min(dim, Math.floor((units * (c + 1)) / n) * unit);
      if (d1 > d0) out.push([d0, d1]);
    }
    return out;
  };
  const SCR = 0; // placeholder for a per-thread scratch argument

  return {
    gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, relu, gate, ldg) {
      const s = new Stage(heap);
      try {
        const pa = s.input(a, transA ? extent(k, m, lda) : extent(m, k, lda));
        const pb = s.input(b, transB ? extent(n, k, ldb) : extent(k, n, ldb));
        const pc = s.output(c, extent(m, n, ldc), beta !== 0);
        const pbias = bias ? s.input(bias, n) : 0, pgate = gate ? s.input(gate, extent(m, n, ldg)) : 0;
        const [ars, acs, brs, bcs] = [transA ? 1 : lda, transA ? lda : 1, transB ? 1 : ldb, transB ? ldb : 1];
        const sp = scratchFor(ex.gemm_scratch_floats(m, n));
        if (!pool || m * n * k < PARALLEL_MIN) {
          ex.gemm(m, n, k, alpha, pa, ars, acs, pb, brs, bcs, beta, pc, ldc, pbias, relu ? 1 : 0, pgate, ldg, sp);
        } else if (n >= m) {
          pool.run(ranges(n, 8, 2 * threads).map(([j0, j1]) => ({
            fn: "gemm", scratchAt: 17,
            args: [m, j1 - j0, k, alpha, pa, ars, acs, pb + 4 * j0 * bcs, brs, bcs, beta, pc + 4 * j0, ldc,
              pbias ? pbias + 4 * j0 : 0, relu ? 1 : 0, pgate ? pgate + 4 * j0 : 0, ldg, SCR],
          })));
        } else {
          pool.run(ranges(m, 4, 2 * threads).map(([i0, i1]) => ({
            fn: "gemm", scratchAt: 17,
            args: [i1 - i0, n, k, alpha, pa + 4 * i0 * ars, ars, acs, pb, brs, bcs, beta, pc + 4 * i0 * ldc, ldc,
              pbias, relu ? 1 : 0, pgate ? pgate + 4 * i0 * ldg : 0, ldg, SCR],
          })));
        }
        s.finish();
      } finally {
        s.release();
      }
    },
    spmm(m, kin, nout, ptr, idx, val, x, ldx, y, ldy, bias, relu, gate, ldg) {
      const s = new Stage(heap);
      try {
        const nnz = ptr[nout];
        const pptr = s.input(ptr, nout + 1), pidx = s.input(idx, nnz), pval = s.input(val, nnz);
        const px = s.input(x, extent(m, kin, ldx)), py = s.output(y, extent(m, nout, ldy), false);
        const pbias = bias ? s.input(bias, nout) : 0, pgate = gate ? s.input(gate, extent(m, nout, ldg)) : 0;
        const sp = scratchFor(ex.spmm_scratch_floats(kin, nout));
        if (!pool || nnz * m < PARALLEL_MIN || m <= 32) {
          ex.spmm(m, kin, nout, pptr, pidx, pval, px, ldx, py, ldy, pbias, relu ? 1 : 0, pgate, ldg, sp);
        } else {
          pool.run(ranges(m, 32, 4 * threads).map(([r0, r1]) => ({
            fn: "spmm", scratchAt: 14,
            args: [r1 - r0, kin, nout, pptr, pidx, pval, px + 4 * r0 * ldx, ldx, py + 4 * r0 * ldy, ldy,
              pbias, relu ? 1 : 0, pgate ? pgate + 4 * r0 * ldg : 0, ldg, SCR],
          })));
        }
        s.finish();
      } finally {
        s.release();
      }
    },
    sddmm(m, rows, cols, rowPtr, colIdx, x, ldx, dy, ldy, out) {
      const s = new Stage(heap);
      try {
        const nnz = rowPtr[rows];
        const prow = s.input(rowPtr, rows + 1), pcol = s.input(colIdx, nnz);
        const px = s.input(x, extent(m, rows, ldx)), pdy = s.input(dy, extent(m, cols, ldy));
        const pout = s.output(out, nnz, false);
        const shared = sharedFor(ex.sddmm_scratch_floats(m, rows, cols));
        if (!pool || nnz * m < PARALLEL_MIN) {
          ex.sddmm(m, rows, cols, prow, pcol, px, ldx, pdy, ldy, pout, shared);
        } else {
          const mp = Math.ceil(m / 4) * 4, xt = shared, gt = shared + 4 * mp * rows;
          pool.run([
            ...ranges(rows, 4, threads).map(([c0, c1]) => ({ fn: "sddmm_transpose", args: [m, c0, c1, px, ldx, xt] })),
            ...ranges(cols, 4, threads).map(([c0, c1]) => ({ fn: "sddmm_transpose", args: [m, c0, c1, pdy, ldy, gt] })),
          ]);
          pool.run(ranges(rows, 16, 64).map(([r0, r1]) => ({ fn: "sddmm_rows", args: [m, r0, r1, prow, pcol, xt, gt, pout] })));
        }
        s.finish();
      } finally {
        s.release();
      }
    },
    im2col(n, h, w, c, x, cols) {
      const s = new Stage(heap);
      try {
        const pixels = n * h * w, px = s.input(x, pixels * c), pcols = s.output(cols, pixels * 9 * c, false);
        if (!pool || pixels * 9 * c < 2 * 65536) ex.spk_im2col_rows(h, w, c, px, pcols, 0, n * h);
        else pool.run(ranges(n * h, 1, 4 * threads).map(([r0, r1]) => ({ fn: "spk_im2col_rows", args: [h, w, c, px, pcols, r0, r1] })));
        s.finish();
      } finally {
        s.release();
      }
    },
    spconv(n, h, w, cin, cout, colPtr, rowIdx, val, x, y, bias, relu, gate) {
      const s = new Stage(heap);
      try {
        const nnz = colPtr[cout], pixels = n * h * w;
        const pptr = s.input(colPtr, cout + 1), pidx = s.input(rowIdx, nnz), pval = s.input(val, nnz);
        const px = s.input(x, pixels * cin), py = s.output(y, pixels * cout, false);
        const pbias = bias ? s.input(bias, cout) : 0, pgate = gate ? s.input(gate, pixels * cout) : 0;
        const sp = scratchFor(ex.spk_spconv_scratch_floats(h, w, cin, cout, nnz) + 16);
        const args = (b0: number, b1: number, scratch: number) => [h, w, cin, cout, pptr, pidx, pval, px, py, pbias, relu ? 1 : 0, pgate, b0, b1, scratch];
        if (!pool || n === 1) ex.spk_spconv_images(...(args(0, n, sp) as Parameters<WasmExports["spk_spconv_images"]>));
        else pool.run(ranges(n, 1, 4 * threads).map(([b0, b1]) => ({ fn: "spk_spconv_images", scratchAt: 14, args: args(b0, b1, SCR) })));
        s.finish();
      } finally {
        s.release();
      }
    },
    spconvGrad(n, h, w, cin, cout, rowPtr, colIdx, x, dy, out) {
      const s = new Stage(heap);
      try {
        const nnz = rowPtr[9 * cin], pixels = n * h * w;
        const prow = s.input(rowPtr, 9 * cin + 1), pcol = s.input(colIdx, nnz);
        const px = s.input(x, pixels * cin), pdy = s.input(dy, pixels * cout), pout = s.output(out, nnz, false);
        const sp = scratchFor(ex.spk_spconv_grad_scratch_floats(h, w, cin, cout) + 16);
        // one image range per thread, each summed into its own partial (the first into out), then added up
        const parts = pool ? ranges(n, 1, threads) : [[0, n] as [number, number]];
        const partial = sharedFor(nnz * (parts.length - 1));
        const target = (c: number) => (c === 0 ? pout : partial + 4 * nnz * (c - 1));
        parts.forEach((_, c) => heap.view(out, target(c), nnz).fill(0));
        if (!pool) ex.spk_spconv_grad_images(h, w, cin, cout, prow, pcol, px, pdy, pout, 0, n, sp);
        else pool.run(parts.map(([b0, b1], c) => ({ fn: "spk_spconv_grad_images", scratchAt: 11, args: [h, w, cin, cout, prow, pcol, px, pdy, target(c), b0, b1, SCR] })));
        const sum = heap.view(out, pout, nnz);
        for (let c = 1; c < parts.length; c++) {
          const p = heap.view(out, target(c), nnz);
          for (let j = 0; j < nnz; j++) sum[j] += p[j];
        }
        s.finish();
      } finally {
        s.release();
      }
    },
    maxPool(n, h, w, c, x, out, argmax) {
      const s = new Stage(heap);
      try {
        const size = n * h * w * c, rows = n * (h >> 1), pooled = rows * (w >> 1) * c;
        const px = s.input(x, size), pout = s.output(out, pooled, false), parg = s.output(argmax, pooled, false);
        if (!pool || size < 2 * 65536) ex.spk_maxpool_rows(h, w, c, px, pout, parg, 0, rows);
        else pool.run(ranges(rows, 1, 4 * threads).map(([r0, r1]) => ({ fn: "spk_maxpool_rows", args: [h, w, c, px, pout, parg, r0, r1] })));
        s.finish();
      } finally {
        s.release();
      }
    },
    maxUnpool(n, h, w, c, dout, argmax, dx) {
      const size = n * h * w * c, pooled = n * (h >> 1) * (w >> 1) * c;
      checkArgmax(argmax, pooled, size);
      const s = new Stage(heap);
      try {
        const pdout = s.input(dout, pooled), parg = s.input(argmax, pooled), pdx = s.output(dx, size, false);
        heap.view(dx, pdx, size).fill(0);
        ex.spk_unpool(pdout, parg, pdx, 0, pooled);
        s.finish();
      } finally {
        s.release();
      }
    },
    update(r, n, count, index, compact, w, g, s0, s1, values) {
      const s = new Stage(heap);
      let failed = false;
      try {
        const pindex = index ? s.input(index, count) : 0;
        const pw = s.output(w, n, true), pg = s.input(g, compact || !index ? count : n);
        const p0 = s0 ? s.output(s0, n, true) : 0, p1 = s1 ? s.output(s1, n, true) : 0;
        const pv = values ? s.output(values, count, false) : 0;
        const head = [r.adam ? 1 : 0, r.nesterov ? 1 : 0, r.decoupled ? 1 : 0, r.lr, r.a, r.b, r.eps, r.wd, r.c1, r.c2] as const;
        if (!pool || count < 65536) {
          failed = ex.spk_update(...head, n, count, pindex, compact ? 1 : 0, pw, pg, p0, p1, pv) !== 0;
        } else {
          if (index) {
            // every index is checked first: a chunk failing halfway would leave a partial update
            for (let j = 0; j < count; j++) if (!(index[j] >= 0 && index[j] < n)) failed = true;
          }
          if (!failed) {
            pool.run(ranges(count, 1024, 2 * threads).map(([j0, j1]) => ({
              fn: "spk_update",
              args: index
                ? [...head, n, j1 - j0, pindex + 4 * j0, compact ? 1 : 0, pw, compact ? pg + 4 * j0 : pg, p0, p1, pv ? pv + 4 * j0 : 0]
                : [...head, n - j0, j1 - j0, 0, 0, pw + 4 * j0, pg + 4 * j0, p0 ? p0 + 4 * j0 : 0, p1 ? p1 + 4 * j0 : 0, pv ? pv + 4 * j0 : 0],
            })));
          }
        }
        if (!failed) s.finish();
      } finally {
        s.release();
      }
      if (failed) throw new SparselabError("kernels.update: an index is outside the parameter");
    },
    dispose() {
      for (const p of [...scratch, sharedPtr]) if (p) heap.release(p);
      scratch.fill(0);
      scratchFloats = 0;
      sharedPtr = 0;
      sharedFloats = 0;
      pool?.dispose();
    },
  };
}

/** Pointers for one call: arrays the heap owns are used in place, others copied in (and out). */
class Stage {
  readonly #heap: WasmHeap;
  readonly #temps: number[] = [];
  readonly #outputs: { ptr: number; array: F32 | I32; length: number }[] = [];
  constructor(heap: WasmHeap) {
    this.#heap = heap;
  }
  input(array: F32 | I32, length: number): number {
    if (length === 0) return 0;
    if (this.#heap.owns(array)) return array.byteOffset;
    const ptr = this.#temp(length * 4);
    this.#heap.view(array, ptr, length).set(array.subarray(0, length) as never);
    return ptr;
  }
  output(array: F32 | I32, length: number, read: boolean): number {
    if (length === 0) return 0;
    if (this.#heap.owns(array)) return array.byteOffset;
    const ptr = read ? this.input(array, length) : this.#temp(length * 4);
    this.#outputs.push({ ptr, array, length });
    return ptr;
  }
  finish(): void {
    for (const { ptr, array, length } of this.#outputs) array.set(this.#heap.view(array, ptr, length) as never);
  }
  release(): void {
    for (const ptr of this.#temps) this.#heap.release(ptr);
  }
  #temp(bytes: number): number {
    const ptr = this.#heap.reserve(bytes);
    this.#temps.push(ptr);
    return ptr;
  }
}

/**
 * First-fit allocator over the fixed-size linear memory above the module's own data and stack
 * (`__heap_base`), 64-byte aligned, with coalescing free blocks.
 */
export class WasmHeap implements KernelMemory {
  readonly memory: WebAssembly.Memory;
  readonly #free: { offset: number; size: number }[];
  readonly #used = new Map<number, number>();
  #inUse = 0;

  constructor(memory: WebAssembly.Memory, heapBase: number) {
    this.memory = memory;
    const start = align(heapBase);
    this.#free = [{ offset: start, size: memory.buffer.byteLength - start }];
  }

  bytesInUse(): number {
    return this.#inUse;
  }

  /** Bytes still free (fragmented or not). */
  get available(): number {
    return this.#free.reduce((s, b) => s + b.size, 0);
  }

  allocFloat32(length: number): Float32Array {
    const ptr = this.#tryReserve(length * 4);
    if (ptr < 0) return new Float32Array(length);
    const view = new Float32Array(this.memory.buffer, ptr, length);
    view.fill(0);
    return view;
  }

  allocInt32(length: number): Int32Array {
    const ptr = this.#tryReserve(length * 4);
    if (ptr < 0) return new Int32Array(length);
    const view = new Int32Array(this.memory.buffer, ptr, length);
    view.fill(0);
    return view;
  }

  free(array: Float32Array | Int32Array): void {
    if (this.owns(array) && this.#used.has(array.byteOffset)) this.release(array.byteOffset);
  }

  owns(array: Float32Array | Int32Array): boolean {
    return array.buffer === this.memory.buffer;
  }

  /** A view of the same type as `like` at ptr. */
  view(like: F32 | I32, ptr: number, length: number): F32 | I32 {
    return like instanceof Float32Array ? new Float32Array(this.memory.buffer, ptr, length) : new Int32Array(this.memory.buffer, ptr, length);
  }

  /** A block of at least `bytes`, or an error when the memory is exhausted. */
  reserve(bytes: number): number {
    const ptr = this.#tryReserve(bytes);
    if (ptr < 0) {
      throw new SparselabError(`wasm kernels: out of memory for ${bytes} bytes (${this.available} free); create them with a larger memoryMB`);
    }
    return ptr;
  }

  release(ptr: number): void {
    const size = this.#used.get(ptr);
    if (size === undefined) return;
    this.#used.delete(ptr);
    this.#inUse -= size;
    const free = this.#free;
    let i = 0;
    while (i < free.length && free[i].offset < ptr) i++;
    free.splice(i, 0, { offset: ptr, size });
    if (i + 1 < free.length && free[i].offset + free[i].size === free[i + 1].offset) {
      free[i].size += free[i + 1].size;
      free.splice(i + 1, 1);
    }
    if (i > 0 && free[i - 1].offset + free[i - 1].size === free[i].offset) {
      free[i - 1].size += free[i].size;
      free.splice(i, 1);
    }
  }

  #tryReserve(bytes: number): number {
    const size = Math.max(64, align(bytes));
    const free = this.#free;
    for (let i = 0; i < free.length; i++) {
      const block = free[i];
      if (block.size < size) continue;
      const ptr = block.offset;
      if (block.size === size) free.splice(i, 1);
      else {
        block.offset += size;
        block.size -= size;
      }
      this.#used.set(ptr, size);
      this.#inUse += size;
      return ptr;
    }
    return -1;
  }
}

function align(n: number): number {
  return Math.ceil(n / 64) * 64;
}
