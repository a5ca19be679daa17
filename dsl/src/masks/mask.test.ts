import { Rng } from "@sparselab/datasets";
import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { Mask } from "./mask.js";

const bits = (mask: Mask) => [...mask.bits];

describe("Mask constructors", () => {
  it("dense keeps everything and counts", () => {
    const mask = Mask.dense([2, 3]);
    expect(mask.shape).toEqual([2, 3]);
    expect(mask.total).toBe(6);
    expect(mask.kept).toBe(6);
    expect(mask.density).toBe(1);
  });

  it("fromBits copies and validates", () => {
    const source = new Uint8Array([1, 0, 1, 0]);
    const mask = Mask.fromBits([2, 2], source);
    source[1] = 1;
    expect(bits(mask)).toEqual([1, 0, 1, 0]);
    expect(mask.kept).toBe(2);
    expect(mask.density).toBe(0.5);
    expect(() => Mask.fromBits([2, 2], [1, 0, 1])).toThrow(/^Mask\.fromBits\(bits\): expected 4 values of 0 or 1 for shape \[2,2\], received \[1,0,1\]$/);
    expect(() => Mask.fromBits([2, 2], [1, 0, 2, 0])).toThrow(/^Mask\.fromBits\(bits\[2\]\): expected 0 or 1, received 2$/);
    expect(() => Mask.fromBits([2, 0], [])).toThrow(/^Mask\.fromBits\(shape\): expected a non-empty array of positive integers, received \[2,0\]$/);
  });

  it("is frozen", () => {
    const mask = Mask.dense([2]);
    expect(Object.isFrozen(mask)).toBe(true);
    expect(Object.isFrozen(mask.shape)).toBe(true);
  });
});

describe("Mask.random", () => {
  it("keeps exactly `kept` weights", () => {
    for (const kept of [0, 1, 37, 299, 300]) {
      expect(Mask.random([10, 30], kept, new Rng(3)).kept).toBe(kept);
    }
  });

  it("is reproducible with the same seed and differs with another", () => {
    const a = Mask.random([784, 30], 2000, new Rng(7));
    const b = Mask.random([784, 30], 2000, new Rng(7));
    const c = Mask.random([784, 30], 2000, new Rng(8));
    expect(a.equals(b)).toBe(true);
    expect(a.equals(c)).toBe(false);
    expect(c.kept).toBe(2000);
  });

  it("spreads kept positions over the whole tensor", () => {
    const mask = Mask.random([1000], 500, new Rng(1));
    const firstHalf = mask.bits.subarray(0, 500).reduce((sum, bit) => sum + bit, 0);
    expect(firstHalf).toBeGreaterThan(200);
    expect(firstHalf).toBeLessThan(300);
  });

  it("validates kept and rng", () => {
    expect(() => Mask.random([2, 3], 7, new Rng(1))).toThrow(/^Mask\.random\(kept\): expected an integer in \[0, 6\], received 7$/);
    expect(() => Mask.random([2, 3], 1.5, new Rng(1))).toThrow(/^Mask\.random\(kept\): expected a non-negative integer, received 1\.5$/);
    expect(() => Mask.random([2, 3], 1, {} as Rng)).toThrow(/^Mask\.random\(rng\): expected an Rng/);
  });
});

