import { describe, expect, it } from "vitest";
import { benchEngine, formatEngineBench } from "./bench.js";

describe("benchEngine (tiny nets: the harness itself, not the numbers)", () => {
  it("trains dense and ERK-sparse and reports samples/s per implementation", async () => {
    const result = await benchEngine({ sizes: [40, 30, 20, 5], batch: 16, steps: 2, samples: 1, sparsities: [0, 0.9], implementations: ["wasm", "js"] });
    expect(result.net).toBe("mlp:40-30-20-5");
    expect(result.rows.map((r) => `${r.kernels}@${r.sparsity}`)).toEqual(["wasm@0", "wasm@0.9", "js@0", "js@0.9"]);
    for (const r of result.rows) {
      expect(r.trainSamplesPerSec).toBeGreaterThan(0);
      expect(r.inferSamplesPerSec).toBeGreaterThan(0);
      expect(Number.isFinite(r.loss[1])).toBe(true);
      // At least the kept weights, the biases (55) and their momentum, in WASM memory or in ArrayBuffers
      // (a sparse-routed layer holds only its kept weights).
      const kept = r.layers.reduce((n, l, i) => n + Math.round(l.density * [40 * 30, 30 * 20, 20 * 5][i]), 55);
      expect(r.peakBytes, `${r.kernels}@${r.sparsity}`).toBeGreaterThanOrEqual(2 * 4 * kept);
    }
    const sparse = result.rows[1];
    expect(sparse.layers.some((l) => l.mode === "sparse")).toBe(true);
    expect(formatEngineBench(result)).toMatch(/train\/s/);
  });

  it("measures a ConvNet the same way", async () => {
    const conv = { kind: "conv", input: [8, 8, 2], convs: [6, "pool", 8], dense: [12, 4], seed: 0 } as const;
    const result = await benchEngine({ conv, batch: 5, steps: 1, samples: 1, warmup: 1, sparsities: [0, 0.9], implementations: ["js"] });
    expect(result.net).toBe("conv:8x8x2:6-pool-8/12-4");
    expect(result.rows.map((r) => r.layers.map((l) => l.name))).toEqual(Array(2).fill(["conv1.kernel", "conv2.kernel", "fc1.kernel", "fc2.kernel"]));
    for (const r of result.rows) expect(r.trainSamplesPerSec).toBeGreaterThan(0);
    expect(result.rows[1].layers.find((l) => l.name === "conv2.kernel")!.mode).toBe("sparse");
    expect(formatEngineBench(result)).toMatch(/^conv:8x8x2:6-pool-8\/12-4, batch 5/);
  });
});
