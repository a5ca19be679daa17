import { describe, expect, it } from "vitest";
import { cubicSparsity, updateSteps } from "./sparsity.js";

describe("cubicSparsity (Zhu & Gupta)", () => {
  // s(t) = s_f + (s_i − s_f)(1 − p)³, p = clip((t − t0)/(t1 − t0), 0, 1); here s_i = 0, s_f = 0.9, t0 = 10, t1 = 30.
  const s = (t: number) => cubicSparsity(t, 0, 0.9, 10, 30);

  it("is s_i before the start and s_f from the end on", () => {
    expect(s(0)).toBe(0);
    expect(s(10)).toBe(0);
    expect(s(30)).toBe(0.9);
    expect(s(1000)).toBe(0.9);
  });

  it("matches hand-computed values inside the window", () => {
    expect(s(15)).toBeCloseTo(0.5203125, 12); // p = ¼: 0.9 − 0.9·(¾)³ = 0.9 − 0.3796875
    expect(s(20)).toBeCloseTo(0.7875, 12); // p = ½: 0.9 − 0.9·⅛
    expect(s(25)).toBeCloseTo(0.8859375, 12); // p = ¾: 0.9 − 0.9/64
    expect(cubicSparsity(20, 0.5, 0.9, 10, 30)).toBeCloseTo(0.85, 12); // 0.9 − 0.4·⅛
  });

  it("rises fastest at the start (cubic, not linear)", () => {
    expect(s(15) - s(10)).toBeGreaterThan(s(30) - s(25));
  });

  it("jumps straight to s_f when the window is empty", () => {
    expect(cubicSparsity(5, 0.2, 0.8, 10, 10)).toBe(0.8);
  });
});

describe("updateSteps", () => {
  it("begin, begin + every, … and always the end step", () => {
    expect(updateSteps(10, 30, 5)).toEqual([10, 15, 20, 25, 30]);
    expect(updateSteps(10, 31, 5)).toEqual([10, 15, 20, 25, 30, 31]);
    expect(updateSteps(10, 10, 5)).toEqual([10]);
    expect(updateSteps(1, 4, 1)).toEqual([1, 2, 3, 4]);
  });
});
