import { describe, expect, it } from "vitest";
import type { Dataset } from "@sparselab/datasets";
import { domainPixels, PIXEL_MEAN, PIXEL_STD, task } from "./tasks.js";

const std = (p: number) => (p - PIXEL_MEAN) / PIXEL_STD;

function fakeDataset(pixels: "unit" | "standard" = "unit"): Dataset {
  // 2×2 images; example i has label i % 3 and pixels [i, i+1, i+2, i+3] / 20.
  const split = (n: number) => ({
    x: Float32Array.from({ length: n * 4 }, (_, k) => (Math.floor(k / 4) + (k % 4)) / 20),
    y: Int32Array.from({ length: n }, (_, i) => i % 3),
    size: n,
  });
  return {
    name: "fashion-mnist", source: "embedded", spec: { name: "fashion-mnist", pixels } as Dataset["spec"], inputShape: [2, 2, 1], features: 4,
    numClasses: 3, classNames: ["a", "b", "c"], train: split(12), validation: split(6), test: split(6),
  };
}

describe("tasks", () => {
  it("domains: inverted is 1 − p, rotated turns the image 90° clockwise; both then standardised", () => {
    const x = Float32Array.from([0.1, 0.2, 0.3, 0.4]); // [[a, b], [c, d]]
    expect(Array.from(domainPixels(x, 1, [2, 2, 1], "original"))).toEqual([0.1, 0.2, 0.3, 0.4].map((p) => Math.fround(std(Math.fround(p)))));
    const inv = domainPixels(x, 1, [2, 2, 1], "inverted");
    inv.forEach((v, i) => expect(v).toBeCloseTo(std(1 - x[i]), 6));
    // Clockwise: [[a, b], [c, d]] → [[c, a], [d, b]].
    const rot = domainPixels(x, 1, [2, 2, 1], "rotated");
    [0.3, 0.1, 0.4, 0.2].forEach((p, i) => expect(rot[i]).toBeCloseTo(std(p), 6));
  });

  it("keeps the task's classes (with labels as in the dataset), at most N per class", () => {
    const t = task(fakeDataset(), { classes: [2, 0], domain: "inverted", trainPerClass: 2, seed: 3 });
    expect(t.classes).toEqual([0, 2]);
    expect(t.name).toBe("classes 0,2 (inverted)");
    expect(t.train.size).toBe(4);
    expect([...t.train.y].sort()).toEqual([0, 0, 2, 2]);
    expect(t.test.size).toBe(4);
    expect(Object.isFrozen(t)).toBe(true);
  });

  it("validates its inputs", () => {
    expect(() => task(fakeDataset("standard"), { classes: [0, 1] })).toThrow(/^task\(data\): expected a dataset loaded with pixels: "unit" .*, received "standard"$/);
    expect(() => task(fakeDataset(), { classes: [0] })).toThrow(/^task\(classes\): expected at least 2 distinct class ids in \[0, 3\), received \[0\]$/);
    expect(() => task(fakeDataset(), { classes: [0, 5] })).toThrow(/^task\(classes\)/);
    expect(() => task(fakeDataset(), { classes: [0, 1], domain: "upside-down" as never })).toThrow(/^task\(domain\): expected one of "original" \| "inverted" \| "rotated", received "upside-down"$/);
  });
});
