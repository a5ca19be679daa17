import { Rng, synthetic } from "@sparselab/datasets";
import { beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../backend/index.js";
import { erk } from "../distributions/index.js";
import { mlp } from "../nets/index.js";
import { CRITERIA, criterion, selectTopK, type Budget } from "./index.js";

beforeAll(async () => {
  await useBackend();
});

const data = synthetic({ train: 200, validation: 0, test: 10, features: 16, numClasses: 4, seed: 1 });

describe("every criterion keeps exactly the budgeted counts", () => {
  const net = mlp([16, 24, 12, 4], { seed: 2 });
  const allocation = erk(0.7).allocate(net.prunable);
  if (allocation.kind !== "layerwise") throw new Error("erk allocates per layer");
  const layerwise: Budget = { kind: "layerwise", kept: new Map(allocation.layers.map((l) => [l.name, l.kept])) };
  const total = net.prunable.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
  const global: Budget = { kind: "global", kept: Math.round(0.3 * total) };

  for (const name of CRITERIA) {
    it(`${name}: layerwise and global`, () => {
      const before = net.snapshot();
      const perLayer = criterion(name).prune({ net, budget: layerwise, rng: new Rng(3), data });
      expect(perLayer.names).toEqual(net.prunable.map((t) => t.name));
      for (const l of allocation.layers) expect(perLayer.get(l.name).kept).toBe(l.kept);
      expect(perLayer.report().overall.kept).toBe(allocation.kept);

      const together = criterion(name).prune({ net, budget: global, rng: new Rng(3), data });
      expect(together.report().overall.kept).toBe(global.kept);
      // Criteria only score: the net's weights are as they were (GraSP and SynFlow perturb them while scoring).
      for (const [p, w] of net.snapshot()) expect(w).toEqual(before.get(p));
    });
  }
});

describe("criterion registry", () => {
  it("knows the five criteria", () => {
    expect(CRITERIA).toEqual(["random", "magnitude", "snip", "grasp", "synflow"]);
    for (const name of CRITERIA) expect(criterion(name).name).toBe(name);
    expect(CRITERIA.filter((n) => criterion(n).needsData)).toEqual(["snip", "grasp"]);
  });

  it("rejects an unknown name, naming the call and the value", () => {
    expect(() => criterion("lamp")).toThrow(/^criterion\(criterion\): expected one of "random" \| "magnitude" \| "snip" \| "grasp" \| "synflow", received "lamp"$/);
    expect(() => criterion(3, "run")).toThrow(/^run\(criterion\): expected one of .*, received 3$/);
  });

  it("gradient criteria without data say so", () => {
    const net = mlp([16, 8, 4], { seed: 1 });
    const budget: Budget = { kind: "global", kept: 10 };
    expect(() => criterion("snip").prune({ net, budget, rng: new Rng(0) })).toThrow(/^snip: this criterion scores weights by their gradients and needs training data; pass train\(\{ data \}\)$/);
    expect(() => criterion("grasp").prune({ net, budget, rng: new Rng(0) })).toThrow(/^grasp: .*needs training data/);
    net.dispose();
  });
});

describe("random", () => {
  const net = mlp([16, 24, 4], { seed: 2 });
  const budget: Budget = { kind: "layerwise", kept: new Map([["fc1.kernel", 100], ["fc2.kernel", 30]]) };

  it("is reproducible from the seed and differs between seeds", () => {
    const a = criterion("random").prune({ net, budget, rng: new Rng(5) });
    const b = criterion("random").prune({ net, budget, rng: new Rng(5) });
    const c = criterion("random").prune({ net, budget, rng: new Rng(6) });
    expect(a.equals(b)).toBe(true);
    expect(a.equals(c)).toBe(false);
    expect(a.get("fc1.kernel").kept).toBe(100);
  });

  it("does not depend on the weights", () => {
    const other = mlp([16, 24, 4], { seed: 99 });
    expect(criterion("random").prune({ net: other, budget, rng: new Rng(5) })
      .equals(criterion("random").prune({ net, budget, rng: new Rng(5) }))).toBe(true);
    other.dispose();
  });

  it("spreads a global budget over layers in proportion to their size (on average)", () => {
    const big = mlp([100, 100, 10], { seed: 0 }); // 10,000 + 1,000 weights
    const masks = criterion("random").prune({ net: big, budget: { kind: "global", kept: 5500 }, rng: new Rng(1) });
    big.dispose();
    expect(masks.get("fc1.kernel").kept / 10000).toBeCloseTo(0.5, 1);
    expect(masks.get("fc2.kernel").kept / 1000).toBeCloseTo(0.5, 1);
  });
});

describe("magnitude", () => {
  function handMade() {
    const net = mlp([3, 2, 2], { seed: 0 });
    net.load(new Map([
      ["fc1.kernel", Float32Array.from([0.1, -0.9, 0.2, 0.05, 0.8, -0.3])], ["fc1.bias", Float32Array.from([5, 5])],
      ["fc2.kernel", Float32Array.from([0.01, -0.02, 0.03, 0.04])], ["fc2.bias", Float32Array.from([5, 5])],
    ]));
    return net;
  }

  it("keeps the largest |w| per layer (biases are never scored)", () => {
    const net = handMade();
    const masks = criterion("magnitude").prune({ net, budget: { kind: "layerwise", kept: new Map([["fc1.kernel", 3], ["fc2.kernel", 1]]) }, rng: new Rng(0) });
    net.dispose();
    expect(masks.names).toEqual(["fc1.kernel", "fc2.kernel"]);
    expect(Array.from(masks.get("fc1.kernel").bits)).toEqual([0, 1, 0, 0, 1, 1]);
    expect(Array.from(masks.get("fc2.kernel").bits)).toEqual([0, 0, 0, 1]);
  });

  it("keeps the largest |w| of the whole net under a global budget", () => {
    const net = handMade();
    const masks = criterion("magnitude").prune({ net, budget: { kind: "global", kept: 5 }, rng: new Rng(0) });
    net.dispose();
    expect(Array.from(masks.get("fc1.kernel").bits)).toEqual([1, 1, 1, 0, 1, 1]);
    expect(Array.from(masks.get("fc2.kernel").bits)).toEqual([0, 0, 0, 0]);
  });

  it("breaks ties at random, still with the exact count", () => {
    const net = mlp([4, 4, 2], { seed: 0 });
    net.load(new Map([
      ["fc1.kernel", new Float32Array(16).fill(0.5)], ["fc1.bias", new Float32Array(4)],
      ["fc2.kernel", new Float32Array(8).fill(-0.5)], ["fc2.bias", new Float32Array(2)],
    ]));
    const budget: Budget = { kind: "layerwise", kept: new Map([["fc1.kernel", 5], ["fc2.kernel", 3]]) };
    const picks = [1, 2, 3, 4].map((seed) => criterion("magnitude").prune({ net, budget, rng: new Rng(seed) }));
    net.dispose();
    for (const m of picks) expect([m.get("fc1.kernel").kept, m.get("fc2.kernel").kept]).toEqual([5, 3]);
    expect(new Set(picks.map((m) => Array.from(m.get("fc1.kernel").bits).join(""))).size).toBeGreaterThan(1);
  });
});

describe("selectTopK", () => {
  it("global: the top-k of all scores, split back into per-tensor masks in network order", () => {
    const tensors = [{ name: "a", shape: [2, 2], kind: "dense" as const }, { name: "b", shape: [3], kind: "dense" as const }];
    const scores = new Map([["a", Float32Array.from([1, 7, 3, 5])], ["b", Float32Array.from([6, 2, 4])]]);
    const masks = selectTopK(tensors, scores, { kind: "global", kept: 4 });
    expect(Array.from(masks.get("a").bits)).toEqual([0, 1, 0, 1]);
    expect(Array.from(masks.get("b").bits)).toEqual([1, 0, 1]);
    expect(masks.get("a").shape).toEqual([2, 2]);
  });
});
