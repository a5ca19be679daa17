import { describe, expect, it } from "vitest";
import { uniform } from "./uniform.js";

const mlp = [
  { name: "fc1", shape: [784, 300] },
  { name: "fc2", shape: [300, 100] },
  { name: "fc3", shape: [100, 10] },
];
const total = 266200;

describe("uniform", () => {
  it("gives every layer the same density, counts adding up to the budget", () => {
    const allocation = uniform(0.9).allocate(mlp);
    expect(allocation.layers.map((l) => l.kept)).toEqual([23520, 3000, 100]);
    expect(allocation.kept).toBe(Math.round(0.1 * total));
    expect(allocation.layers.every((l) => l.targetDensity === allocation.layers[0].targetDensity)).toBe(true);
  });

  it("fixes rounding by largest remainder so the sum is exact", () => {
    const tensors = [{ name: "a", shape: [3] }, { name: "b", shape: [3] }, { name: "c", shape: [3] }];
    // budget round(0.5·9) = 5 (rounds half up); each target 1.5: the first two layers get the extra units.
    const allocation = uniform(0.5).allocate(tensors);
    expect(allocation.layers.map((l) => l.kept)).toEqual([2, 2, 1]);
    expect(allocation.kept).toBe(5);
  });

  it("counts dense first/last layers toward the budget", () => {
    const allocation = uniform(0.9, { denseFirst: false, denseLast: true }).allocate(mlp);
    const budget = Math.round(0.1 * total);
    expect(allocation.layers[2]).toMatchObject({ kept: 1000, density: 1, targetDensity: 1 });
    expect(allocation.kept).toBe(budget);
    const rest = (budget - 1000) / (235200 + 30000);
    expect(allocation.layers[0].targetDensity).toBeCloseTo(rest, 12);
    expect(allocation.layers[0].kept + allocation.layers[1].kept).toBe(budget - 1000);
  });

  it("refuses dense layers larger than the budget", () => {
    expect(() => uniform(0.9, { denseFirst: true }).allocate(mlp))
      .toThrow(/^uniform\.allocate\(tensors\): expected the dense first\/last layers to fit the budget of 26620 weights at sparsity 0\.9, received dense layers with 235200 weights$/);
    expect(() => uniform(0.5, { denseFirst: true }).allocate([{ name: "only", shape: [10] }])).toThrow(/^uniform\.allocate\(tensors\)/);
    expect(uniform(0, { denseFirst: true }).allocate([{ name: "only", shape: [10] }]).kept).toBe(10);
  });

  it("validates its arguments", () => {
    expect(() => uniform(-0.1)).toThrow(/^uniform\(sparsity\): expected a number in \[0, 1\), received -0\.1$/);
    expect(() => uniform(0.5, { denseFirst: "yes" } as never)).toThrow(/^uniform\(options\.denseFirst\): expected a boolean, received "yes"$/);
    expect(() => uniform(0.5, { dense_first: true } as never)).toThrow(/^uniform\(options\.dense_first\): expected no such option \(known: denseFirst, denseLast\), received true$/);
  });
});
