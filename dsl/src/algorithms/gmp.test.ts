import { Rng, synthetic } from "@sparselab/datasets";
import { beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../backend/index.js";
import { MaskSet } from "../masks/index.js";
import { mlp } from "../nets/index.js";
import type { RunEvent } from "../train/events.js";
import { trainMasked } from "../train/loop.js";
import { Optimizer, sgd } from "../train/optimizers.js";
import { validateTrainSpec } from "../train/spec.js";
import { gmp, gmpAlgorithm, validateGmp } from "./gmp.js";

beforeAll(async () => {
  await useBackend();
});

/** Zhu & Gupta written out independently of schedules/sparsity.ts. */
function zhuGupta(t: number, from: number, to: number, t0: number, t1: number): number {
  const p = Math.min(1, Math.max(0, (t - t0) / (t1 - t0)));
  return to - (to - from) * Math.pow(1 - p, 3);
}

describe("gmp(): spec", () => {
  it("fills defaults and freezes", () => {
    const spec = gmp({ to: 0.9 });
    expect(spec).toEqual({ method: "gmp", to: 0.9, start: 0.1, end: 0.7, scope: "layer" });
    expect(Object.isFrozen(spec)).toBe(true);
    expect(validateGmp(JSON.parse(JSON.stringify(spec)))).toEqual(spec);
  });

  it("rejects bad values naming the argument and the value", () => {
    expect(() => gmp({ to: 1 })).toThrow(/^gmp\(to\): expected a number in \[0, 1\), received 1$/);
    expect(() => gmp({ to: 0.9, start: 0.5, end: 0.2 })).toThrow(/^gmp\(end\): expected a fraction ≥ start \(0\.5\), received 0\.2$/);
    expect(() => gmp({ to: 0.9, every: 0 })).toThrow(/^gmp\(every\): expected a positive integer, received 0$/);
    expect(() => gmp({ to: 0.9, scope: "net" as "layer" })).toThrow(/^gmp\(scope\): expected one of "layer" \| "global", received "net"$/);
    expect(() => gmp({ to: 0.9, steps: 3 } as never)).toThrow(/^gmp\(options\.steps\): expected no such option \(known: method, to, start, end, every, scope\), received 3$/);
    expect(() => validateGmp({ method: "gmp", to: 0.9, start: 0.1, end: 1.5, scope: "layer" }, "prune")).toThrow(/^prune\(end\): expected a number in \[0, 1\], received 1\.5$/);
  });
});

describe("gmpAlgorithm: schedule", () => {
  it("updates at begin, begin + every, …, end (fractions of totalSteps)", () => {
    const algorithm = gmpAlgorithm(gmp({ to: 0.9, start: 0.1, end: 0.7, every: 10 }));
    const steps = Array.from({ length: 120 }, (_, i) => i).filter((s) => algorithm.updatesAt(s, 100));
    expect(steps).toEqual([10, 20, 30, 40, 50, 60, 70]);
  });

  it("by default spreads 20 updates over the window", () => {
    const algorithm = gmpAlgorithm(gmp({ to: 0.9, start: 0.1, end: 0.7 }));
    const steps = Array.from({ length: 1001 }, (_, i) => i).filter((s) => algorithm.updatesAt(s, 1000));
    // begin 100, end 700, every round(600 / 20) = 30
    expect(steps).toEqual(Array.from({ length: 21 }, (_, i) => 100 + 30 * i));
  });
});

describe("gmpAlgorithm in the training loop", () => {
  // 400 train examples, batch 20 → 40 steps over 2 epochs. start 0.25 / end 0.75 → steps 10…30, every 5.
  const data = synthetic({ train: 440, validation: 40, test: 50, features: 16, numClasses: 4, seed: 2 });
  const scheduled = [10, 15, 20, 25, 30];

  for (const scope of ["layer", "global"] as const) {
    it(`${scope} scope: masks change only at the scheduled steps, to the cubic schedule's counts, keeping the largest |w|`, async () => {
      const net = mlp([16, 32, 24, 4], { seed: 3 });
      const spec = gmp({ to: 0.8, start: 0.25, end: 0.75, every: 5, scope });
      const optSpec = sgd(0.05, { momentum: 0.9 });
      const optimizer = new Optimizer(optSpec);
      const totals = new Map(net.prunable.map((t) => [t.name, t.shape.reduce((a, b) => a * b, 1)]));
      const total = [...totals.values()].reduce((a, b) => a + b, 0);

      const nonzeroPerStep: number[][] = [];
      const maskEvents: Extract<RunEvent, { type: "mask" }>[] = [];
      let beforeUpdate = new Map<string, Float32Array>();
      const onEvent = (e: RunEvent) => {
        if (e.type === "step") {
          // Weights as GMP ranks them (after the optimizer step and re-masking, before the update).
          beforeUpdate = new Map(net.prunable.map((t) => [t.name, net.params.get(t.name)!.dataSync().slice() as Float32Array]));
          nonzeroPerStep.push(net.prunable.map((t) => beforeUpdate.get(t.name)!.reduce((n, w) => n + (w !== 0 ? 1 : 0), 0)));
        }
        if (e.type !== "mask") return;
        maskEvents.push(e);
        const kept: number[] = [];
        const pruned: number[] = [];
        let nonzeroAtPruned = 0;
        for (const layer of e.report.layers) {
          const w = net.params.get(layer.name)!.dataSync();
          const before = beforeUpdate.get(layer.name)!;
          const slot = optimizer.slots(layer.name)[0].dataSync();
          const layerKept: number[] = [];
          const layerPruned: number[] = [];
          // The new mask is read off the re-masked weights: kept weights are nonzero on this net.
          for (let i = 0; i < w.length; i++) {
            if (w[i] !== 0) layerKept.push(Math.abs(before[i]));
            else {
              layerPruned.push(Math.abs(before[i]));
              // Pruned (now or earlier): its momentum was zeroed with the weight.
              if (slot[i] !== 0) nonzeroAtPruned++;
            }
          }
          expect(layerKept.length).toBe(layer.kept);
          if (scope === "layer") expect(Math.min(...layerKept)).toBeGreaterThanOrEqual(Math.max(0, ...layerPruned));
          kept.push(...layerKept);
          pruned.push(...layerPruned);
        }
        expect(nonzeroAtPruned).toBe(0);
        // Global: every kept weight (any layer) is at least as large as every pruned one.
        if (scope === "global") expect(Math.min(...kept)).toBeGreaterThanOrEqual(Math.max(0, ...pruned));
      };

      const outcome = await trainMasked({
        net, masks: MaskSet.dense(net.prunable), data, optimizer, onEvent,
        train: validateTrainSpec({ epochs: 2, batchSize: 20, optimizer: optSpec, seed: 4 }),
        algorithm: gmpAlgorithm(spec),
      });

      expect(outcome.steps).toBe(40);
      expect(maskEvents.map((e) => e.step)).toEqual(scheduled);
      for (const e of maskEvents) {
        const s = zhuGupta(e.step, 0, 0.8, 10, 30);
        if (scope === "layer") {
          for (const l of e.report.layers) expect(l.kept).toBe(Math.round((1 - s) * totals.get(l.name)!));
        } else {
          expect(e.report.overall.kept).toBe(Math.round((1 - s) * total));
        }
      }
      // The first scheduled step is the schedule's start (s = s_i = 0): nothing is dropped there.
      expect(Object.values(maskEvents[0].dropped).every((n) => n === 0)).toBe(true);
      expect(Object.values(maskEvents[1].dropped).some((n) => n > 0)).toBe(true);

      // Kept counts only change at scheduled steps (nonzeroPerStep[k] is measured after step k + 1).
      for (let step = 2; step <= 40; step++) {
        const changed = nonzeroPerStep[step - 1].some((n, i) => n !== nonzeroPerStep[step - 2][i]);
        if (changed) expect(scheduled).toContain(step - 1);
      }

      // The final sparsity is the target exactly.
      const report = outcome.masks.report();
      if (scope === "layer") {
        for (const l of report.layers) expect(l.kept).toBe(Math.round(0.2 * l.total));
      } else {
        expect(report.overall.kept).toBe(Math.round(0.2 * total));
        // Global ranking need not give every layer 20%.
        expect(report.layers.some((l) => l.kept !== Math.round(0.2 * l.total))).toBe(true);
      }
      expect(outcome.history[1].density).toBe(report.overall.density);

      // Pruned weights and their slots are still exactly 0 at the end.
      for (const [name, mask] of outcome.masks.entries) {
        const w = net.params.get(name)!.dataSync();
        const slot = optimizer.slots(name)[0].dataSync();
        const stray = Array.from(mask.bits).filter((bit, i) => bit === 0 && (w[i] !== 0 || slot[i] !== 0));
        expect(stray).toHaveLength(0);
      }
      optimizer.dispose();
      net.dispose();
    });
  }

  it("starts from the initial masks' sparsity and never regrows", async () => {
    const net = mlp([16, 32, 4], { seed: 3 });
    // fc1 starts at 50% sparsity, fc2 dense; both end at 80%.
    const rng = new Rng(1);
    const { Mask } = await import("../masks/index.js");
    const masks = MaskSet.from([["fc1.kernel", Mask.random([16, 32], 256, rng)], ["fc2.kernel", Mask.dense([32, 4])]]);
    const kept: Record<string, number>[] = [];
    await trainMasked({
      net, masks, data,
      train: validateTrainSpec({ epochs: 2, batchSize: 20, optimizer: sgd(0.05), seed: 4 }),
      algorithm: gmpAlgorithm(gmp({ to: 0.8, start: 0.25, end: 0.75, every: 5 })),
      onEvent: (e) => {
        if (e.type === "mask") {
          kept.push(Object.fromEntries(e.report.layers.map((l) => [l.name, l.kept])));
          expect(Object.values(e.grown).every((n) => n === 0)).toBe(true);
        }
      },
    });
    net.dispose();
    expect(kept.map((k) => k["fc1.kernel"])).toEqual(scheduled.map((t) => Math.round((1 - zhuGupta(t, 0.5, 0.8, 10, 30)) * 512)));
    expect(kept.map((k) => k["fc2.kernel"])).toEqual(scheduled.map((t) => Math.round((1 - zhuGupta(t, 0, 0.8, 10, 30)) * 128)));
  });
});

describe("gmpAlgorithm.update on hand-made weights", () => {
  // fc1 (3×2) has the large weights, fc2 (2×2) only tiny ones.
  const fc1 = [0.1, -0.9, 0.2, 0.05, 0.8, -0.3];
  const fc2 = [0.01, 0.02, -0.03, 0.04];

  function handMade() {
    const net = mlp([3, 2, 2], { seed: 0 });
    net.load(new Map([
      ["fc1.kernel", Float32Array.from(fc1)], ["fc1.bias", new Float32Array(2)],
      ["fc2.kernel", Float32Array.from(fc2)], ["fc2.bias", new Float32Array(2)],
    ]));
    return net;
  }

  it("global scope keeps the global top-k by |w|, across layers", () => {
    const net = handMade();
    // start 0, end 1 over 10 steps: step 10 is the end, where s = to = 0.5 → keep 5 of 10.
    const change = gmpAlgorithm(gmp({ to: 0.5, start: 0, end: 1, scope: "global" }))
      .update({ step: 10, totalSteps: 10, net, masks: MaskSet.dense(net.prunable), rng: new Rng(0) });
    net.dispose();
    expect(Array.from(change.masks.get("fc1.kernel").bits)).toEqual([1, 1, 1, 0, 1, 1]); // all but 0.05
    expect(Array.from(change.masks.get("fc2.kernel").bits)).toEqual([0, 0, 0, 0]);
    expect(Object.fromEntries(change.dropped)).toEqual({ "fc1.kernel": 1, "fc2.kernel": 4 });
    expect(Object.fromEntries(change.grown)).toEqual({ "fc1.kernel": 0, "fc2.kernel": 0 });
  });

  it("layer scope keeps each layer's own top-k", () => {
    const net = handMade();
    const change = gmpAlgorithm(gmp({ to: 0.5, start: 0, end: 1, scope: "layer" }))
      .update({ step: 10, totalSteps: 10, net, masks: MaskSet.dense(net.prunable), rng: new Rng(0) });
    net.dispose();
    expect(Array.from(change.masks.get("fc1.kernel").bits)).toEqual([0, 1, 0, 0, 1, 1]); // 0.9, 0.8, 0.3
    expect(Array.from(change.masks.get("fc2.kernel").bits)).toEqual([0, 0, 1, 1]); // 0.03, 0.04
  });
});
