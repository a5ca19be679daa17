import { Rng } from "@sparselab/datasets";
import { beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../backend/index.js";
import { mlp } from "../nets/index.js";
import { magnitude } from "./magnitude.js";
import { synflow } from "./synflow.js";

beforeAll(async () => {
  await useBackend();
});

describe("SynFlow", () => {
  it("is data-free, exact, deterministic and leaves the weights as they were", () => {
    const net = mlp([16, 24, 4], { seed: 1 });
    const before = net.snapshot();
    const budget = { kind: "layerwise" as const, kept: new Map([["fc1.kernel", 40], ["fc2.kernel", 10]]) };
    const a = synflow.prune({ net, budget, rng: new Rng(1) });
    const b = synflow.prune({ net, budget, rng: new Rng(1) });
    expect(synflow.needsData).toBe(false);
    expect(a.get("fc1.kernel").kept).toBe(40);
    expect(a.get("fc2.kernel").kept).toBe(10);
    expect(a.equals(b)).toBe(true);
    for (const [name, w] of net.snapshot()) expect(w).toEqual(before.get(name));
    net.dispose();
  });

  it("avoids layer collapse under a global budget where magnitude pruning empties a layer", () => {
    // fc1 (50×1000, He std 0.2) is five times larger than fc2 (1000×10, He std 0.045).
    const net = mlp([50, 1000, 10], { seed: 2 });
    const total = 50 * 1000 + 1000 * 10;
    const budget = { kind: "global" as const, kept: Math.round(0.01 * total) }; // 99% sparsity
    const byMagnitude = magnitude.prune({ net, budget, rng: new Rng(1) });
    const bySynflow = synflow.prune({ net, budget, rng: new Rng(1) });
    net.dispose();
    // The control: global magnitude prunes the small-weight layer entirely.
    expect(byMagnitude.get("fc2.kernel").kept).toBe(0);
    expect(bySynflow.report().overall.kept).toBe(budget.kept);
    for (const [name, mask] of bySynflow.entries) expect(mask.kept, name).toBeGreaterThan(0);
    // No dead ends: every output unit still receives a kept connection.
    const fc2 = bySynflow.get("fc2.kernel").bits;
    for (let out = 0; out < 10; out++) expect(Array.from({ length: 1000 }, (_, i) => fc2[i * 10 + out]).some(Boolean)).toBe(true);
  });
});
