import { describe, expect, it } from "vitest";
import { benchEngine, formatEngineBench } from "./bench.js";

describe("benchEngine (a tiny MLP: the harness itself, not the numbers)", () => {
  it("trains dense and ERK-sparse and reports samples/s per implementation", () => {
    const result = benchEngine({ sizes: [40, 30, 20, 5], batch: 16, steps: 2, samples: 1, sparsities: [0, 0.9], implementations: ["wasm", "js"] });
    expect(result.rows.map((r) => `${r.kernels}@${r.sparsity}`)).toEqual(["wasm@0", "wasm@0.9", "js@0", "js@0.9"]);
    for (const r of result.rows) {
      expect(r.trainSamplesPerSec).toBeGreaterThan(0);
      expect(r.inferSamplesPerSec).toBeGreaterThan(0);
      expect(Number.isFinite(r.loss[1])).toBe(true);
    }
    const sparse = result.rows[1];
    expect(sparse.layers.some((l) => l.mode === "sparse")).toBe(true);
    expect(formatEngineBench(result)).toMatch(/train\/s/);
  });
});
