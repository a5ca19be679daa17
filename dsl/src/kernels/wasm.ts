import { readFileSync } from "node:fs";
import { SparselabError } from "../errors.js";
import { extent, kernelSet, type RawKernels } from "./kernel-set.js";
import type { KernelMemory, Kernels } from "./types.js";

type F32 = Float32Array;
type I32 = Int32Array;

/** The prebuilt module (dsl/native/prebuilt, built by dsl/native/build.sh; same path from src/ and dist/). */
export const DEFAULT_WASM_PATH = new URL("../../native/prebuilt/spkernels.wasm", import.meta.url);

export interface WasmKernelOptions {
  readonly path?: string | URL;
  /**
   * Size of the kernels' linear memory, fixed for its lifetime (growing it would detach every
   * array handed out). Arrays that do not fit come from the JS heap and are copied per call.
   */
  readonly memoryMB?: number;
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
}

const modules = new Map<string, WebAssembly.Module>();

/** WebAssembly SIMD128 kernels, one thread. Throws when the module is missing or cannot compile. */
export function createWasmKernels(options: WasmKernelOptions = {}, how?: { reason: string; skipped: readonly string[] }): Kernels {
  const path = options.path ?? DEFAULT_WASM_PATH;
  const key = String(path);
  let module = modules.get(key);
  if (!module) {
    module = new WebAssembly.Module(readFileSync(path));
    modules.set(key, module);
  }
  const pages = Math.max(16, Math.ceil(((options.memoryMB ?? 128) * 2 ** 20) / 65536));
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const ex = instance.exports as unknown as WasmExports;
  const heap = new WasmHeap(memory, Number(ex.__heap_base.value));
  const raw = wasmRaw(ex, heap);
  return kernelSet("wasm", 1, `WebAssembly SIMD128, 1 thread, ${(pages * 65536) / 2 ** 20} MB memory`, raw, heap, how);
}

function wasmRaw(ex: WasmExports, heap: WasmHeap): RawKernels {
  let scratch = 0, scratchFloats = 0;
  const scratchFor = (floats: number): number => {
    if (scratchFloats >= floats) return scratch;
    if (scratch) heap.release(scratch);
    scratch = heap.reserve(floats * 4);
    scratchFloats = floats;
    return scratch;
  };
  return {
    gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, relu, gate, ldg) {
      const s = new Stage(heap);
      try {
        const pa = s.input(a, transA ? extent(k, m, lda) : extent(m, k, lda));
        const pb = s.input(b, transB ? extent(n, k, ldb) : extent(k, n, ldb));
        const pc = s.output(c, extent(m, n, ldc), beta !== 0);
        const pbias = bias ? s.input(bias, n) : 0, pgate = gate ? s.input(gate, extent(m, n, ldg)) : 0;
        const sp = scratchFor(ex.gemm_scratch_floats(m, n));
        ex.gemm(m, n, k, alpha, pa, transA ? 1 : lda, transA ? lda : 1, pb, transB ? 1 : ldb, transB ? ldb : 1,
          beta, pc, ldc, pbias, relu ? 1 : 0, pgate, ldg, sp);
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
        ex.spmm(m, kin, nout, pptr, pidx, pval, px, ldx, py, ldy, pbias, relu ? 1 : 0, pgate, ldg, sp);
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
        const sp = scratchFor(ex.sddmm_scratch_floats(m, rows, cols));
        ex.sddmm(m, rows, cols, prow, pcol, px, ldx, pdy, ldy, pout, sp);
        s.finish();
      } finally {
        s.release();
      }
    },
    dispose() {
      if (scratch) heap.release(scratch);
      scratch = 0;
      scratchFloats = 0;
    },
  };
}

/** Pointers for one call: arrays the heap owns are used in place, others copied in (and out). */
class Stage {
  readonly #heap: WasmHeap;
  readonly #temps: number[] = [];
  readonly #outputs: { ptr: number; array: F32; length: number }[] = [];
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
  output(array: F32, length: number, read: boolean): number {
    if (length === 0) return 0;
    if (this.#heap.owns(array)) return array.byteOffset;
    const ptr = read ? this.input(array, length) : this.#temp(length * 4);
    this.#outputs.push({ ptr, array, length });
    return ptr;
  }
  finish(): void {
    for (const { ptr, array, length } of this.#outputs) array.set(this.#heap.view(array, ptr, length) as F32);
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

  constructor(memory: WebAssembly.Memory, heapBase: number) {
    this.memory = memory;
    const start = align(heapBase);
    this.#free = [{ offset: start, size: memory.buffer.byteLength - start }];
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
      return ptr;
    }
    return -1;
  }
}

function align(n: number): number {
  return Math.ceil(n / 64) * 64;
}
