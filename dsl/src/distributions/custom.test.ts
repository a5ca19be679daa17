import { describe, expect, it } from "vitest";
import { custom } from "./custom.js";
import { global } from "./global.js";

const mlp = [
  { name: "fc1", shape: [784, 300] },
  { name: "fc2", shape: [300, 100] },
  { name: "fc3", shape: [100, 10] },
];

describe("custom", () => {
  it("keeps round(density·size) per tensor", () => {
    const allocation = custom({ fc1: 0.05, fc2: 0.333, fc3: 1 }).allocate(mlp);
    expect(allocation.layers.map((l) => l.kept)).toEqual([11760, 9990, 1000]);
    expect(allocation.kept).toBe(11760 + 9990 + 1000);
    expect(allocation.layers[1].targetDensity).toBe(0.333);
  });

  it("needs a density for exactly the prunable tensors", () => {
    expect(() => custom({ fc1: 0.1, fc2: 0.1 }).allocate(mlp))
      .toThrow(/^custom\.allocate\(tensors\): expected a density for exactly the prunable tensors \("fc1", "fc2", "fc3"\), received none for "fc3"$/);
    expect(() => custom({ fc1: 0.1, fc2: 0.1, fc3: 1, fc4: 0.5 }).allocate(mlp)).toThrow(/received unknown "fc4"$/);
    expect(() => custom({ fc1: 0.1, fc2: 0.1, constructor: 1 }).allocate(mlp)).toThrow(/received none for "fc3" and unknown "constructor"$/);
  });

  it("validates densities", () => {
    expect(() => custom({ fc1: 1.5 })).toThrow(/^custom\(densities\["fc1"\]\): expected a number in \[0, 1\], received 1\.5$/);
    expect(() => custom({})).toThrow(/^custom\(densities\): expected a density per tensor name, received \{\}$/);
    expect(() => custom([0.1] as never)).toThrow(/^custom\(densities\): expected an object, received \[0\.1\]$/);
  });

  it("serialises to its config", () => {
    expect(JSON.parse(JSON.stringify(custom({ fc1: 0.5 })))).toEqual({ name: "custom", densities: { fc1: 0.5 } });
  });
});

describe("global", () => {
  it("returns one budget for the whole net", () => {
    expect(global(0.9).allocate(mlp)).toEqual({ kind: "global", total: 266200, kept: 26620, density: 0.1 });
  });

  it("validates sparsity", () => {
    expect(() => global(2)).toThrow(/^global\(sparsity\): expected a number in \[0, 1\), received 2$/);
  });
});