describe("Mask.topK", () => {
  it("keeps the k largest scores", () => {
    const mask = Mask.topK([2, 3], new Float32Array([0.1, 5, -2, 3, 0.5, 4]), 3);
    expect(bits(mask)).toEqual([0, 1, 0, 1, 0, 1]);
    expect(mask.kept).toBe(3);
  });

  it("breaks ties by lowest index without an rng", () => {
    const scores = new Float32Array([1, 2, 2, 0, 2, 2]);
    expect(bits(Mask.topK([6], scores, 3))).toEqual([0, 1, 1, 0, 1, 0]);
    expect(bits(Mask.topK([6], scores, 2))).toEqual([0, 1, 1, 0, 0, 0]);
    expect(bits(Mask.topK([6], new Float32Array(6), 4))).toEqual([1, 1, 1, 1, 0, 0]);
  });

  it("breaks ties at random with an rng, keeping every strictly larger score", () => {
    const scores = new Float32Array([9, 1, 1, 1, 1, 1, 1, 1, 1, 0]);
    const picks = new Set<string>();
    for (let seed = 0; seed < 20; seed++) {
      const mask = Mask.topK([10], scores, 4, { rng: new Rng(seed) });
      expect(mask.kept).toBe(4);
      expect(mask.bits[0]).toBe(1);
      expect(mask.bits[9]).toBe(0);
      picks.add(bits(mask).join(""));
    }
    expect(picks.size).toBeGreaterThan(1);
    const again = Mask.topK([10], scores, 4, { rng: new Rng(5) });
    expect(again.equals(Mask.topK([10], scores, 4, { rng: new Rng(5) }))).toBe(true);
  });

  it("handles k = 0, k = total and infinities", () => {
    const scores = [Infinity, -Infinity, 0, 1];
    expect(bits(Mask.topK([4], scores, 0))).toEqual([0, 0, 0, 0]);
    expect(bits(Mask.topK([4], scores, 4))).toEqual([1, 1, 1, 1]);
    expect(bits(Mask.topK([4], scores, 1))).toEqual([1, 0, 0, 0]);
    expect(bits(Mask.topK([4], scores, 3))).toEqual([1, 0, 1, 1]);
  });

  it("validates scores and options", () => {
    expect(() => Mask.topK([4], [1, 2, 3], 1)).toThrow(/^Mask\.topK\(scores\): expected 4 numbers \(one per element\), received \[1,2,3\]$/);
    expect(() => Mask.topK([2], [1, NaN], 1)).toThrow(/^Mask\.topK\(scores\[1\]\): expected a number, not NaN, received NaN$/);
    expect(() => Mask.topK([2], [1, 2], 3)).toThrow(/^Mask\.topK\(kept\): expected an integer in \[0, 2\], received 3$/);
    expect(() => Mask.topK([2], [1, 2], 1, { seed: 1 } as never)).toThrow(/^Mask\.topK\(options\.seed\): expected no such option/);
  });
});

describe("Mask algebra", () => {
  const a = Mask.fromBits([2, 3], [1, 1, 0, 0, 1, 0]);
  const b = Mask.fromBits([2, 3], [1, 0, 1, 0, 1, 0]);

  it("and / or / minus / not", () => {
    expect(bits(a.and(b))).toEqual([1, 0, 0, 0, 1, 0]);
    expect(bits(a.or(b))).toEqual([1, 1, 1, 0, 1, 0]);
    expect(bits(a.minus(b))).toEqual([0, 1, 0, 0, 0, 0]);
    expect(bits(b.minus(a))).toEqual([0, 0, 1, 0, 0, 0]);
    expect(bits(a.not())).toEqual([0, 0, 1, 1, 0, 1]);
    expect(a.and(b).shape).toEqual([2, 3]);
  });

  it("overlap is intersection over union", () => {
    expect(a.overlap(b)).toBe(2 / 4);
    expect(a.overlap(a)).toBe(1);
    expect(a.overlap(a.not())).toBe(0);
    const empty = Mask.fromBits([2], [0, 0]);
    expect(empty.overlap(empty)).toBe(1);
  });

  it("equals compares shape and bits", () => {
    expect(a.equals(Mask.fromBits([2, 3], [1, 1, 0, 0, 1, 0]))).toBe(true);
    expect(a.equals(b)).toBe(false);
    expect(a.equals(Mask.fromBits([3, 2], [1, 1, 0, 0, 1, 0]))).toBe(false);
  });

  it("names both shapes on a mismatch", () => {
    const other = Mask.dense([3, 2]);
    expect(() => a.and(other)).toThrow(/^Mask\.and\(other\): expected a mask of shape \[2,3\], received one of shape \[3,2\]$/);
    expect(() => a.overlap(other)).toThrow(/^Mask\.overlap\(other\): expected a mask of shape \[2,3\], received one of shape \[3,2\]$/);
    expect(() => a.or(null as never)).toThrow(/^Mask\.or\(other\): expected a Mask, received null$/);
  });
});

describe("Mask.toTensor", () => {
  it("returns a caller-owned float32 tensor in the same layout", () => {
    const mask = Mask.fromBits([2, 3], [1, 0, 0, 1, 1, 0]);
    const before = tf.memory().numTensors;
    const tensor = mask.toTensor();
    expect(tensor.dtype).toBe("float32");
    expect(tensor.shape).toEqual([2, 3]);
    expect(tensor.arraySync()).toEqual([[1, 0, 0], [1, 1, 0]]);
    tensor.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const again = mask.toTensor();
    expect(again.isDisposed).toBe(false);
    again.dispose();
  });
});
