import { argError, SparselabError } from "../errors.js";
import { heapMemory, type KernelMemory } from "./types.js";

/**
 * A sparse weight W [rows, cols] (row-major dense layout: `dense[r * cols + c]`) held in both
 * CSR and CSC, because the forward pass (Y = X·W) walks columns and the backward pass
 * (dX = dY·Wᵀ) walks rows. `values` (CSR order, i.e. ascending flat index) is the master copy;
 * `cscValues` is kept equal to it through the permutation `cscToCsr` by `syncCsc()`.
 *
 * The structure changes only through `setMask` / `update`; values change through `loadValues`
 * (O(nnz) gather from a dense array) or by writing `values` and calling `syncCsc()`.
 * Arrays come from a `KernelMemory` (WASM kernels use them in place) and are reallocated when
 * nnz outgrows them: read them from the object, do not keep them across structure changes.
 */
export class SparseMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly #memory: KernelMemory;
  #nnz = 0;
  #rowPtr: Int32Array;
  #colPtr: Int32Array;
  #colIdx: Int32Array;
  #values: Float32Array;
  #rowIdx: Int32Array;
  #cscValues: Float32Array;
  #cscToCsr: Int32Array;

  private constructor(rows: number, cols: number, memory: KernelMemory) {
    this.rows = rows;
    this.cols = cols;
    this.#memory = memory;
    this.#rowPtr = memory.allocInt32(rows + 1);
    this.#colPtr = memory.allocInt32(cols + 1);
    this.#colIdx = memory.allocInt32(0);
    this.#values = memory.allocFloat32(0);
    this.#rowIdx = memory.allocInt32(0);
    this.#cscValues = memory.allocFloat32(0);
    this.#cscToCsr = memory.allocInt32(0);
  }

  /** The matrix whose nonzero positions are `mask`'s ones, with values read from `dense`. */
  static fromMask(rows: number, cols: number, mask: ArrayLike<number>, dense: ArrayLike<number>, memory: KernelMemory = heapMemory): SparseMatrix {
    checkDims("SparseMatrix.fromMask", rows, cols);
    const m = new SparseMatrix(rows, cols, memory);
    m.setMask(mask, dense);
    return m;
  }

  /** The nonzero structure of `dense` itself (entries equal to 0 are left out). */
  static fromDense(rows: number, cols: number, dense: ArrayLike<number>, memory: KernelMemory = heapMemory): SparseMatrix {
    checkDims("SparseMatrix.fromDense", rows, cols);
    checkLength("SparseMatrix.fromDense", "dense", dense, rows * cols);
    const mask = new Uint8Array(rows * cols);
    for (let i = 0; i < mask.length; i++) mask[i] = dense[i] !== 0 ? 1 : 0;
    return SparseMatrix.fromMask(rows, cols, mask, dense, memory);
  }

  get nnz(): number {
    return this.#nnz;
  }
  get density(): number {
    return this.rows * this.cols === 0 ? 0 : this.#nnz / (this.rows * this.cols);
  }
  /** CSR row pointers, length rows + 1. */
  get rowPtr(): Int32Array {
    return this.#rowPtr;
  }
  /** CSR column indices (ascending within a row); entries past `nnz` are spare capacity. */
  get colIdx(): Int32Array {
    return this.#colIdx;
  }
  /** Values in CSR order: `values[j]` is W[r, colIdx[j]] for rowPtr[r] ≤ j < rowPtr[r + 1]. */
  get values(): Float32Array {
    return this.#values;
  }
  /** CSC column pointers, length cols + 1. */
  get colPtr(): Int32Array {
    return this.#colPtr;
  }
  /** CSC row indices (ascending within a column). */
  get rowIdx(): Int32Array {
    return this.#rowIdx;
  }
  /** Values in CSC order; `cscValues[q] === values[cscToCsr[q]]` after `syncCsc()`. */
  get cscValues(): Float32Array {
    return this.#cscValues;
  }
  get cscToCsr(): Int32Array {
    return this.#cscToCsr;
  }

  /** values ← dense at the nonzeros (O(nnz)), then the CSC copy. */
  loadValues(dense: ArrayLike<number>): void {
    checkLength("SparseMatrix.loadValues", "dense", dense, this.rows * this.cols);
    const { rows, cols } = this;
    const rowPtr = this.#rowPtr, colIdx = this.#colIdx, values = this.#values;
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      for (let j = rowPtr[r], end = rowPtr[r + 1]; j < end; j++) values[j] = dense[base + colIdx[j]];
    }
    this.syncCsc();
  }

  /** cscValues ← values (O(nnz)); call after writing `values` directly. */
  syncCsc(): void {
    const n = this.#nnz, perm = this.#cscToCsr, values = this.#values, csc = this.#cscValues;
    for (let q = 0; q < n; q++) csc[q] = values[perm[q]];
  }

  /** Writes the nonzeros into `out` (zeroed first), a dense [rows, cols] array. */
  toDense(out: Float32Array = new Float32Array(this.rows * this.cols)): Float32Array {
    checkLength("SparseMatrix.toDense", "out", out, this.rows * this.cols);
    out.fill(0);
    this.scatter(this.#values, out);
    return out;
  }

  /** dense[flat(j)] = src[j] for every nonzero j (CSR order); other entries are left alone. */
  scatter(src: ArrayLike<number>, dense: Float32Array): void {
    const { rows, cols } = this;
    const rowPtr = this.#rowPtr, colIdx = this.#colIdx;
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      for (let j = rowPtr[r], end = rowPtr[r + 1]; j < end; j++) dense[base + colIdx[j]] = src[j];
    }
  }

  /** The flat dense index of every nonzero, in CSR order (ascending). */
  flatIndices(out: Int32Array = new Int32Array(this.#nnz)): Int32Array {
    const { rows, cols } = this;
    const rowPtr = this.#rowPtr, colIdx = this.#colIdx;
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      for (let j = rowPtr[r], end = rowPtr[r + 1]; j < end; j++) out[j] = base + colIdx[j];
    }
    return out;
  }

  /**
   * Replaces the structure by `mask`'s ones (O(rows·cols) scan, O(nnz) rebuild; arrays are
   * reused when they are large enough) and loads the values from `dense`.
   */
  setMask(mask: ArrayLike<number>, dense: ArrayLike<number>): void {
    const total = this.rows * this.cols;
    checkLength("SparseMatrix.setMask", "mask", mask, total);
    checkLength("SparseMatrix.setMask", "dense", dense, total);
    let nnz = 0;
    for (let i = 0; i < total; i++) if (mask[i]) nnz++;
    this.#reserve(nnz);
    const { rows, cols } = this;
    const rowPtr = this.#rowPtr, colIdx = this.#colIdx;
    let j = 0;
    for (let r = 0; r < rows; r++) {
      rowPtr[r] = j;
      const base = r * cols;
      for (let c = 0; c < cols; c++) if (mask[base + c]) colIdx[j++] = c;
    }
    rowPtr[rows] = j;
    this.#nnz = nnz;
    this.#buildCsc();
    this.loadValues(dense);
  }

  /**
   * Incremental structure change: removes the `dropped` flat indices (which must be nonzeros) and
   * adds the `grown` ones (which must not remain nonzeros), in O(nnz + changes·log changes)
   * without scanning the dense matrix; values are then reloaded from `dense` (O(nnz)).
   * An index both dropped and grown stays, with its value re-read from `dense`.
   */
  update(changes: { readonly dropped?: ArrayLike<number>; readonly grown?: ArrayLike<number> }, dense: ArrayLike<number>): void {
    const total = this.rows * this.cols;
    checkLength("SparseMatrix.update", "dense", dense, total);
    const dropped = sortedIndices("dropped", changes.dropped ?? [], total);
    const grown = sortedIndices("grown", changes.grown ?? [], total);
    const old = this.flatIndices();
    const merged = new Int32Array(old.length - dropped.length + grown.length);
    let n = 0, d = 0, g = 0;
    for (let j = 0; j < old.length; j++) {
      const flat = old[j];
      while (g < grown.length && grown[g] < flat) merged[n++] = grown[g++];
      if (d < dropped.length && dropped[d] < flat) throw notNonzero(dropped[d]);
      if (d < dropped.length && dropped[d] === flat) {
        d++;
        continue;
      }
      if (g < grown.length && grown[g] === flat) {
        throw new SparselabError(`SparseMatrix.update(changes.grown): index ${flat} is already a nonzero (and not dropped)`);
      }
      merged[n++] = flat;
    }
    if (d < dropped.length) throw notNonzero(dropped[d]);
    while (g < grown.length) merged[n++] = grown[g++];

    this.#reserve(merged.length);
    const { rows, cols } = this;
    const rowPtr = this.#rowPtr, colIdx = this.#colIdx;
    let j = 0;
    for (let r = 0; r < rows; r++) {
      rowPtr[r] = j;
      const end = (r + 1) * cols;
      while (j < merged.length && merged[j] < end) {
        colIdx[j] = merged[j] - r * cols;
        j++;
      }
    }
    rowPtr[rows] = j;
    this.#nnz = merged.length;
    this.#buildCsc();
    this.loadValues(dense);
  }

  /** Returns the arrays to the kernels' memory. */
  dispose(): void {
    const m = this.#memory;
    for (const a of [this.#rowPtr, this.#colPtr, this.#colIdx, this.#values, this.#rowIdx, this.#cscValues, this.#cscToCsr]) m.free(a);
    this.#nnz = 0;
  }

  /** Capacity for nnz nonzeros: grows by 1.25× so that small changes do not reallocate each time. */
  #reserve(nnz: number): void {
    if (this.#colIdx.length >= nnz) return;
    const cap = Math.min(this.rows * this.cols, Math.max(nnz, Math.ceil(this.#colIdx.length * 1.25)));
    const m = this.#memory;
    const grow = <T extends Int32Array | Float32Array>(old: T, fresh: (n: number) => T): T => {
      m.free(old);
      return fresh(cap);
    };
    this.#colIdx = grow(this.#colIdx, (n) => m.allocInt32(n));
    this.#rowIdx = grow(this.#rowIdx, (n) => m.allocInt32(n));
    this.#cscToCsr = grow(this.#cscToCsr, (n) => m.allocInt32(n));
    this.#values = grow(this.#values, (n) => m.allocFloat32(n));
    this.#cscValues = grow(this.#cscValues, (n) => m.allocFloat32(n));
  }

  /** CSC from CSR by a counting sort over columns: O(nnz + cols), rows ascending per column. */
  #buildCsc(): void {
    const { rows, cols } = this;
    const rowPtr = this.#rowPtr, colIdx = this.#colIdx, colPtr = this.#colPtr, rowIdx = this.#rowIdx, perm = this.#cscToCsr;
    colPtr.fill(0);
    const nnz = this.#nnz;
    for (let j = 0; j < nnz; j++) colPtr[colIdx[j] + 1]++;
    for (let c = 0; c < cols; c++) colPtr[c + 1] += colPtr[c];
    const next = colPtr.slice(0, cols);
    for (let r = 0; r < rows; r++) {
      for (let j = rowPtr[r], end = rowPtr[r + 1]; j < end; j++) {
        const q = next[colIdx[j]]++;
        rowIdx[q] = r;
        perm[q] = j;
      }
    }
  }
}

function checkDims(call: string, rows: number, cols: number): void {
  if (!Number.isInteger(rows) || rows < 0) throw argError(call, "rows", "a non-negative integer", rows);
  if (!Number.isInteger(cols) || cols < 0) throw argError(call, "cols", "a non-negative integer", cols);
  if (rows * cols > 2 ** 31 - 1) throw argError(call, "rows·cols", "at most 2³¹ − 1 entries", rows * cols);
}

function checkLength(call: string, arg: string, value: ArrayLike<number>, length: number): void {
  if (value === null || typeof value !== "object" || value.length !== length) {
    throw argError(call, arg, `${length} values (a dense [rows, cols] array)`, value);
  }
}

function sortedIndices(arg: string, values: ArrayLike<number>, total: number): Int32Array {
  const out = Int32Array.from(values as ArrayLike<number>);
  for (let i = 0; i < out.length; i++) {
    if (out[i] !== values[i] || out[i] < 0 || out[i] >= total) throw argError("SparseMatrix.update", `changes.${arg}[${i}]`, `an index in [0, ${total})`, values[i]);
  }
  out.sort();
  for (let i = 1; i < out.length; i++) {
    if (out[i] === out[i - 1]) throw argError("SparseMatrix.update", `changes.${arg}`, "distinct indices", out[i]);
  }
  return out;
}

function notNonzero(flat: number): SparselabError {
  return new SparselabError(`SparseMatrix.update(changes.dropped): index ${flat} is not a nonzero`);
}
