import { describe, expect, it } from "vitest";
import { Mask, MaskSet } from "../masks/index.js";
import { ExplorationTracker } from "./exploration.js";

/** Two layers: "a" has 8 weights (2×4), "b" has 4 (4×1); 12 in all. */
function masks(a: number[], b: number[]): MaskSet {
  return MaskSet.from([["a", Mask.fromBits([2, 4], a)], ["b", Mask.fromBits([4, 1], b)]]);
}

describe("ExplorationTracker: in-time over-parameterisation and overlap with the initial masks", () => {
  it("hand-made sequence: exploration = |ever active| / total, overlap = pooled IoU with the start", () => {
    const m0 = masks([1, 1, 0, 0, 0, 0, 0, 0], [1, 0, 0, 0]); // 3 of 12 active
    const tracker = new ExplorationTracker(m0);
    expect(tracker.explorationRate).toBe(3 / 12);
    expect(tracker.overlapWithInitial(m0)).toBe(1);

    // Swap one weight in each layer: a drops 0 grows 2; b drops 0 grows 3.
    const m1 = masks([0, 1, 1, 0, 0, 0, 0, 0], [0, 0, 0, 1]);
    tracker.record(m1);
    // Ever active: a {0, 1, 2}, b {0, 3} → 5 / 12.
    expect(tracker.explorationRate).toBe(5 / 12);
    // m1 ∩ m0 = {a1}; m1 ∪ m0 = {a0, a1, a2, b0, b3} → 1 / 5.
    expect(tracker.overlapWithInitial(m1)).toBe(1 / 5);

    // Back to an old weight (a0) and a new one (a7); b returns to its start.
    const m2 = masks([1, 0, 0, 0, 0, 0, 0, 1], [1, 0, 0, 0]);
    tracker.record(m2);
    // Ever active: a {0, 1, 2, 7}, b {0, 3} → 6 / 12: revisiting a weight explores nothing new.
    expect(tracker.explorationRate).toBe(6 / 12);
    // m2 ∩ m0 = {a0, b0}; union = {a0, a1, a7, b0} → 2 / 4.
    expect(tracker.overlapWithInitial(m2)).toBe(2 / 4);

    // Recording the same masks again changes nothing.
    tracker.record(m2);
    expect(tracker.explorationRate).toBe(6 / 12);
  });

  it("exploration never decreases, even when the masks shrink (pruning)", () => {
    const tracker = new ExplorationTracker(masks([1, 1, 1, 1, 0, 0, 0, 0], [1, 1, 0, 0]));
    const rates = [tracker.explorationRate];
    for (const [a, b] of [
      [[1, 1, 0, 0, 0, 0, 0, 0], [1, 0, 0, 0]],
      [[1, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0]],
      [[0, 0, 0, 0, 1, 0, 0, 0], [0, 0, 0, 0]],
    ]) {
      tracker.record(masks(a, b));
      rates.push(tracker.explorationRate);
    }
    expect(rates).toEqual([6 / 12, 6 / 12, 6 / 12, 7 / 12]);
  });

  it("a dense start has explored everything; disjoint masks have overlap 0", () => {
    const dense = masks([1, 1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1]);
    expect(new ExplorationTracker(dense).explorationRate).toBe(1);
    const tracker = new ExplorationTracker(masks([1, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0]));
    expect(tracker.overlapWithInitial(masks([0, 1, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0]))).toBe(0);
  });
});
