import { describe, expect, it } from "vitest";
import { maskGrid, maskHeatmap, matrixView } from "./heatmap.js";

const mask = (shape: number[], bits: number[]) => ({ shape, bits: Uint8Array.from(bits) });

describe("maskGrid", () => {
  it("averages exact blocks", () => {
    // 4 × 6, blocks of 2 × 2 → a 2 × 3 grid
    const m = mask([4, 6], [
      1, 1, 0, 0, 1, 0,
      1, 1, 0, 0, 0, 0,
      0, 0, 1, 0, 1, 1,
      0, 1, 0, 0, 1, 1,
    ]);
    const g = maskGrid(m, [2, 3]);
    expect([g.blockRows, g.blockCols, g.gridRows, g.gridCols]).toEqual([2, 2, 2, 3]);
    expect([...g.density]).toEqual([1, 0, 0.25, 0.25, 0.25, 1]);
  });

  it("averages partial edge blocks over their own size", () => {
    // 5 × 5 into at most 2 × 2 → blocks of 3 × 3; edges are 3×2, 2×3 and 2×2
    const bits = Array.from({ length: 25 }, (_, i) => (Math.floor(i / 5) >= 3 || i % 5 >= 3 ? 1 : 0));
    const g = maskGrid(mask([5, 5], bits), [2, 2]);
    expect([g.gridRows, g.gridCols]).toEqual([2, 2]);
    expect([...g.density]).toEqual([0, 1, 1, 1]);
    const oneLive = maskGrid(mask([5, 5], Array.from({ length: 25 }, (_, i) => (i === 24 ? 1 : 0))), [2, 2]);
    expect([...oneLive.density]).toEqual([0, 0, 0, 1 / 4]);
  });

  it("keeps small masks at full resolution", () => {
    const g = maskGrid(mask([2, 3], [1, 0, 1, 0, 1, 0]));
    expect([g.blockRows, g.blockCols]).toEqual([1, 1]);
    expect([...g.density]).toEqual([1, 0, 1, 0, 1, 0]);
  });

  it("flattens conv kernels [kh, kw, cin, cout] to [kh·kw·cin, cout], row-major", () => {
    expect(matrixView([3, 3, 16, 32])).toEqual([144, 32]);
    expect(matrixView([10])).toEqual([1, 10]);
    const bits = Array.from({ length: 2 * 2 * 1 * 3 }, (_, i) => (i === 4 ? 1 : 0)); // row 1, col 1
    const g = maskGrid(mask([2, 2, 1, 3], bits));
    expect([g.rows, g.cols]).toEqual([4, 3]);
    expect(g.density[1 * 3 + 1]).toBe(1);
  });

  it.each([[784, 300], [1, 100_000], [100_000, 1], [576, 64], [101, 99], [3, 7000]])(
    "never exceeds the cell budget and keeps the mean density (%i × %i)", (rows, cols) => {
      const bits = Array.from({ length: rows * cols }, (_, i) => (i % 7 === 0 ? 1 : 0));
      const g = maskGrid(mask([rows, cols], bits), 1000);
      expect(g.gridRows * g.gridCols).toBeLessThanOrEqual(1000);
      let kept = 0;
      for (let r = 0; r < g.gridRows; r++) {
        for (let c = 0; c < g.gridCols; c++) {
          const h = Math.min(g.blockRows, rows - r * g.blockRows);
          const w = Math.min(g.blockCols, cols - c * g.blockCols);
          kept += g.density[r * g.gridCols + c] * h * w;
        }
      }
      expect(Math.round(kept)).toBe(bits.filter((b) => b === 1).length);
    });

  it("uses square blocks where the shape allows", () => {
    const g = maskGrid(mask([784, 300], new Array(784 * 300).fill(0)), 10_000);
    expect(g.blockRows).toBe(g.blockCols);
  });

  it("rejects bad masks and budgets", () => {
    expect(() => maskGrid(mask([2, 2], [1, 0, 1]), 10)).toThrow(/^maskGrid\(mask\.bits\): expected 4 values for shape \[2, 2\], received a Uint8Array of length 3/);
    expect(() => maskGrid({ shape: [0], bits: [] } as never)).toThrow(/^maskGrid\(mask\): expected a Mask \(shape and bits\)/);
    expect(() => maskGrid(mask([2, 2], [1, 0, 1, 0]), 0)).toThrow(/^maskGrid\(maxCells\): expected a positive integer, received 0/);
    expect(() => maskGrid(mask([2, 2], [1, 0, 1, 0]), [1] as never)).toThrow(/^maskGrid\(maxCells\): expected a positive integer or a pair/);
  });
});

describe("maskHeatmap data", () => {
  it("ships block indices and densities only for blocks with live weights", () => {
    const m = mask([4, 6], [1, 1, 0, 0, 1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 0, 1, 0, 0, 1, 1]);
    const chart = maskHeatmap(m, { maxCells: [2, 3] });
    const values = (chart.spec as { data: { values: { i: number; j: number; d: number }[] } }).data.values;
    expect(values).toEqual([{ i: 0, j: 0, d: 1 }, { i: 0, j: 2, d: 0.25 }, { i: 1, j: 0, d: 0.25 }, { i: 1, j: 1, d: 0.25 }, { i: 1, j: 2, d: 1 }]);
    expect(chart.description).toBe("<Chart: mask [4×6], 11 of 24 weights live, averaged over 2×2 blocks (2×3 cells)>");
  });

  it("coarsens to the drawing so no cell is under 3 px", () => {
    const chart = maskHeatmap(mask([600, 600], new Array(360_000).fill(1)), { size: 300 });
    expect((chart.spec as { data: { values: unknown[] } }).data.values.length).toBeLessThanOrEqual(100 * 100);
  });

  it("rejects bad options", () => {
    expect(() => maskHeatmap(mask([1], [1]), { maxCells: -5 })).toThrow(/^maskHeatmap\(options\.maxCells\): expected a positive integer, received -5/);
    expect(() => maskHeatmap({ name: "", mask: mask([1], [1]) })).toThrow(/^maskHeatmap\(mask\.name\): expected a non-empty string, received ""/);
  });
});
