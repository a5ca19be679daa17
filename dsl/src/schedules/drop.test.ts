import { describe, expect, it } from "vitest";
import { constantDrop, cosine, dropFraction, exponential, validateDropSchedule } from "./drop.js";

describe("drop-fraction schedules: values over the update window", () => {
  it("constant: the same fraction everywhere", () => {
    const s = constantDrop(0.3);
    expect(s).toEqual({ kind: "constant", initial: 0.3 });
    for (const p of [0, 0.25, 0.5, 1]) expect(dropFraction(s, p)).toBe(0.3);
  });

  it("cosine (RigL's default): initial · (1 + cos πp) / 2, decaying to 0 at the end", () => {
    const s = cosine(0.3);
    expect(s).toEqual({ kind: "cosine", initial: 0.3, final: 0 });
    expect(dropFraction(s, 0)).toBeCloseTo(0.3, 12);
    expect(dropFraction(s, 1 / 3)).toBeCloseTo(0.225, 12); // cos(π/3) = 1/2 → 0.3 · 3/4
    expect(dropFraction(s, 0.5)).toBeCloseTo(0.15, 12);
    expect(dropFraction(s, 2 / 3)).toBeCloseTo(0.075, 12);
    expect(dropFraction(s, 1)).toBeCloseTo(0, 12);
  });

  it("cosine with a floor (GraNet: 0.5 → 0.005)", () => {
    const s = cosine(0.5, 0.005);
    expect(dropFraction(s, 0)).toBeCloseTo(0.5, 12);
    expect(dropFraction(s, 0.5)).toBeCloseTo(0.2525, 12); // 0.005 + 0.495 / 2
    expect(dropFraction(s, 1)).toBeCloseTo(0.005, 12);
    // A recipe's cosine may omit `final` (0).
    expect(dropFraction(validateDropSchedule({ kind: "cosine", initial: 0.4 }), 0.5)).toBeCloseTo(0.2, 12);
  });

  it("exponential: initial · (final / initial)^p, a geometric decay", () => {
    const s = exponential(0.5, 0.005);
    expect(dropFraction(s, 0)).toBeCloseTo(0.5, 12);
    expect(dropFraction(s, 0.5)).toBeCloseTo(0.05, 12); // 0.5 · 0.01^½
    expect(dropFraction(s, 0.25)).toBeCloseTo(0.5 * 0.01 ** 0.25, 12);
    expect(dropFraction(s, 1)).toBeCloseTo(0.005, 12);
  });

  it("progress is clamped to [0, 1]", () => {
    expect(dropFraction(cosine(0.3), -0.5)).toBeCloseTo(0.3, 12);
    expect(dropFraction(cosine(0.3), 1.5)).toBeCloseTo(0, 12);
    expect(dropFraction(exponential(0.4, 0.1), 2)).toBeCloseTo(0.1, 12);
  });

  it("a number is a constant schedule; specs are frozen and round-trip through JSON", () => {
    expect(validateDropSchedule(0.2)).toEqual({ kind: "constant", initial: 0.2 });
    for (const s of [constantDrop(0.1), cosine(0.3, 0.01), exponential(0.5, 0.05)]) {
      expect(Object.isFrozen(s)).toBe(true);
      expect(validateDropSchedule(JSON.parse(JSON.stringify(s)))).toEqual(s);
    }
  });
});

describe("drop-fraction schedules: bad input names the call, the argument and the value", () => {
  it("a drop fraction must be in [0, 1): dropping everything is not a schedule", () => {
    expect(() => constantDrop(1)).toThrow(/^constantDrop\(drop\.initial\): expected a number in \[0, 1\), received 1$/);
    expect(() => cosine(1.5)).toThrow(/^cosine\(drop\.initial\): expected a number in \[0, 1\), received 1\.5$/);
    expect(() => cosine(-0.1)).toThrow(/^cosine\(drop\.initial\): expected a number in \[0, 1\), received -0\.1$/);
    expect(() => cosine(0.3, 1)).toThrow(/^cosine\(drop\.final\): expected a number in \[0, 1\), received 1$/);
    expect(() => validateDropSchedule(1, "regrow")).toThrow(/^regrow\(drop\.initial\): expected a number in \[0, 1\), received 1$/);
    expect(() => validateDropSchedule(Number.NaN, "regrow")).toThrow(/^regrow\(drop\.initial\): expected a number in \[0, 1\), received NaN$/);
  });

  it("exponential needs 0 < final < 1 and initial > 0", () => {
    expect(() => exponential(0.5, 0)).toThrow(/^exponential\(drop\.final\): expected a number in \(0, 1\), received 0$/);
    expect(() => exponential(0.5, 1)).toThrow(/^exponential\(drop\.final\): expected a number in \(0, 1\), received 1$/);
    expect(() => exponential(0, 0.1)).toThrow(/^exponential\(drop\.initial\): expected a number in \(0, 1\) for an exponential decay, received 0$/);
  });

  it("unknown kinds and keys are errors", () => {
    expect(() => validateDropSchedule({ kind: "linear", initial: 0.3 }, "regrow")).toThrow(/^regrow\(drop\.kind\): expected "constant" \| "cosine" \| "exponential", received "linear"$/);
    expect(() => validateDropSchedule({ initial: 0.3 }, "plan")).toThrow(/^plan\(drop\.kind\): expected "constant" \| "cosine" \| "exponential", received undefined$/);
    expect(() => validateDropSchedule({ kind: "constant", initial: 0.3, final: 0.1 }, "plan")).toThrow(/^plan\(drop\.final\): expected no such option \(known: kind, initial\), received 0\.1$/);
    expect(() => validateDropSchedule("cosine", "regrow")).toThrow(/^regrow\(drop\): expected an object, received "cosine"$/);
  });
});
