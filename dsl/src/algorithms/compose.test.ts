import { Rng, synthetic } from "@sparselab/datasets";
import { beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../backend/index.js";
import { erk } from "../distributions/index.js";
import { Mask, MaskSet } from "../masks/index.js";
import { mlp } from "../nets/index.js";
import { cosine } from "../schedules/drop.js";
import type { RunEvent } from "../train/events.js";
import { trainMasked } from "../train/loop.js";
import { sgd } from "../train/optimizers.js";
import { validateTrainSpec } from "../train/spec.js";
import { criterion } from "../criteria/index.js";
import type { MaskChange, SparsityAlgorithm } from "./base.js";
import { composeAlgorithms } from "./compose.js";
import { gmp, gmpAlgorithm } from "./gmp.js";
import { regrow, regrowAlgorithm } from "./regrow.js";

beforeAll(async () => {
  await useBackend();
});

/** A scripted algorithm: at the given steps returns the given change (for composition semantics). */
function scripted(name: string, steps: number[], change: (masks: MaskSet) => MaskChange, extra: Partial<SparsityAlgorithm> = {}): SparsityAlgorithm {
  return { name, needsDenseGradients: false, updatesAt: (s) => steps.includes(s), update: (c) => change(c.masks), toJSON: () => ({ name }), ...extra };
}

describe("composeAlgorithms", () => {
  it("one algorithm is itself; none is undefined", () => {
    const a = regrowAlgorithm(regrow("set"));
    expect(composeAlgorithms([a])).toBe(a);
    expect(composeAlgorithms([])).toBeUndefined();
  });

  it("updates when any part does, needs what any part needs, runs the parts in order on the previous part's masks", () => {
    const bits = (b: number[]) => MaskSet.from([["k", Mask.fromBits([4, 1], b)]]);
    const calls: string[] = [];
    // First drops index 0 and regrows index 2 (reset {2}); second, at step 2 only, prunes index 2 again.
    const first = scripted("first", [1, 2], (m) => {
      calls.push(`first ${Array.from(m.get("k").bits).join("")}`);
      return { masks: bits([0, 1, 1, 0]), dropped: new Map([["k", 1]]), grown: new Map([["k", 1]]), reset: bits([0, 0, 1, 0]) };
    }, { needsDenseGradients: true });
    const second = scripted("second", [2, 3], (m) => {
      calls.push(`second ${Array.from(m.get("k").bits).join("")}`);
      return { masks: bits([0, 1, 0, 0]), dropped: new Map([["k", 1]]), grown: new Map([["k", 0]]) };
    }, { skipsOptimizerStep: true });
    const both = composeAlgorithms([first, second])!;
    expect(both.name).toBe("first+second");
    expect(both.needsDenseGradients).toBe(true);
    expect(both.skipsOptimizerStep).toBe(true);
    expect([0, 1, 2, 3, 4].filter((s) => both.updatesAt(s, 10))).toEqual([1, 2, 3]);
    expect(both.toJSON()).toEqual([{ name: "first" }, { name: "second" }]);

    const start = bits([1, 1, 0, 0]);
    const ctx = { totalSteps: 10, net: undefined as never, rng: new Rng(0), masks: start };
    const at2 = both.update({ ...ctx, step: 2 });
    expect(calls).toEqual(["first 1100", "second 0110"]);
    expect(Array.from(at2.masks.get("k").bits)).toEqual([0, 1, 0, 0]);
    expect(Object.fromEntries(at2.dropped)).toEqual({ k: 2 });
    expect(Object.fromEntries(at2.grown)).toEqual({ k: 1 });
    // The regrown index 2 was pruned again by the second part: nothing left to reset.
    expect(at2.reset!.get("k").kept).toBe(0);
    // At step 3 only the second part runs.
    calls.length = 0;
    expect(both.update({ ...ctx, step: 3 }).reset).toBeUndefined();
    expect(calls).toEqual(["second 1100"]);
  });
});

describe("GraNet: global cubic pruning + gradient regeneration", () => {
  // 400 training examples in batches of 20, 2 epochs → 40 steps; updates every 5 steps until
  // 0.75 · 40 = 30. Layers 16×32, 32×24, 24×4: 512 + 768 + 96 = 1376 weights.
  const data = synthetic({ train: 440, validation: 40, test: 50, features: 16, numClasses: 4, seed: 2 });
  const TOTAL = 1376;
  const STEPS = [5, 10, 15, 20, 25, 30];
  // s(t) = 0.8 + (s_i − 0.8)(1 − t/30)³, kept = round((1 − s) · 1376), worked out by hand:
  //   dense start (s_i = 0):  s = 0.337037, 0.562963, 0.7, 0.770370, 0.796296, 0.8
  //   ERK 0.5 start:          s = 0.626389, 0.711111, 0.7625, 0.788889, 0.798611, 0.8
  const KEPT_FROM_DENSE = [912, 601, 413, 316, 280, 275];
  const KEPT_FROM_HALF = [514, 398, 327, 290, 277, 275];
  // r(t) = 0.005 + 0.495 · (1 + cos(π t / 30)) / 2 (cosine from 0.5 to 0.005 over [0, 30]).
  const R = [0.4668413, 0.37625, 0.2525, 0.12875, 0.0381587, 0.005];

  const granet = () => composeAlgorithms([
    gmpAlgorithm(gmp({ to: 0.8, start: 0, end: 0.75, every: 5, scope: "global" })),
    regrowAlgorithm(regrow("gradient", { every: 5, drop: cosine(0.5, 0.005), begin: 0, until: 0.75 })),
  ])!;

  async function run(masks: MaskSet, net = mlp([16, 32, 24, 4], { seed: 3 })) {
    const events: Extract<RunEvent, { type: "mask" }>[] = [];
    const outcome = await trainMasked({
      net, masks, data, algorithm: granet(),
      train: validateTrainSpec({ epochs: 2, batchSize: 20, optimizer: sgd(0.05, { momentum: 0.9 }), seed: 4 }),
      onEvent: (e) => e.type === "mask" && events.push(e),
    });
    net.dispose();
    return { events, outcome };
  }

  /** Per update: pruning and regeneration happen at the same step, regeneration drops ⌈r · nnz⌉ per sparse layer. */
  function checkRegeneration(events: Extract<RunEvent, { type: "mask" }>[], initial: MaskSet) {
    let before = new Map(initial.report().layers.map((l) => [l.name, l.kept]));
    events.forEach((e, k) => {
      for (const layer of e.report.layers) {
        // Regeneration runs on the masks GMP left: nnz after pruning = this update's final kept count.
        const expected = layer.kept === layer.total ? 0 : Math.ceil(R[k] * layer.kept);
        expect(e.grown[layer.name], `${layer.name} at step ${e.step}`).toBe(expected);
        // Dropped = what GMP pruned plus what regeneration replaced.
        expect(e.dropped[layer.name] - e.grown[layer.name]).toBe(before.get(layer.name)! - layer.kept);
      }
      before = new Map(e.report.layers.map((l) => [l.name, l.kept]));
    });
    // Regeneration did something at every update (in at least one layer).
    for (const e of events) expect(Object.values(e.grown).some((n) => n > 0)).toBe(true);
  }

  it("pruning from step 0 and regeneration every 5 steps act at the same steps", () => {
    const steps = (a: SparsityAlgorithm) => Array.from({ length: 40 }, (_, i) => i + 1).filter((s) => a.updatesAt(s, 40)); // the loop's steps: 1…40
    expect(steps(gmpAlgorithm(gmp({ to: 0.8, start: 0, end: 0.75, every: 5, scope: "global" })))).toEqual(STEPS);
    expect(steps(regrowAlgorithm(regrow("gradient", { every: 5, begin: 0, until: 0.75 })))).toEqual(STEPS);
    expect(steps(granet())).toEqual(STEPS);
  });

  it("dense-to-sparse: the overall kept count follows the cubic schedule at the update steps", async () => {
    const net = mlp([16, 32, 24, 4], { seed: 3 });
    const masks = MaskSet.dense(net.prunable);
    const { events, outcome } = await run(masks, net);
    expect(events.map((e) => e.step)).toEqual(STEPS);
    expect(events.map((e) => e.report.overall.kept)).toEqual(KEPT_FROM_DENSE);
    expect(events.map((e) => e.report.overall.total)).toEqual(STEPS.map(() => TOTAL));
    checkRegeneration(events, masks);
    expect(outcome.masks.report().overall.kept).toBe(275);
    // Started dense: everything was active once.
    expect(outcome.explorationRate).toBe(1);
  });

  it("sparse-to-sparse (ERK 0.5 start): from s_i = 0.5 to 0.8, and the run explores beyond its initial density", async () => {
    const net = mlp([16, 32, 24, 4], { seed: 3 });
    const allocation = erk(0.5).allocate(net.prunable);
    if (allocation.kind !== "layerwise") throw new Error("ERK allocates per layer");
    const masks = criterion("random").prune({
      net, data, rng: new Rng(9), budget: { kind: "layerwise", kept: new Map(allocation.layers.map((l) => [l.name, l.kept])) },
    });
    expect(masks.report().overall.kept).toBe(688);
    const { events, outcome } = await run(masks, net);
    expect(events.map((e) => e.step)).toEqual(STEPS);
    expect(events.map((e) => e.report.overall.kept)).toEqual(KEPT_FROM_HALF);
    checkRegeneration(events, masks);
    expect(outcome.explorationRate).toBeGreaterThan(0.5);
  });
});
