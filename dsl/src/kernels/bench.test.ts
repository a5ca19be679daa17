import { describe, expect, it } from "vitest";
import { benchKernels, formatKernelBench, measureBreakEven, measureConvBreakEven } from "./bench.js";
import { createJsKernels } from "./js.js";

describe("benchKernels (tiny shapes: the harness itself, not the numbers)", () => {
  it("measures gemm NN/NT/TN and the sparse kernels per implementation", () => {
    const result = benchKernels({ shapes: [[16, 24, 8]], sparsities: [0.5, 0.9], samples: 1, minSampleMs: 1 });
    const ops = result.rows.filter((r) => r.kernels === "js").map((r) => `${r.op}@${r.sparsity}`);
    expect(ops).toEqual(["gemm NN@0", "gemm NT@0", "gemm TN@0", "spmm fwd@0.5", "spmm dX@0.5", "sddmm dW@0.5", "spmm fwd@0.9", "spmm dX@0.9", "sddmm dW@0.9"]);
    for (const r of result.rows) {
      expect(r.gflops).toBeGreaterThan(0);
      expect(Number.isFinite(r.speedup)).toBe(true);
    }
    expect(new Set(result.rows.map((r) => `${r.kernels}${r.threads}`)).size).toBeGreaterThanOrEqual(3);
    expect(formatKernelBench(result)).toMatch(/gemm NN/);
  });

  it("measureBreakEven returns a density within the measured range", () => {
    const k = createJsKernels();
    const r = measureBreakEven(k, [8, 16, 8], { densities: [0.3, 0.6], samples: 1, minSampleMs: 1 });
    expect(r.ratios).toHaveLength(2);
    expect(r.density).toBeGreaterThanOrEqual(0.3);
    expect(r.density).toBeLessThanOrEqual(0.6);
  });

  it("measureConvBreakEven does the same for a 3×3 conv layer", () => {
    const k = createJsKernels();
    const r = measureConvBreakEven(k, { n: 2, h: 6, w: 5, cin: 3, cout: 4 }, { densities: [0.3, 0.6], samples: 1, minSampleMs: 1 });
    expect(r.ratios.map((x) => x.density)).toEqual([0.3, 0.6]);
    for (const x of r.ratios) expect(x.sparseOverDense).toBeGreaterThan(0);
    expect(r.density).toBeGreaterThanOrEqual(0.3);
    expect(r.density).toBeLessThanOrEqual(0.6);
  });

  it("the break-even measurements name a bad shape or density", () => {
    const k = createJsKernels();
    expect(() => measureConvBreakEven(k, { cin: 0 })).toThrow(/measureConvBreakEven\(shape\.cin\).*positive integer.*0/);
    expect(() => measureBreakEven(k, [8, -1, 8])).toThrow(/measureBreakEven\(shape\).*positive integers/);
    expect(() => measureBreakEven(k, [8, 16, 8], { densities: [0.5, 2] })).toThrow(/measureBreakEven\(options\.densities\).*\(0, 1\]/);
    expect(() => measureConvBreakEven(k, { n: 1, h: 2, w: 2, cin: 1, cout: 1 }, { densities: [] })).toThrow(/measureConvBreakEven\(options\.densities\)/);
  });
});
