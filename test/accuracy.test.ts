import * as sl from "sparselab";
import { describe, expect, it } from "vitest";

/**
 * LeNet-300-100 on the embedded Fashion-MNIST subset (9,000 train after the 10% validation
 * hold-out, 2,000 test, standardised pixels), 5 epochs of SGD 0.05 / momentum 0.9 with cosine decay,
 * batch 128, seed 1.
 *
 * Measured (wasm, seeds 1–3): dense 0.851 / 0.850 / 0.844, ERK 90% random 0.8345 / 0.8355 / 0.831.
 * For reference, on raw [0, 1] pixels with SGD 0.1 / momentum 0.9 for 3 epochs, dense gave
 * 0.79–0.83 here and 0.786–0.825 in PyTorch 1.13 (seeds 0–3): standardising the input is what
 * lifts dense past 0.84 at this scale.
 */
const SPARSE_BAR = 0.8;
const DENSE_BAR = 0.84;

describe("accuracy on embedded Fashion-MNIST", () => {
  it("LeNet-300-100: ERK 90% random pruning ≥ 0.80 and dense ≥ 0.84 test accuracy in 5 epochs", { timeout: 300_000 }, async () => {
    const data = await sl.datasets.fashionMnist({ source: "embedded" });
    expect([data.source, data.train.size, data.test.size]).toEqual(["embedded", 9000, 2000]);
    const train = { data, epochs: 5, batchSize: 128, optimizer: sl.sgd(0.05, { momentum: 0.9 }), schedule: sl.cosineLr() };

    const net = sl.nets.mlp([784, 300, 100, 10], { seed: 1 });
    const sparse = await net.sparsify().erk(0.9).random({ seed: 1 }).train(train).run();
    const dense = await net.sparsify().train(train).run();

    const line = (label: string, r: sl.RunResult) =>
      `${label}: test accuracy ${r.metrics.testAccuracy.toFixed(4)} (loss ${r.metrics.testLoss.toFixed(4)}), ` +
      `val ${r.metrics.valAccuracy.toFixed(4)}, density ${r.report.overall.density.toFixed(4)}, ${r.backend}, ${r.seconds.toFixed(1)}s`;
    console.log([line("ERK 90% random", sparse), line("dense", dense)].join("\n"));

    expect(sparse.report.overall.density).toBeCloseTo(0.1, 6);
    expect(sparse.report.layers.map((l) => Number(l.density.toFixed(4)))).toEqual([0.0796, 0.2302, 1]);
    expect(dense.report.overall.density).toBe(1);
    expect(sparse.metrics.testAccuracy).toBeGreaterThanOrEqual(SPARSE_BAR);
    expect(dense.metrics.testAccuracy).toBeGreaterThanOrEqual(DENSE_BAR);
    for (const r of [sparse, dense]) r.net.dispose();
    net.dispose();
  });
});
