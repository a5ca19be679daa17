import { describe, expect, it } from "vitest";
import { meanInterval, summarise } from "./stats.js";

describe("meanInterval", () => {
  it("gives the Student-t 95% interval", () => {
    // mean 2, sd 1, n 3 → half-width 4.303 / sqrt(3)
    const r = meanInterval([1, 2, 3]);
    expect(r.mean).toBe(2);
    expect(r.sd).toBeCloseTo(1, 12);
    expect(r.hi - r.mean).toBeCloseTo(4.303 / Math.sqrt(3), 10);
    expect(r.lo).toBeCloseTo(2 - 4.303 / Math.sqrt(3), 10);
  });
  it("collapses to the point for one value", () => {
    expect(meanInterval([0.8])).toEqual({ mean: 0.8, lo: 0.8, hi: 0.8, n: 1, sd: 0 });
  });
  it("rejects empty or NaN input", () => {
    expect(() => meanInterval([])).toThrow(/meanInterval\(values\): expected a non-empty array of numbers, received \[\]/);
    expect(() => meanInterval([1, NaN])).toThrow(/meanInterval\(values\)/);
  });
  it("summarises groups", () => {
    const s = summarise([{ g: "a", v: 1 }, { g: "a", v: 3 }, { g: "b", v: 5 }], (r) => r.g, (r) => r.v);
    expect(s.get("a")!.mean).toBe(2);
    expect(s.get("b")!.n).toBe(1);
  });
});
