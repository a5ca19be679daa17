import { describe, expect, it } from "vitest";
import { Mask } from "./mask.js";
import { MaskSet } from "./mask-set.js";

const fc1 = Mask.fromBits([2, 3], [1, 1, 0, 0, 1, 0]);
const fc2 = Mask.fromBits([3, 1], [1, 0, 0]);
const net = [{ name: "fc1", shape: [2, 3] }, { name: "fc2", shape: [3, 1] }];

describe("MaskSet", () => {
  const set = MaskSet.from([["fc1", fc1], ["fc2", fc2]]);

  it("keeps network order and looks masks up by name", () => {
    expect(set.names).toEqual(["fc1", "fc2"]);
    expect(set.size).toBe(2);
    expect(set.get("fc2")).toBe(fc2);
    expect(set.entries.map(([name]) => name)).toEqual(["fc1", "fc2"]);
    expect(MaskSet.from({ b: fc2, a: fc1 }).names).toEqual(["b", "a"]);
    expect(() => set.get("fc3")).toThrow(/^MaskSet\.get\(name\): expected one of "fc1", "fc2", received "fc3"$/);
  });

  it("rejects duplicate names and non-masks", () => {
    expect(() => MaskSet.from([["fc1", fc1], ["fc1", fc1]])).toThrow(/expected unique tensor names, received "fc1" twice/);
    expect(() => MaskSet.from([["fc1", 3 as never]])).toThrow(/^MaskSet\.from\(entries\["fc1"\]\): expected a Mask, received 3$/);
  });

  it("with returns a new set, replacing in place or appending", () => {
    const replaced = set.with("fc1", fc1.not());
    expect(replaced.names).toEqual(["fc1", "fc2"]);
    expect(replaced.get("fc1").equals(fc1.not())).toBe(true);
    expect(set.get("fc1")).toBe(fc1);
    expect(set.with("fc3", Mask.dense([2])).names).toEqual(["fc1", "fc2", "fc3"]);
    expect(() => set.with("fc1", Mask.dense([3, 2]))).toThrow(/^MaskSet\.with\(mask\): expected shape \[2,3\] for "fc1", received \[3,2\]$/);
  });

  it("reports per-layer and overall counts in the CLI's JSON shape", () => {
    expect(set.report()).toEqual({
      layers: [
        { name: "fc1", shape: [2, 3], total: 6, kept: 3, density: 0.5 },
        { name: "fc2", shape: [3, 1], total: 3, kept: 1, density: 1 / 3 },
      ],
      overall: { total: 9, kept: 4, density: 4 / 9 },
    });
  });

  it("dense builds all-ones masks from the net's tensors", () => {
    const dense = MaskSet.dense(net);
    expect(dense.report().overall).toEqual({ total: 9, kept: 9, density: 1 });
  });

  describe("algebra", () => {
    const other = MaskSet.from([["fc1", Mask.fromBits([2, 3], [1, 0, 1, 0, 1, 0])], ["fc2", Mask.fromBits([3, 1], [0, 1, 0])]]);

    it("and / or / minus apply per layer", () => {
      expect([...set.and(other).get("fc1").bits]).toEqual([1, 0, 0, 0, 1, 0]);
      expect([...set.or(other).get("fc2").bits]).toEqual([1, 1, 0]);
      expect([...set.minus(other).get("fc1").bits]).toEqual([0, 1, 0, 0, 0, 0]);
      expect(set.and(other).names).toEqual(["fc1", "fc2"]);
    });

    it("overlap gives IoU per layer and pooled overall", () => {
      expect(set.overlap(other)).toEqual({
        layers: [{ name: "fc1", iou: 2 / 4 }, { name: "fc2", iou: 0 }],
        overall: 2 / 6,
      });
      expect(set.overlap(set).overall).toBe(1);
    });

    it("equals needs the same names, order and bits", () => {
      expect(set.equals(MaskSet.from([["fc1", fc1], ["fc2", fc2]]))).toBe(true);
      expect(set.equals(MaskSet.from([["fc2", fc2], ["fc1", fc1]]))).toBe(false);
      expect(set.equals(other)).toBe(false);
    });

    it("refuses sets over different tensors or shapes, naming them", () => {
      const fewer = MaskSet.from([["fc1", fc1], ["fc9", fc2]]);
      expect(() => set.and(fewer)).toThrow(/^MaskSet\.and\(other\): expected masks for the same tensors \("fc1", "fc2"\), received none for "fc2" and extra "fc9"$/);
      const reshaped = MaskSet.from([["fc1", Mask.dense([3, 2])], ["fc2", fc2]]);
      expect(() => set.or(reshaped)).toThrow(/^MaskSet\.or\(other\): expected "fc1" to have shape \[2,3\], received \[3,2\]$/);
    });
  });

  describe("checkAgainst", () => {
    it("accepts the net's own tensors in any order", () => {
      expect(() => set.checkAgainst(net)).not.toThrow();
      expect(() => set.checkAgainst([...net].reverse())).not.toThrow();
    });

    it("names the tensor, the expected shape and the received one", () => {
      expect(() => set.checkAgainst([{ name: "fc1", shape: [3, 2] }, net[1]]))
        .toThrow(/^MaskSet\.checkAgainst\(masks\): expected tensor "fc1" to have shape \[3,2\], received a mask of shape \[2,3\]$/);
      expect(() => set.checkAgainst([...net, { name: "fc3", shape: [1, 4] }]))
        .toThrow(/^MaskSet\.checkAgainst\(masks\): expected a mask for tensor "fc3" of shape \[1,4\], received none \(masks: "fc1", "fc2"\)$/);
      expect(() => set.checkAgainst([net[0]]))
        .toThrow(/^MaskSet\.checkAgainst\(masks\): expected only the net's prunable tensors \("fc1"\), received a mask for "fc2" of shape \[3,1\]$/);
      expect(() => set.checkAgainst([{ name: "fc1", shape: [2, -3] }]))
        .toThrow(/^MaskSet\.checkAgainst\(tensors\[0\]\.shape\): expected a non-empty array of positive integers, received \[2,-3\]$/);
    });
  });
});
