import { describe, expect, it } from "vitest";
import { constantLr, cosineLr, lrFactor, stepLr, validateLrSchedule } from "./lr.js";

describe("lrFactor", () => {
  it("constant: 1 at every step", () => {
    for (const step of [0, 1, 57, 999]) expect(lrFactor(constantLr(), step, 1000, 10)).toBe(1);
  });

  it("linear warmup over the first `warmup` steps, reaching 1 on the last warmup step", () => {
    const s = constantLr({ warmup: 4 });
    expect([0, 1, 2, 3, 4, 50].map((t) => lrFactor(s, t, 100, 10))).toEqual([0.25, 0.5, 0.75, 1, 1, 1]);
  });

  it("step: × gamma at each milestone epoch (epochs counted from 0, as PyTorch's MultiStepLR)", () => {
    const s = stepLr([2, 4], 0.1);
    const at = (t: number) => lrFactor(s, t, 100, 10);
    // 10 steps per epoch: epochs 0–1 are steps 0–19, epochs 2–3 steps 20–39, epoch 4+ from step 40.
    expect([0, 19].map(at)).toEqual([1, 1]);
    expect(at(20)).toBeCloseTo(0.1, 12);
    expect(at(39)).toBeCloseTo(0.1, 12);
    expect(at(40)).toBeCloseTo(0.01, 12);
    expect(at(99)).toBeCloseTo(0.01, 12);
  });

  it("cosine: 1 → floor over the run", () => {
    const s = cosineLr();
    expect(lrFactor(s, 0, 100, 10)).toBe(1);
    expect(lrFactor(s, 50, 100, 10)).toBeCloseTo(0.5, 12); // ½(1 + cos π/2)
    expect(lrFactor(s, 25, 100, 10)).toBeCloseTo(0.8535534, 6); // ½(1 + cos π/4) = ½(1 + 0.7071068)
    expect(lrFactor(s, 75, 100, 10)).toBeCloseTo(0.1464466, 6); // ½(1 − 0.7071068)
    expect(lrFactor(s, 100, 100, 10)).toBeCloseTo(0, 12);
    expect(lrFactor(cosineLr({ floor: 0.1 }), 50, 100, 10)).toBeCloseTo(0.55, 12); // 0.1 + 0.9·0.5
  });

  it("cosine after warmup starts its decay where the warmup ends", () => {
    const s = cosineLr({ warmup: 10 });
    expect(lrFactor(s, 4, 110, 10)).toBeCloseTo(0.5, 12); // warmup: 5/10
    expect(lrFactor(s, 10, 110, 10)).toBe(1);
    expect(lrFactor(s, 60, 110, 10)).toBeCloseTo(0.5, 12); // (60 − 10) / (110 − 10) = ½ of the decay
  });
});

describe("LR schedule specs", () => {
  it("are frozen JSON", () => {
    const s = stepLr([30, 60], 0.2, { warmup: 5 });
    expect(s).toEqual({ kind: "step", milestones: [30, 60], gamma: 0.2, warmup: 5 });
    expect(Object.isFrozen(s)).toBe(true);
    expect(validateLrSchedule(JSON.parse(JSON.stringify(s)))).toEqual(s);
  });

  it("copy the milestones: the caller's array stays theirs (not shared, not frozen)", () => {
    const milestones = [2, 4];
    const s = stepLr(milestones);
    milestones.push(6);
    expect(s).toEqual({ kind: "step", milestones: [2, 4], gamma: 0.1 });
    expect(Object.isFrozen(s.kind === "step" && s.milestones)).toBe(true);
    expect(Object.isFrozen(milestones)).toBe(false);
  });

  it("reject bad values naming the call, the argument and the value", () => {
    expect(() => stepLr([2, 1])).toThrow(/^stepLr\(milestones\): expected increasing positive integers \(epochs\), received \[2,1\]$/);
    expect(() => stepLr([0])).toThrow(/^stepLr\(milestones\): expected increasing positive integers \(epochs\), received \[0\]$/);
    expect(() => stepLr([1.5])).toThrow(/^stepLr\(milestones\): .*received \[1\.5\]$/);
    expect(() => stepLr([2], 0)).toThrow(/^stepLr\(gamma\): expected a number in \(0, 1\], received 0$/);
    expect(() => cosineLr({ floor: 2 })).toThrow(/^cosineLr\(floor\): expected a number in \[0, 1\], received 2$/);
    expect(() => constantLr({ warmup: -1 })).toThrow(/^constantLr\(warmup\): expected a non-negative integer, received -1$/);
    expect(() => constantLr({ warmup: 2.5 })).toThrow(/^constantLr\(warmup\): expected a non-negative integer, received 2\.5$/);
    expect(() => validateLrSchedule({ kind: "exponential" })).toThrow(/^schedule\(schedule\.kind\): expected "constant" \| "step" \| "cosine", received "exponential"$/);
    expect(() => validateLrSchedule({ kind: "cosine", gamma: 0.1 })).toThrow(/^schedule\(schedule\.gamma\): expected no such option \(known: kind, warmup, floor\), received 0\.1$/);
    expect(() => validateLrSchedule(null)).toThrow(/^schedule\(schedule\): expected an object, received null$/);
  });
});
