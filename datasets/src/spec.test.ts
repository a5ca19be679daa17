import { describe, expect, it } from "vitest";
import { synthetic } from "./synthetic.js";
import { fashionMnist } from "./fashion-mnist.js";
import { loadDataset, type DatasetSpec } from "./spec.js";

function roundTrip(spec: DatasetSpec): DatasetSpec {
  return JSON.parse(JSON.stringify(spec)) as DatasetSpec;
}

describe("loadDataset", () => {
  it("rebuilds a dataset from its spec, through JSON", async () => {
    const data = synthetic({ features: 12, train: 80, test: 20, validation: 16, seed: 3, splitSeed: 2 });
    expect(data.spec).toEqual({ name: "synthetic", train: 80, test: 20, validation: 16, inputShape: [1, 12, 1], numClasses: 10, noise: 0.5, seed: 3, splitSeed: 2 });
    expect(await loadDataset(roundTrip(data.spec))).toEqual(data);

    const embedded = await fashionMnist({ source: "embedded", validation: 500, splitSeed: 9 });
    const again = await loadDataset(roundTrip(embedded.spec));
    expect(again.spec).toEqual(embedded.spec);
    expect(Buffer.from(again.validation.y.buffer).equals(Buffer.from(embedded.validation.y.buffer))).toBe(true);
  });

  it("names unknown keys, wrong types and unknown datasets", async () => {
    await expect(loadDataset({ name: "fashion-mnist", subset: "embedded" } as unknown as DatasetSpec)).rejects.toThrow(
      /^loadDataset\(spec\): expected only the keys name, source, path, validation, splitSeed, pixels, received unknown key "subset"$/,
    );
    await expect(loadDataset({ name: "synthetic", seed: "1" } as unknown as DatasetSpec)).rejects.toThrow(/^loadDataset\(spec\.seed\): expected an integer, received "1"$/);
    await expect(loadDataset({ name: "fashion-mnist", source: "web" } as unknown as DatasetSpec)).rejects.toThrow(
      /^loadDataset\(spec\.source\): expected one of "auto", "full", "embedded", received "web"$/,
    );
    await expect(loadDataset({ name: "mnist" } as unknown as DatasetSpec)).rejects.toThrow(/^loadDataset\(spec\.name\): expected one of "fashion-mnist", "synthetic", received "mnist"$/);
    await expect(loadDataset(null as unknown as DatasetSpec)).rejects.toThrow(/^loadDataset\(spec\): expected an object, received null$/);
  });
});

describe("split determinism", () => {
  it("chooses the same validation examples for the same splitSeed and others for another", async () => {
    const a = await fashionMnist({ source: "embedded", splitSeed: 1 });
    const b = await fashionMnist({ source: "embedded", splitSeed: 1 });
    const c = await fashionMnist({ source: "embedded", splitSeed: 2 });
    expect(b.validation.y).toEqual(a.validation.y);
    expect(Buffer.from(b.validation.x.buffer).equals(Buffer.from(a.validation.x.buffer))).toBe(true);
    expect(Buffer.from(c.validation.x.buffer).equals(Buffer.from(a.validation.x.buffer))).toBe(false);
    expect(a.train.size + a.validation.size).toBe(10_000);
  });

  it("keeps train and validation disjoint and complete", () => {
    // Row i of the synthetic train set is unique, so its first pixels identify it.
    const whole = synthetic({ features: 8, train: 200, test: 1, validation: 0, noise: 1 });
    const split = synthetic({ features: 8, train: 200, test: 1, validation: 0.25, noise: 1 });
    const key = (x: Float32Array, i: number) => Array.from(x.subarray(i * 8, i * 8 + 8)).join(",");
    const rows = (s: typeof whole.train) => Array.from({ length: s.size }, (_, i) => key(s.x, i));
    expect(split.validation.size).toBe(50);
    expect([...rows(split.train), ...rows(split.validation)].sort()).toEqual(rows(whole.train).sort());
  });
});
