import { describe, expect, it } from "vitest";
import { batches, subsetOf, type BatchOptions } from "./batches.js";
import type { Split } from "./dataset.js";

const FEATURES = 3;
const SIZE = 103;
// Row i holds [i, i, i] so each batch row can be traced back to its example.
const split: Split = {
  x: Float32Array.from({ length: SIZE * FEATURES }, (_, k) => Math.floor(k / FEATURES)),
  y: Int32Array.from({ length: SIZE }, (_, i) => i % 4),
  size: SIZE,
};

function order(options: BatchOptions, batchSize = 10): number[] {
  return [...batches(split, batchSize, options)].flatMap((batch) => Array.from(batch.indices));
}

describe("batches", () => {
  it("covers every example exactly once per epoch, rows and labels aligned", () => {
    const seen: number[] = [];
    for (const batch of batches(split, 10, { seed: 7, epoch: 0 })) {
      expect(batch.x.length).toBe(batch.size * FEATURES);
      batch.indices.forEach((i, r) => {
        expect(Array.from(batch.x.subarray(r * FEATURES, (r + 1) * FEATURES))).toEqual([i, i, i]);
        expect(batch.y[r]).toBe(split.y[i]);
      });
      seen.push(...batch.indices);
    }
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: SIZE }, (_, i) => i));
  });

  it("gives each epoch its own order and replays it for the same (seed, epoch)", () => {
    const epoch0 = order({ seed: 7, epoch: 0 });
    expect(order({ seed: 7, epoch: 0 })).toEqual(epoch0);
    expect(order({ seed: 7, epoch: 1 })).not.toEqual(epoch0);
    expect(order({ seed: 8, epoch: 0 })).not.toEqual(epoch0);
    const twice = batches(split, 10, { seed: 7, epoch: 0 });
    expect([...twice].length).toBe([...twice].length);
  });

  it("keeps the split's order without shuffling and counts its batches", () => {
    expect(order({ shuffle: false })).toEqual(Array.from({ length: SIZE }, (_, i) => i));
    const all = batches(split, 10, { shuffle: false });
    expect(all.count).toBe(11);
    expect([...all].at(-1)!.size).toBe(3);
    const full = batches(split, 10, { shuffle: false, dropLast: true });
    expect(full.count).toBe(10);
    expect([...full].every((b) => b.size === 10)).toBe(true);
  });

  it("names the bad argument", () => {
    expect(() => batches(split, 0, { shuffle: false })).toThrow(/^batches\(batchSize\): expected an integer ≥ 1, received 0$/);
    expect(() => batches(split, 8, { seed: 1 } as BatchOptions)).toThrow(/^batches\(options\.epoch\): expected an integer ≥ 0, received undefined$/);
    expect(() => batches(split, 8, { shuffle: false, drop: true } as BatchOptions)).toThrow(/^batches\(options\): expected only the keys shuffle, seed, epoch, dropLast, received unknown key "drop"$/);
  });
});

describe("subsetOf", () => {
  it("draws a stratified, seeded subset in the split's order", () => {
    const subset = subsetOf(split, 20, 1);
    expect(subset.size).toBe(20);
    expect(Array.from(subset.y).filter((c) => c === 0).length).toBe(5);
    const rows = Array.from({ length: subset.size }, (_, r) => subset.x[r * FEATURES]);
    expect(rows).toEqual([...rows].sort((a, b) => a - b));
    expect(subsetOf(split, 20, 1)).toEqual(subset);
    expect(subsetOf(split, 20, 2)).not.toEqual(subset);
  });

  it("refuses more examples than the split has", () => {
    expect(() => subsetOf(split, 104)).toThrow(/^subsetOf\(n\): expected at most the split's 103 examples, received 104$/);
  });
});
