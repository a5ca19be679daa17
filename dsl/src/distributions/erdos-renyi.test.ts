import { describe, expect, it } from "vitest";
import { er } from "./er.js";
import { erk } from "./erk.js";
import type { LayerwiseAllocation } from "./types.js";

const lenet300100 = [
  { name: "fc1", shape: [784, 300] },
  { name: "fc2", shape: [300, 100] },
  { name: "fc3", shape: [100, 10] },
];
const lenetTotal = 784 * 300 + 300 * 100 + 100 * 10;

function expectExact(allocation: LayerwiseAllocation, sparsity: number, total: number): void {
  const budget = Math.round((1 - sparsity) * total);
  expect(allocation.kept).toBe(budget);
  expect(allocation.layers.reduce((sum, layer) => sum + layer.kept, 0)).toBe(budget);
  for (const layer of allocation.layers) {
    expect(Number.isInteger(layer.kept)).toBe(true);
    expect(Math.abs(layer.kept - layer.targetDensity * layer.total)).toBeLessThan(1);
    expect(layer.density).toBe(layer.kept / layer.total);
  }
}

describe("ERK on LeNet-300-100 (rigl test vectors)", () => {
  const vectors: [number, number[]][] = [
    [0.8, [0.1622, 0.4694, 1.0]],
    [0.9, [0.0796, 0.2302, 1.0]],
    [0.98, [0.0154, 0.0445, 0.3674]],
  ];
  for (const [sparsity, densities] of vectors) {
    it(`s = ${sparsity} → ${densities.join(" / ")}`, () => {
      for (const distribution of [erk(sparsity), er(sparsity)]) {
        const allocation = distribution.allocate(lenet300100);
        expect(allocation.kind).toBe("layerwise");
        allocation.layers.forEach((layer, i) => expect(layer.targetDensity).toBeCloseTo(densities[i], 4));
        expectExact(allocation, sparsity, lenetTotal);
      }
      // For dense kernels [in, out] both raw densities are (in + out) / (in·out).
      expect(er(sparsity).allocate(lenet300100)).toEqual(erk(sparsity).allocate(lenet300100));
    });
  }

  it("keeps a densified layer fully dense", () => {
    const fc3 = erk(0.8).allocate(lenet300100).layers[2];
    expect(fc3).toMatchObject({ kept: 1000, density: 1, targetDensity: 1 });
  });
});

describe("ER vs ERK on a conv net", () => {
  // Two convs with the same channels and different windows, then a classifier.
  const convnet = [
    { name: "conv3x3", shape: [3, 3, 32, 32] },
    { name: "conv1x1", shape: [1, 1, 32, 32] },
    { name: "fc", shape: [2048, 10] },
  ];
  const total = 9 * 1024 + 1024 + 20480;

  it("ERK counts the kernel window, ER only fan-in and fan-out (rigl's definitions)", () => {
    const withWindow = erk(0.9).allocate(convnet);
    const withoutWindow = er(0.9).allocate(convnet);
    expectExact(withWindow, 0.9, total);
    expectExact(withoutWindow, 0.9, total);
    const [er3, er1] = withoutWindow.layers;
    const [erk3, erk1] = withWindow.layers;
    expect(er3.targetDensity).toBeCloseTo(er1.targetDensity, 12);
    // ERK raw densities: (3+3+32+32)/9216 and (1+1+32+32)/1024.
    expect(erk1.targetDensity / erk3.targetDensity).toBeCloseTo((66 / 1024) / (70 / 9216), 10);
    expect(withWindow.layers.map((l) => l.kept)).not.toEqual(withoutWindow.layers.map((l) => l.kept));
  });

  it("ER refuses a vector, which has no fan-in/fan-out pair", () => {
    expect(() => er(0.5).allocate([{ name: "v", shape: [10] }])).toThrow(/^er\.allocate\(tensors\): expected kernels of rank ≥ 2 \(ER needs fan-in and fan-out\), received "v" of shape \[10\]$/);
    expect(erk(0.5).allocate([{ name: "v", shape: [10] }]).kept).toBe(5);
  });
});

describe("edge sparsities", () => {
  it("s = 0 keeps everything", () => {
    const allocation = erk(0).allocate(lenet300100);
    expect(allocation.layers.map((l) => l.kept)).toEqual([235200, 30000, 1000]);
  });

  it("a sparsity close to 1 still adds up exactly", () => {
    expectExact(erk(0.9999).allocate(lenet300100), 0.9999, lenetTotal);
  });

  it("pins the validation message", () => {
    expect(() => erk(1.5)).toThrow(/^erk\(sparsity\): expected a number in \[0, 1\), received 1\.5$/);
    expect(() => er(1)).toThrow(/^er\(sparsity\): expected a number in \[0, 1\), received 1$/);
    expect(() => erk(Number.NaN)).toThrow(/^erk\(sparsity\): expected a number in \[0, 1\), received NaN$/);
    expect(() => erk(0.5).allocate([])).toThrow(/^erk\.allocate\(tensors\): expected a non-empty array of \{ name, shape \}, received \[\]$/);
    expect(() => erk(0.5).allocate([{ name: "a", shape: [2] }, { name: "a", shape: [3] }]))
      .toThrow(/^erk\.allocate\(tensors\): expected unique tensor names, received "a" twice$/);
  });
});
