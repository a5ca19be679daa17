import { describe, expect, it } from "vitest";
import { SparselabError } from "../errors.js";
import { SparseMatrix } from "./sparse-matrix.js";
import { randomMask, seededRandom } from "./testing.js";
import { createWasmKernels } from "./wasm.js";

/** Checks CSR ↔ CSC consistency and the values against `dense` under `mask`. */
function checkFormat(w: SparseMatrix, mask: Uint8Array, dense: Float32Array): void {
  const { rows, cols } = w;
  expect(w.nnz).toBe(mask.reduce((s, b) => s + b, 0));
  expect(w.rowPtr[rows]).toBe(w.nnz);
  expect(w.colPtr[cols]).toBe(w.nnz);
  const seen = new Uint8Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let j = w.rowPtr[r]; j < w.rowPtr[r + 1]; j++) {
      if (j > w.rowPtr[r]) expect(w.colIdx[j]).toBeGreaterThan(w.colIdx[j - 1]);
      const flat = r * cols + w.colIdx[j];
      expect(mask[flat]).toBe(1);
      expect(w.values[j]).toBe(dense[flat]);
      seen[flat] = 1;
    }
  }
  expect(Array.from(seen)).toEqual(Array.from(mask));
  for (let c = 0; c < cols; c++) {
    for (let q = w.colPtr[c]; q < w.colPtr[c + 1]; q++) {
      if (q > w.colPtr[c]) expect(w.rowIdx[q]).toBeGreaterThan(w.rowIdx[q - 1]);
      const j = w.cscToCsr[q];
      expect(w.colIdx[j]).toBe(c);
      expect(j).toBeGreaterThanOrEqual(w.rowPtr[w.rowIdx[q]]);
      expect(j).toBeLessThan(w.rowPtr[w.rowIdx[q] + 1]);
      expect(w.cscValues[q]).toBe(w.values[j]);
    }
  }
}

function randomDense(n: number, random: () => number): Float32Array {
  return Float32Array.from({ length: n }, () => random() * 2 - 1);
}

describe("SparseMatrix", () => {
  it("builds CSR and CSC from a mask, keeps them in sync, and round-trips to dense", () => {
    const random = seededRandom(3);
    const [rows, cols] = [23, 17];
    const mask = randomMask(rows * cols, 0.3, random);
    mask.fill(0, 5 * cols, 6 * cols); // an empty row
    const dense = randomDense(rows * cols, random);
    const w = SparseMatrix.fromMask(rows, cols, mask, dense);
    checkFormat(w, mask, dense);
    expect(w.density).toBeCloseTo(w.nnz / (rows * cols));
    expect(Array.from(w.toDense())).toEqual(Array.from(dense.map((v, i) => (mask[i] ? v : 0))));
    // O(nnz) value sync
    const next = randomDense(rows * cols, random);
    w.loadValues(next);
    checkFormat(w, mask, next);
    // direct writes to `values` + syncCsc
    w.values[0] = 42;
    w.syncCsc();
    expect(w.cscValues[Array.from(w.cscToCsr).indexOf(0)]).toBe(42);
  });

  it("fromDense takes the nonzeros of a dense array", () => {
    const w = SparseMatrix.fromDense(2, 3, [0, 1, 0, 2, 0, 3]);
    expect(w.nnz).toBe(3);
    expect(Array.from(w.flatIndices())).toEqual([1, 3, 5]);
    expect(Array.from(w.colPtr)).toEqual([0, 1, 2, 3]);
  });

  it("update(dropped, grown) equals a rebuild from the new mask, on heap and WASM memory", () => {
    const wasm = createWasmKernels({ memoryMB: 4 });
    for (const memory of [undefined, wasm]) {
      const random = seededRandom(9);
      const [rows, cols] = [40, 31];
      const mask = randomMask(rows * cols, 0.2, random);
      const dense = randomDense(rows * cols, random);
      const w = SparseMatrix.fromMask(rows, cols, mask, dense, memory);
      for (let round = 0; round < 5; round++) {
        const on = [...mask.keys()].filter((i) => mask[i]);
        const off = [...mask.keys()].filter((i) => !mask[i]);
        const dropped = on.filter(() => random() < 0.3);
        const grown = off.filter(() => random() < 0.05 * (round + 1)); // nnz grows: capacity reallocations
        for (const i of dropped) mask[i] = 0;
        for (const i of grown) mask[i] = 1;
        const values = randomDense(rows * cols, random);
        w.update({ dropped, grown }, values);
        checkFormat(w, mask, values);
        if (memory) expect(memory.owns(w.values) && memory.owns(w.colIdx)).toBe(true);
      }
      // an index dropped and grown at once stays
      const keep = Array.from(w.flatIndices())[3];
      w.update({ dropped: [keep], grown: [keep] }, dense);
      checkFormat(w, mask, dense);
      w.dispose();
    }
    wasm.dispose();
  });

  it("setMask rebuilds the structure in place", () => {
    const random = seededRandom(4);
    const dense = randomDense(60, random);
    const w = SparseMatrix.fromMask(6, 10, randomMask(60, 0.5, random), dense);
    const mask = randomMask(60, 0.1, random);
    w.setMask(mask, dense);
    checkFormat(w, mask, dense);
  });

  it("rejects inconsistent updates and wrong sizes", () => {
    const w = SparseMatrix.fromDense(2, 2, [1, 0, 0, 1]);
    expect(() => w.update({ dropped: [1] }, [1, 0, 0, 1])).toThrow(/index 1 is not a nonzero/);
    expect(() => w.update({ grown: [0] }, [1, 0, 0, 1])).toThrow(/already a nonzero/);
    expect(() => w.update({ grown: [4] }, [1, 0, 0, 1])).toThrow(SparselabError);
    expect(() => w.update({ grown: [1, 1] }, [1, 0, 0, 1])).toThrow(/distinct/);
    expect(() => w.loadValues([1, 2, 3])).toThrow(/4 values/);
    expect(() => SparseMatrix.fromMask(2, 2, [1, 0, 1], [0, 0, 0, 0])).toThrow(SparselabError);
  });
});
