import { describe, expect, it } from "vitest";
import type { Split } from "./dataset.js";
import { synthetic } from "./synthetic.js";

/** Accuracy on `test` of assigning each example to the nearest class mean of `train`. */
function nearestMeanAccuracy(train: Split, test: Split, numClasses: number, features: number): number {
  const means = new Float64Array(numClasses * features);
  const counts = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < train.size; i++) {
    counts[train.y[i]]++;
    for (let f = 0; f < features; f++) means[train.y[i] * features + f] += train.x[i * features + f];
  }
  for (let c = 0; c < numClasses; c++) for (let f = 0; f < features; f++) means[c * features + f] /= counts[c];
  let correct = 0;
  for (let i = 0; i < test.size; i++) {
    let best = -1;
    let bestDistance = Infinity;
    for (let c = 0; c < numClasses; c++) {
      let d = 0;
      for (let f = 0; f < features; f++) d += (test.x[i * features + f] - means[c * features + f]) ** 2;
      if (d < bestDistance) [best, bestDistance] = [c, d];
    }
    if (best === test.y[i]) correct++;
  }
  return correct / test.size;
}

describe("synthetic", () => {
  it("has Fashion-MNIST's shapes by default", () => {
    const data = synthetic();
    expect([data.name, data.source]).toEqual(["synthetic", "synthetic"]);
    expect(data.inputShape).toEqual([28, 28, 1]);
    expect([data.features, data.numClasses]).toEqual([784, 10]);
    expect([data.train.size, data.validation.size, data.test.size]).toEqual([900, 100, 200]);
    expect(data.train.x.length).toBe(900 * 784);
    expect(data.test.y.length).toBe(200);
    expect(data.train.x.every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it("takes features or an input shape, not both", () => {
    const flat = synthetic({ features: 20, numClasses: 3, train: 60, test: 30 });
    expect(flat.inputShape).toEqual([1, 20, 1]);
    expect(flat.train.x.length).toBe(flat.train.size * 20);
    expect(synthetic({ inputShape: [4, 4, 2], train: 20, test: 5 }).features).toBe(32);
    expect(() => synthetic({ features: 4, inputShape: [2, 2, 1] })).toThrow(/^synthetic\(options\.features\): expected either features or inputShape, not both, received 4$/);
    expect(() => synthetic({ inputShape: [28, 28] as unknown as [number, number, number] })).toThrow(/^synthetic\(options\.inputShape\): expected \[height, width, channels\] of integers ≥ 1, received \[28,28\]$/);
  });

  it("is reproducible from its seed", () => {
    const a = synthetic({ features: 16, train: 50, test: 10, seed: 4 });
    expect(synthetic({ features: 16, train: 50, test: 10, seed: 4 })).toEqual(a);
    expect(synthetic({ features: 16, train: 50, test: 10, seed: 5 }).test.x).not.toEqual(a.test.x);
  });

  it("is learnable: nearest class means classify the test split", () => {
    const data = synthetic({ features: 64, train: 500, test: 200, seed: 1 });
    expect(nearestMeanAccuracy(data.train, data.test, data.numClasses, data.features)).toBeGreaterThan(0.9);
  });
});
