import { describe, expect, it } from "vitest";
import { apportion } from "./apportion.js";

describe("apportion (largest remainder)", () => {
  it("hands the missing units to the largest fractional parts", () => {
    expect(apportion([1.2, 2.7, 3.5], [10, 10, 10], 8)).toEqual([1, 3, 4]);
    expect(apportion([1.2, 2.7, 3.5], [10, 10, 10], 7)).toEqual([1, 3, 3]);
  });

  it("breaks equal remainders in layer order", () => {
    expect(apportion([0.5, 0.5, 0.5], [1, 1, 1], 2)).toEqual([1, 1, 0]);
  });

  it("respects caps and absorbs floating-point overshoot", () => {
    expect(apportion([2.9, 0.1], [2, 5], 3)).toEqual([2, 1]);
    // Floors overshoot by one: the unit comes back from the smallest fractional part.
    expect(apportion([3.0000000001, 2], [5, 5], 4)).toEqual([3, 1]);
  });

  it("fails loudly when the budget cannot fit", () => {
    expect(() => apportion([1, 1], [1, 1], 3)).toThrow(/^apportion: a budget of 3 does not fit/);
  });
});
