import { Rng, synthetic } from "@sparselab/datasets";
import { beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../backend/index.js";
import { Mask, MaskSet } from "../masks/index.js";
import { mlp } from "../nets/index.js";
import { cosineLr } from "../schedules/lr.js";
import type { RunEvent } from "./events.js";
import { trainMasked } from "./loop.js";
import { adam, adamw, Optimizer, sgd, type OptimizerSpec } from "./optimizers.js";
import { validateTrainSpec } from "./spec.js";

// 400 train examples, batch 20 → 20 steps per epoch, 40 steps in 2 epochs.
const data = synthetic({ train: 440, validation: 40, test: 100, features: 16, numClasses: 4, seed: 3 });

beforeAll(async () => {
  await useBackend();
});

/** Random masks keeping `density` of every kernel of a fresh 16-24-24-4 MLP. */
function setup(density = 0.4) {
  const net = mlp([16, 24, 24, 4], { seed: 7 });
  const rng = new Rng(11);
  const masks = MaskSet.from(net.prunable.map((t) => {
    const total = t.shape.reduce((a, b) => a * b, 1);
    return [t.name, Mask.random(t.shape, Math.round(density * total), rng)] as const;
  }));
  return { net, masks, initial: net.snapshot() };
}

const cases: [string, OptimizerSpec, number][] = [
  ["SGD + momentum", sgd(0.05, { momentum: 0.9 }), 1],
  ["SGD + Nesterov + weight decay", sgd(0.05, { momentum: 0.9, nesterov: true, weightDecay: 1e-3 }), 1],
  ["Adam (L2 weight decay)", adam(0.01, { weightDecay: 1e-3 }), 2],
  ["AdamW", adamw(0.01, { weightDecay: 0.05 }), 2],
];

describe("trainMasked: masked-training invariants", () => {
  for (const [label, spec, slotCount] of cases) {
    it(`${label}: pruned weights and their optimizer slots stay exactly 0; kept weights train`, async () => {
      const { net, masks, initial } = setup();
      const optimizer = new Optimizer(spec);
      const train = validateTrainSpec({ epochs: 2, batchSize: 20, optimizer: spec, seed: 5 });
      try {
        const outcome = await trainMasked({ net, masks, data, train, optimizer });
        expect(outcome.steps).toBe(40);
        // No algorithm: the masks (and so every kept count) are unchanged.
        expect(outcome.masks.equals(masks)).toBe(true);

        for (const t of net.prunable) {
          const bits = masks.get(t.name).bits;
          const w = net.params.get(t.name)!.dataSync();
          const before = initial.get(t.name)!;
          const slots = optimizer.slots(t.name).map((s) => s.dataSync());
          expect(slots).toHaveLength(slotCount);
          let changed = 0;
          let nonzeroKept = 0;
          for (let i = 0; i < bits.length; i++) {
            if (bits[i] === 0) {
              // The initial net had a nonzero weight here; the loop must zero it and keep it at 0.
              // (w·0 is −0 for negative w: numerically 0, so compare |w|)
              expect(Math.abs(w[i])).toBe(0);
              for (const slot of slots) expect(Math.abs(slot[i])).toBe(0);
            } else {
              if (w[i] !== before[i]) changed++;
              else for (const slot of slots) expect(slot[i]).toBe(0);
              if (w[i] !== 0) nonzeroKept++;
            }
          }
          // Kept counts unchanged: every kept weight is still nonzero (none collapsed to 0).
          expect(nonzeroKept).toBe(masks.get(t.name).kept);
          // Training moved the kept weights. Without weight decay, the outgoing weights of a ReLU unit
          // that is dead on every example never get a gradient: those (and only those) stay put,
          // with all their optimizer state at 0.
          expect(changed / masks.get(t.name).kept).toBeGreaterThan(0.75);
          // The slots do hold state at kept positions, so "0 at pruned positions" is not vacuous.
          for (const slot of slots) expect(slot.some((s, i) => bits[i] === 1 && s !== 0)).toBe(true);
        }
        // Dense parameters (biases) train too.
        expect(Array.from(net.params.get("fc1.bias")!.dataSync()).some((b) => b !== 0)).toBe(true);
        // It learned something on this easy task.
        expect(outcome.test.accuracy).toBeGreaterThan(0.5);
      } finally {
        optimizer.dispose();
        net.dispose();
      }
    });
  }

  it("a caller-owned optimizer is not disposed by the loop", async () => {
    const { net, masks } = setup();
    const spec = sgd(0.05, { momentum: 0.9 });
    const optimizer = new Optimizer(spec);
    await trainMasked({ net, masks, data, train: validateTrainSpec({ epochs: 1, batchSize: 200, optimizer: spec, seed: 1 }), optimizer });
    expect(optimizer.slots("fc1.kernel")[0].isDisposed).toBe(false);
    optimizer.dispose();
    net.dispose();
  });

  it("rejects masks that do not fit the net", async () => {
    const { net } = setup();
    const wrong = MaskSet.dense([{ name: "fc1.kernel", shape: [16, 24] }]);
    const train = validateTrainSpec({ epochs: 1, batchSize: 20, optimizer: sgd(0.1), seed: 1 });
    await expect(trainMasked({ net, masks: wrong, data, train })).rejects.toThrow(/expected a mask for tensor "fc2\.kernel" of shape \[24,24\], received none \(masks: "fc1\.kernel"\)$/);
    net.dispose();
  });
});

describe("trainMasked: events and history", () => {
  it("emits start, one step per batch with the scheduled lr, an epoch record per epoch, then end", async () => {
    const { net, masks } = setup();
    const events: RunEvent[] = [];
    const train = validateTrainSpec({ epochs: 2, batchSize: 20, optimizer: sgd(0.1), schedule: cosineLr(), seed: 1 });
    const outcome = await trainMasked({ net, masks, data, train, onEvent: (e) => events.push(e) });
    net.dispose();

    expect(events[0]).toMatchObject({ type: "start", totalSteps: 40, epochs: 2, stepsPerEpoch: 20 });
    const steps = events.filter((e) => e.type === "step");
    expect(steps.map((e) => e.step)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    // Cosine over 40 steps: step k (1-based) uses the factor at k − 1.
    expect(steps[0].lr).toBeCloseTo(0.1, 10);
    expect(steps[20].lr).toBeCloseTo(0.05, 6);
    expect(steps[39].lr).toBeCloseTo(0.1 * 0.5 * (1 + Math.cos((Math.PI * 39) / 40)), 6);
    const epochs = events.filter((e) => e.type === "epoch");
    expect(epochs.map((e) => [e.epoch, e.step])).toEqual([[1, 20], [2, 40]]);
    expect(events[events.length - 1]).toMatchObject({ type: "end", step: 40, testAccuracy: outcome.test.accuracy });
    expect(events.filter((e) => e.type === "mask")).toHaveLength(0);

    expect(outcome.history).toHaveLength(2);
    const density = masks.report().overall.density;
    for (const record of outcome.history) {
      expect(record.density).toBe(density);
      expect(record.valAccuracy).toBeGreaterThanOrEqual(0);
      expect(record.trainLoss).toBeGreaterThan(0);
    }
    expect(outcome.history[1].trainLoss).toBeLessThan(outcome.history[0].trainLoss);
  });

  it("with dropLast, the last incomplete batch of each epoch is skipped", async () => {
    const { net, masks } = setup();
    const train = validateTrainSpec({ epochs: 2, batchSize: 150, optimizer: sgd(0.1), seed: 1, dropLast: true });
    const outcome = await trainMasked({ net, masks, data, train });
    net.dispose();
    expect(outcome.steps).toBe(4); // ⌊400 / 150⌋ = 2 per epoch
  });
});
