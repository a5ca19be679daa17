import { Rng } from "@sparselab/datasets";
import { describe, expect, it } from "vitest";
import { Mask } from "./mask.js";
import { isNM, nmMask } from "./nm.js";
import { shapeSize } from "./shape.js";

function randomScores(shape: number[], seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: shapeSize(shape) }, () => rng.normal());
}

/** Counts kept per group the slow, obvious way: index arithmetic on explicit coordinates. */
function groupCounts(mask: Mask, m: number, axis: number): number[] {
  const { shape } = mask;
  const strides = shape.map((_, i) => shapeSize(shape.slice(i + 1)));
  const counts = new Map<string, number>();
  for (let flat = 0; flat < mask.total; flat++) {
    const coords = shape.map((dim, i) => Math.floor(flat / strides[i]) % dim);
    const key = coords.map((c, i) => (i === axis ? Math.floor(c / m) : c)).join(",");
    counts.set(key, (counts.get(key) ?? 0) + mask.bits[flat]);
  }
  return [...counts.values()];
}

describe("nmMask", () => {
  const cases: [string, number[], number, number, number][] = [
    ["dense [in, out] 2:4", [16, 6], 2, 4, 0],
    ["dense [in, out] 1:4", [16, 6], 1, 4, 0],
    ["conv [kh, kw, cin, cout] 2:4", [3, 3, 8, 5], 2, 4, 2],
    ["conv [kh, kw, cin, cout] 1:4", [3, 3, 8, 5], 1, 4, 2],
  ];
  for (const [label, shape, n, m, axis] of cases) {
    it(`keeps exactly ${n} of every ${m} along the input axis: ${label}`, () => {
      const mask = nmMask(shape, randomScores(shape, 1), n, m);
      expect(mask.kept).toBe((mask.total / m) * n);
      expect(groupCounts(mask, m, axis).every((count) => count === n)).toBe(true);
      expect(isNM(mask, n, m)).toBe(true);
      expect(isNM(mask, n, m, axis)).toBe(true);
    });
  }

  it("groups consecutive inputs of one output and keeps the largest scores", () => {
    // [in=4, out=2]: output 0 sees scores 1, 4, 3, 2; output 1 sees 8, 5, 6, 7.
    const mask = nmMask([4, 2], [1, 8, 4, 5, 3, 6, 2, 7], 2, 4);
    expect([...mask.bits]).toEqual([0, 1, 1, 0, 1, 0, 0, 1]);
  });

  it("breaks ties toward the earlier element and honours an explicit axis", () => {
    expect([...nmMask([1, 4], [0, 0, 0, 0], 2, 4, 1).bits]).toEqual([1, 1, 0, 0]);
    expect([...nmMask([2, 4], [1, 2, 3, 4, 4, 3, 2, 1], 1, 2, -1).bits]).toEqual([0, 1, 0, 1, 1, 0, 1, 0]);
  });

  it("rejects bad n, m and axis", () => {
    const scores = new Float32Array(24);
    expect(() => nmMask([8, 3], scores, 5, 4)).toThrow(/^nmMask\(n\): expected an integer in \[1, 4\] \(n ≤ m\), received 5$/);
    expect(() => nmMask([8, 3], scores, 0, 4)).toThrow(/^nmMask\(n\): expected a positive integer, received 0$/);
    expect(() => nmMask([8, 3], scores, 2, 2.5)).toThrow(/^nmMask\(m\): expected a positive integer, received 2\.5$/);
    expect(() => nmMask([6, 4], scores, 2, 4)).toThrow(/^nmMask\(m\): expected a divisor of 6, the length of group axis 0 of shape \[6,4\], received 4$/);
    expect(() => nmMask([8, 3], scores, 2, 4, 2)).toThrow(/^nmMask\(axis\): expected an integer in \[-2, 1\] for shape \[8,3\], received 2$/);
    expect(() => nmMask([8, 3], new Float32Array(5), 2, 4)).toThrow(/^nmMask\(scores\): expected 24 numbers/);
  });
});

describe("isNM", () => {
  it("rejects masks that break the pattern", () => {
    expect(isNM(Mask.dense([8, 2]), 2, 4)).toBe(false);
    expect(isNM(Mask.fromBits([4, 1], [1, 1, 1, 0]), 2, 4)).toBe(false);
    expect(isNM(Mask.fromBits([4, 1], [1, 0, 1, 0]), 2, 4)).toBe(true);
    expect(isNM(Mask.dense([6, 1]), 2, 4)).toBe(false);
  });

  it("validates its arguments", () => {
    expect(() => isNM(Mask.dense([4]), 3, 2)).toThrow(/^isNM\(n\): expected an integer in \[1, 2\] \(n ≤ m\), received 3$/);
    expect(() => isNM({} as Mask, 2, 4)).toThrow(/^isNM\(mask\): expected a Mask, received \{\}$/);
  });
});
