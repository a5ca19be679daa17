import { Rng, synthetic } from "@sparselab/datasets";
import { beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../backend/index.js";
import { Mask, MaskSet } from "../masks/index.js";
import { mlp, type Net } from "../nets/index.js";
import { constantDrop, cosine } from "../schedules/drop.js";
import type { RunEvent } from "../train/events.js";
import { trainMasked } from "../train/loop.js";
import { constantLr } from "../schedules/lr.js";
import { Optimizer, sgd } from "../train/optimizers.js";
import { validateTrainSpec } from "../train/spec.js";
import type { MaskChange, SparsityAlgorithm, UpdateContext } from "./base.js";
import { regrow, regrowAlgorithm, validateRegrow } from "./regrow.js";

beforeAll(async () => {
  await useBackend();
});

const bitsOf = (mask: Mask) => Array.from(mask.bits);
const indices = (bits: ArrayLike<number>) => Array.from(bits).flatMap((b, i) => (b ? [i] : []));

describe("regrow(): spec", () => {
  it("fills RigL's defaults (every 100, cosine(0.3), 0 → 0.75) and round-trips through JSON", () => {
    const spec = regrow("rigl");
    expect(spec).toEqual({ method: "rigl", every: 100, drop: { kind: "cosine", initial: 0.3 }, begin: 0, until: 0.75 });
    expect(Object.isFrozen(spec)).toBe(true);
    expect(validateRegrow(JSON.parse(JSON.stringify(spec)))).toEqual(spec);
    // A number is a constant drop fraction.
    expect(regrow("set", { drop: 0.2, every: 5 })).toMatchObject({ method: "set", every: 5, drop: { kind: "constant", initial: 0.2 } });
    expect(regrowAlgorithm(spec).toJSON()).toEqual(spec);
  });

  it("rejects bad values naming the argument and the value", () => {
    expect(() => regrow("rigl", { drop: 1 })).toThrow(/^regrow\(drop\.initial\): expected a number in \[0, 1\), received 1$/);
    expect(() => regrow("rigl", { drop: cosine(0.3), begin: 0.5, until: 0.2 })).toThrow(/^regrow\(until\): expected a fraction ≥ begin \(0\.5\), received 0\.2$/);
    expect(() => regrow("rigl", { until: 1.5 })).toThrow(/^regrow\(until\): expected a number in \[0, 1\], received 1\.5$/);
    expect(() => regrow("rigl", { every: 0 })).toThrow(/^regrow\(every\): expected a positive integer, received 0$/);
    expect(() => regrow("rigl", { every: 2.5 })).toThrow(/^regrow\(every\): expected a positive integer, received 2\.5$/);
    expect(() => regrow("lamp" as "set")).toThrow(/^regrow\(method\): expected one of "set" \| "rigl" \| "gradient", received "lamp"$/);
    expect(() => regrow("set", { freq: 3 } as never)).toThrow(/^regrow\(options\.freq\): expected no such option .*, received 3$/);
    expect(() => validateRegrow({ method: "rigl", every: 10, drop: 0.3, begin: 0.6, until: 0.4 }, "plan")).toThrow(/^plan\(until\): expected a fraction ≥ begin \(0\.6\), received 0\.4$/);
  });
});

describe("regrowAlgorithm: when it updates", () => {
  it("every `every` steps between begin and until (fractions of totalSteps, both ends included)", () => {
    const algorithm = regrowAlgorithm(regrow("set", { every: 10, begin: 0.2, until: 0.75 }));
    const steps = Array.from({ length: 120 }, (_, i) => i).filter((s) => algorithm.updatesAt(s, 100));
    expect(steps).toEqual([20, 30, 40, 50, 60, 70]);
    expect(Array.from({ length: 101 }, (_, i) => i).filter((s) => regrowAlgorithm(regrow("rigl", { every: 25, until: 1 })).updatesAt(s, 100)))
      .toEqual([0, 25, 50, 75, 100]);
  });

  it("only RigL skips the optimizer step; RigL and GraNet's regeneration need the dense gradient", () => {
    const [set, rigl, gradient] = (["set", "rigl", "gradient"] as const).map((m) => regrowAlgorithm(regrow(m)));
    expect([set.skipsOptimizerStep, rigl.skipsOptimizerStep, gradient.skipsOptimizerStep]).toEqual([false, true, false]);
    expect([set.needsDenseGradients, rigl.needsDenseGradients, gradient.needsDenseGradients]).toEqual([false, true, true]);
  });
});

/**
 * One 2×4 kernel, hand-set. Active: 0.5, −0.1, 0.9, −0.3, 0.05 (indices 0, 1, 3, 4, 6); inactive
 * 2, 5, 7. The dense gradient is largest at active index 0 (must not count) and, among the
 * inactive-after-drop positions, at 6 (just dropped) and 2.
 */
const W = [0.5, -0.1, 0, 0.9, -0.3, 0, 0.05, 0];
const MASK = [1, 1, 0, 1, 1, 0, 1, 0];
const G = [5.0, 0.2, -0.7, 0.1, 3.0, 0.3, 0.9, -0.25];

function handNet(weights = W): Net {
  const net = mlp([2, 4], { seed: 0 });
  net.load(new Map([["fc1.kernel", Float32Array.from(weights)], ["fc1.bias", new Float32Array(4)]]));
  return net;
}

function handContext(net: Net, step = 10, totalSteps = 10): UpdateContext {
  return {
    step, totalSteps, net, rng: new Rng(0),
    masks: MaskSet.from([["fc1.kernel", Mask.fromBits([2, 4], MASK)]]),
    denseGradients: new Map([["fc1.kernel", Float32Array.from(G)]]),
  };
}

describe("RigL on a hand-set 2×4 layer", () => {
  it("drops the ⌊0.5·5⌋ = 2 smallest |w| among active (0.05 at 6, −0.1 at 1) and grows the 2 largest |g| among inactive (6, 2)", () => {
    const net = handNet();
    const change = regrowAlgorithm(regrow("rigl", { every: 1, drop: constantDrop(0.5), until: 1 })).update(handContext(net));
    net.dispose();
    // 6 was dropped and grown back; 2 is new; 1 stays dropped. Index 0 (|g| = 5) and 4 (|g| = 3) were active.
    expect(bitsOf(change.masks.get("fc1.kernel"))).toEqual([1, 0, 1, 1, 1, 0, 1, 0]);
    expect(indices(change.reset!.get("fc1.kernel").bits)).toEqual([2, 6]);
    expect(change.masks.get("fc1.kernel").kept).toBe(5);
    expect(Object.fromEntries(change.dropped)).toEqual({ "fc1.kernel": 2 });
    expect(Object.fromEntries(change.grown)).toEqual({ "fc1.kernel": 2 });
  });

  it("GraNet's regeneration (\"gradient\") rounds up: ⌈0.5·5⌉ = 3 dropped (also −0.3 at 4), 3 grown (6, 2, 4)", () => {
    const net = handNet();
    const change = regrowAlgorithm(regrow("gradient", { every: 1, drop: 0.5, until: 1 })).update(handContext(net));
    net.dispose();
    // After the drop the active set is {0, 3}; the inactive |g| are 0.2, 0.7, 3.0, 0.3, 0.9, 0.25 at 1, 2, 4, 5, 6, 7.
    expect(bitsOf(change.masks.get("fc1.kernel"))).toEqual([1, 0, 1, 1, 1, 0, 1, 0]);
    expect(indices(change.reset!.get("fc1.kernel").bits)).toEqual([2, 4, 6]);
    expect(Object.fromEntries(change.dropped)).toEqual({ "fc1.kernel": 3 });
  });

  it("SET grows at random among the inactive-after-drop positions only", () => {
    const net = handNet();
    const grownAt = new Set<number>();
    for (let seed = 0; seed < 60; seed++) {
      const change = regrowAlgorithm(regrow("set", { every: 1, drop: 0.5, until: 1 })).update({ ...handContext(net), rng: new Rng(seed), denseGradients: undefined });
      const next = change.masks.get("fc1.kernel");
      // The three largest |w| (0.9, 0.5, −0.3 at 3, 0, 4) survive the drop; two of {1, 2, 5, 6, 7} grow.
      expect([0, 3, 4].every((i) => next.bits[i] === 1)).toBe(true);
      expect(next.kept).toBe(5);
      const grown = indices(change.reset!.get("fc1.kernel").bits);
      expect(grown).toHaveLength(2);
      grown.forEach((i) => grownAt.add(i));
    }
    net.dispose();
    expect([...grownAt].sort()).toEqual([1, 2, 5, 6, 7]);
  });

  it("breaks ties between equal |w| at random (no index bias)", () => {
    // Four active weights of equal magnitude, drop 1 of them.
    const net = handNet([0.2, -0.2, 0, 0.2, -0.2, 0, 0, 0]);
    const masks = MaskSet.from([["fc1.kernel", Mask.fromBits([2, 4], [1, 1, 0, 1, 1, 0, 0, 0])]]);
    const droppedAt = new Set<number>();
    for (let seed = 0; seed < 40; seed++) {
      const change = regrowAlgorithm(regrow("set", { every: 1, drop: 0.25, until: 1 })).update({ step: 1, totalSteps: 1, net, masks, rng: new Rng(seed) });
      const next = change.masks.get("fc1.kernel");
      const reset = change.reset!.get("fc1.kernel");
      [0, 1, 3, 4].filter((i) => next.bits[i] === 0 || reset.bits[i] === 1).forEach((i) => droppedAt.add(i));
    }
    net.dispose();
    expect([...droppedAt].sort()).toEqual([0, 1, 3, 4]);
  });

  it("RigL without a dense gradient is a loop bug, said plainly", () => {
    const net = handNet();
    expect(() => regrowAlgorithm(regrow("rigl", { every: 1, drop: 0.5, until: 1 })).update({ ...handContext(net), denseGradients: undefined }))
      .toThrow(/^regrow: no dense gradient for fc1\.kernel; the loop must provide it$/);
    net.dispose();
  });
});

describe("RigL in the training loop", () => {
  // 2 features / 4 classes for the hand-set net; 40 train examples in one batch of 40 per step.
  const tiny = synthetic({ train: 44, validation: 4, test: 20, features: 2, numClasses: 4, seed: 1 });

  it("hand-set update through trainMasked: grown weights and their momentum restart at 0, the update step skips the optimizer", async () => {
    const net = handNet();
    // lr 1e-30 (a positive rate below every weight's float32 ulp): the weights stay hand-set, but
    // momentum accumulates v ← 0.9·v + g at every optimizer step.
    const spec = sgd(1e-30, { momentum: 0.9 });
    const optimizer = new Optimizer(spec);
    const rigl = regrowAlgorithm(regrow("rigl", { every: 3, drop: 0.5, until: 1 }));
    // The real algorithm, fed the hand-set gradient instead of the batch's.
    const algorithm: SparsityAlgorithm = { ...rigl, update: (context) => rigl.update({ ...context, denseGradients: new Map([["fc1.kernel", Float32Array.from(G)]]) }) };
    const slotAfter: number[][] = [];
    const weightsAfter: number[][] = [];
    let atMask: { w: number[]; slot: number[]; kept: number[] } | undefined;
    const outcome = await trainMasked({
      net, optimizer, algorithm, data: tiny,
      masks: MaskSet.from([["fc1.kernel", Mask.fromBits([2, 4], MASK)]]),
      train: validateTrainSpec({ epochs: 3, batchSize: 40, optimizer: spec, schedule: constantLr(), seed: 2 }),
      onEvent: (e) => {
        const w = Array.from(net.params.get("fc1.kernel")!.dataSync());
        const slot = Array.from(optimizer.slots("fc1.kernel")[0]?.dataSync() ?? []);
        if (e.type === "step") {
          weightsAfter.push(w);
          slotAfter.push(slot);
        }
        if (e.type === "mask" && e.step === 3) atMask = { w, slot, kept: e.report.layers.map((l) => l.kept) };
      },
    });
    expect(outcome.steps).toBe(3);
    // Steps 1 and 2 stepped the optimizer: momentum built up at the active positions (and only there).
    for (const i of [0, 1, 3, 4, 6]) expect(slotAfter[1][i]).not.toBe(0);
    for (const i of [2, 5, 7]) expect(slotAfter[1][i]).toBe(0);
    expect(slotAfter[1]).not.toEqual(slotAfter[0]);
    // Step 3 is an update step: no optimizer step, so even momentum (which moves with lr 0) is unchanged.
    expect(slotAfter[2]).toEqual(slotAfter[1]);
    expect(weightsAfter[2].map(Math.abs)).toEqual(W.map((w) => Math.abs(Math.fround(w))));

    expect(atMask).toBeDefined();
    const { w, slot } = atMask!;
    expect(bitsOf(outcome.masks.get("fc1.kernel"))).toEqual([1, 0, 1, 1, 1, 0, 1, 0]);
    // Grown (2, and 6 which was dropped and regrown): weight 0 and momentum 0 — 6 had momentum before.
    for (const i of [2, 6]) {
      expect(Math.abs(w[i])).toBe(0);
      expect(Math.abs(slot[i])).toBe(0);
    }
    // Dropped (1): weight and momentum 0.
    expect(Math.abs(w[1])).toBe(0);
    expect(Math.abs(slot[1])).toBe(0);
    // Kept (0, 3, 4): weights and momentum exactly as before the update.
    for (const i of [0, 3, 4]) {
      expect(w[i]).toBe(weightsAfter[2][i]);
      expect(slot[i]).toBe(slotAfter[1][i]);
    }
    expect(atMask!.kept).toEqual([5]);
    expect(Object.fromEntries(outcome.grown)).toEqual({ "fc1.kernel": 2 });
    optimizer.dispose();
    net.dispose();
  });

  it("a real run: update steps leave every parameter as the previous step left it, then drop by |w| and grow by the dense |g|", async () => {
    const data = synthetic({ train: 440, validation: 40, test: 50, features: 16, numClasses: 4, seed: 2 });
    const net = mlp([16, 32, 24, 4], { seed: 3 });
    const rng = new Rng(5);
    const masks = MaskSet.from(net.prunable.map((t) => {
      const total = t.shape.reduce((a, b) => a * b, 1);
      return [t.name, Mask.random(t.shape, Math.round(0.3 * total), rng)] as const;
    }));
    const spec = sgd(0.05, { momentum: 0.9 });
    const optimizer = new Optimizer(spec);
    const rigl = regrowAlgorithm(regrow("rigl", { every: 4, drop: cosine(0.4), until: 0.75 }));
    // A spy: records what the loop hands the algorithm and what the algorithm answers.
    const seen: { context: UpdateContext; weights: Map<string, Float32Array>; change: MaskChange }[] = [];
    const algorithm: SparsityAlgorithm = {
      ...rigl,
      update: (context) => {
        const weights = new Map(net.prunable.map((t) => [t.name, net.params.get(t.name)!.dataSync().slice() as Float32Array]));
        const change = rigl.update(context);
        seen.push({ context, weights, change });
        return change;
      },
    };
    let previous = net.snapshot();
    const unchangedAt: number[] = [];
    const maskEvents: Extract<RunEvent, { type: "mask" }>[] = [];
    const stray: string[] = [];
    await trainMasked({
      net, masks, data, optimizer, algorithm,
      train: validateTrainSpec({ epochs: 2, batchSize: 20, optimizer: spec, seed: 4 }),
      onEvent: (e) => {
        if (e.type === "step") {
          const now = net.snapshot();
          if ([...now].every(([name, values]) => values.every((v, i) => v === previous.get(name)![i]))) unchangedAt.push(e.step);
          previous = now;
        }
        if (e.type === "mask") {
          maskEvents.push(e);
          const { change, weights } = seen[seen.length - 1];
          for (const [name, mask] of change.masks.entries) {
            const w = net.params.get(name)!.dataSync();
            const slot = optimizer.slots(name)[0].dataSync();
            const reset = change.reset!.get(name);
            for (let i = 0; i < w.length; i++) {
              if (reset.bits[i] && (w[i] !== 0 || slot[i] !== 0)) stray.push(`${name}[${i}] grown but not reset at step ${e.step}`);
              if (!mask.bits[i] && (w[i] !== 0 || slot[i] !== 0)) stray.push(`${name}[${i}] inactive but nonzero at step ${e.step}`);
              if (mask.bits[i] && !reset.bits[i] && w[i] !== weights.get(name)![i]) stray.push(`${name}[${i}] kept but changed at step ${e.step}`);
            }
          }
          previous = net.snapshot();
        }
      },
    });
    // 40 steps, updates every 4 up to round(0.75 · 40) = 30.
    expect(maskEvents.map((e) => e.step)).toEqual([4, 8, 12, 16, 20, 24, 28]);
    // The optimizer was skipped exactly at the update steps (all parameters, biases included).
    expect(unchangedAt).toEqual([4, 8, 12, 16, 20, 24, 28]);
    expect(stray).toEqual([]);

    const initial = masks.report();
    for (const [k, { context, weights, change }] of seen.entries()) {
      const fraction = 0.4 * 0.5 * (1 + Math.cos((Math.PI * context.step) / 30));
      for (const [name, before] of context.masks.entries) {
        const after = change.masks.get(name);
        const g = context.denseGradients!.get(name)!;
        const w = weights.get(name)!;
        const n = Math.floor(fraction * before.kept);
        expect(change.dropped.get(name), `${name} at update ${k}`).toBe(n);
        expect(after.kept).toBe(before.kept);
        expect(after.kept).toBe(initial.layers.find((l) => l.name === name)!.kept);
        // The dense gradient: nonzero at inactive positions too (not the masked one).
        expect(Array.from(before.bits).some((b, i) => b === 0 && g[i] !== 0)).toBe(true);
        // Survivors of the drop (after − grown): kept − n of the active weights, none smaller in |w| than a dropped one.
        const reset = change.reset!.get(name);
        expect(reset.minus(after).kept).toBe(0);
        const survivors = after.minus(reset);
        expect(survivors.minus(before).kept).toBe(0);
        expect(survivors.kept).toBe(before.kept - n);
        const droppedIdx = indices(before.minus(survivors).bits);
        const survivorIdx = indices(survivors.bits);
        if (n > 0) expect(Math.min(...survivorIdx.map((i) => Math.abs(w[i])))).toBeGreaterThanOrEqual(Math.max(...droppedIdx.map((i) => Math.abs(w[i]))));
        // Grown: n positions outside the survivors (just-dropped included) with the largest dense |g|.
        const grown = indices(reset.bits);
        expect(grown).toHaveLength(n);
        const notGrown = indices(survivors.or(reset).not().bits);
        if (n > 0 && notGrown.length > 0) expect(Math.min(...grown.map((i) => Math.abs(g[i])))).toBeGreaterThanOrEqual(Math.max(...notGrown.map((i) => Math.abs(g[i]))));
      }
    }
    expect(seen.some(({ change }) => [...change.dropped.values()].some((n) => n > 0))).toBe(true);
    optimizer.dispose();
    net.dispose();
  });
});

describe("SET", () => {
  it("over many random updates: grown ∩ active-after-drop = ∅, ⌊f·n⌋ replaced, per-layer counts conserved, dense layers untouched", () => {
    const rng = new Rng(7);
    const net = mlp([12, 10, 6], { seed: 1 });
    const shapes: Record<string, [number, number]> = { "fc1.kernel": [12, 10], "fc2.kernel": [10, 6] };
    for (let trial = 0; trial < 150; trial++) {
      // Distinct random magnitudes (no ties): the survivors of the drop are known exactly.
      net.load(new Map([
        ["fc1.kernel", Float32Array.from({ length: 120 }, () => rng.normal())], ["fc1.bias", new Float32Array(10)],
        ["fc2.kernel", Float32Array.from({ length: 60 }, () => rng.normal())], ["fc2.bias", new Float32Array(6)],
      ]));
      const kept = 1 + rng.int(119);
      const fc2Dense = trial % 3 === 0;
      const masks = MaskSet.from([
        ["fc1.kernel", Mask.random(shapes["fc1.kernel"], kept, rng)],
        ["fc2.kernel", fc2Dense ? Mask.dense(shapes["fc2.kernel"]) : Mask.random(shapes["fc2.kernel"], 1 + rng.int(59), rng)],
      ]);
      const f = rng.next() * 0.99;
      const change = regrowAlgorithm(regrow("set", { every: 1, drop: f, until: 1 })).update({ step: 1, totalSteps: 1, net, masks, rng });
      for (const [name, before] of masks.entries) {
        const after = change.masks.get(name);
        const grown = change.reset!.get(name);
        if (before.kept === before.total) {
          expect(after.equals(before)).toBe(true);
          expect(grown.kept).toBe(0);
          expect(change.dropped.get(name)).toBe(0);
          continue;
        }
        const n = Math.floor(f * before.kept);
        const w = net.params.get(name)!.dataSync();
        const survivors = indices(before.bits).sort((a, b) => Math.abs(w[b]) - Math.abs(w[a])).slice(0, before.kept - n);
        expect(survivors.filter((i) => grown.bits[i] === 1)).toEqual([]);
        expect(survivors.every((i) => after.bits[i] === 1)).toBe(true);
        expect(grown.kept).toBe(n);
        expect(grown.minus(after).kept).toBe(0);
        expect(after.kept).toBe(before.kept);
        expect(change.dropped.get(name)).toBe(n);
        expect(change.grown.get(name)).toBe(n);
      }
    }
    net.dispose();
  });

  it("in the loop: every update conserves each layer's kept count and grown weights start at 0; the dense layer stays dense", async () => {
    const data = synthetic({ train: 440, validation: 40, test: 50, features: 16, numClasses: 4, seed: 2 });
    const net = mlp([16, 32, 24, 4], { seed: 3 });
    const rng = new Rng(5);
    const masks = MaskSet.from([
      ["fc1.kernel", Mask.random([16, 32], 100, rng)], ["fc2.kernel", Mask.random([32, 24], 150, rng)], ["fc3.kernel", Mask.dense([24, 4])],
    ]);
    const spec = sgd(0.05, { momentum: 0.9 });
    const set = regrowAlgorithm(regrow("set", { every: 2, drop: 0.3, until: 1 }));
    const changes: MaskChange[] = [];
    const algorithm: SparsityAlgorithm = { ...set, update: (context) => { const c = set.update(context); changes.push(c); return c; } };
    const events: Extract<RunEvent, { type: "mask" }>[] = [];
    const nonzeroGrown: number[] = [];
    const outcome = await trainMasked({
      net, masks, data, algorithm,
      train: validateTrainSpec({ epochs: 2, batchSize: 20, optimizer: spec, seed: 4 }),
      onEvent: (e) => {
        if (e.type !== "mask") return;
        events.push(e);
        const reset = changes[changes.length - 1].reset!;
        let n = 0;
        for (const [name, grown] of reset.entries) {
          const w = net.params.get(name)!.dataSync();
          for (let i = 0; i < w.length; i++) if (grown.bits[i] && w[i] !== 0) n++;
        }
        nonzeroGrown.push(n);
      },
    });
    net.dispose();
    expect(events).toHaveLength(20);
    for (const e of events) {
      expect(e.report.layers.map((l) => l.kept)).toEqual([100, 150, 96]);
      // ⌊0.3 · kept⌋ per sparse layer; none in the dense layer.
      expect(e.dropped).toEqual({ "fc1.kernel": 30, "fc2.kernel": 45, "fc3.kernel": 0 });
      expect(e.grown).toEqual(e.dropped);
    }
    expect(nonzeroGrown.every((n) => n === 0)).toBe(true);
    expect(outcome.masks.get("fc3.kernel").kept).toBe(96);
    expect(Object.fromEntries(outcome.dropped)).toEqual({ "fc1.kernel": 600, "fc2.kernel": 900, "fc3.kernel": 0 });
    // The masks did move: some weights were active that were not at the start.
    expect(outcome.explorationRate).toBeGreaterThan(masks.report().overall.density);
  });
});
