import { describe, expect, it } from "vitest";
import { Rng } from "./random.js";
import { complement, expectValidation, stratifiedSample, validationCount } from "./sampling.js";

function countBy(labels: ArrayLike<number>, indices: ArrayLike<number>): Record<number, number> {
  const counts: Record<number, number> = {};
  for (let i = 0; i < indices.length; i++) counts[labels[indices[i]]] = (counts[labels[indices[i]]] ?? 0) + 1;
  return counts;
}

describe("stratifiedSample", () => {
  // 60 of class 0, 30 of class 1, 10 of class 2.
  const labels = Int32Array.from({ length: 100 }, (_, i) => (i < 60 ? 0 : i < 90 ? 1 : 2));

  it("takes an exact total, proportional per class, sorted and without repeats", () => {
    const picked = stratifiedSample(labels, 11, new Rng(3));
    expect(picked.length).toBe(11);
    expect(countBy(labels, picked)).toEqual({ 0: 7, 1: 3, 2: 1 });
    expect(Array.from(picked)).toEqual([...new Set(picked)].sort((a, b) => a - b));
  });

  it("depends on the generator's seed only", () => {
    const a = stratifiedSample(labels, 20, new Rng(1));
    expect(stratifiedSample(labels, 20, new Rng(1))).toEqual(a);
    expect(stratifiedSample(labels, 20, new Rng(2))).not.toEqual(a);
  });

  it("complement returns the rest in order", () => {
    expect(Array.from(complement(6, Int32Array.from([1, 4])))).toEqual([0, 2, 3, 5]);
  });
});

describe("validation sizes", () => {
  it("reads fractions and whole counts", () => {
    expect(validationCount(0.1, 1000, "v")).toBe(100);
    expect(validationCount(250, 1000, "v")).toBe(250);
    expect(validationCount(0, 1000, "v")).toBe(0);
  });

  it("refuses other numbers, naming the argument", () => {
    expect(() => expectValidation(1.5, "f(options.validation)")).toThrow(/^f\(options\.validation\): expected a fraction in \[0, 1\) or a whole count ≥ 1, received 1\.5$/);
    expect(() => expectValidation("10%", "f(options.validation)")).toThrow(/received "10%"/);
    expect(() => validationCount(1000, 1000, "f(options.validation)")).toThrow(/^f\(options\.validation\): expected fewer validation examples than the 1000 in the train split, received 1000$/);
  });
});
