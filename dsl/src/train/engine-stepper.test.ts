import { Rng, synthetic } from "@sparselab/datasets";
import { beforeAll, describe, expect, it } from "vitest";
import { regrow, regrowAlgorithm } from "../algorithms/regrow.js";
import { useBackend } from "../backend/index.js";
import { random } from "../criteria/random.js";
import { erk } from "../distributions/index.js";
import { MaskSet } from "../masks/index.js";
import { conv2, mlp } from "../nets/index.js";
import { trainMasked } from "./loop.js";
import { validateTrainSpec } from "./spec.js";
import type { OptimizerSpec } from "./optimizers.js";

beforeAll(async () => {
  await useBackend();
});

const data = synthetic({ train: 320, validation: 40, test: 60, features: 20, numClasses: 4, seed: 9 });

/** One RigL run on either stepper: same net, masks, batches and updates. */
async function runWith(engine: "tfjs" | "kernels", optimizer: OptimizerSpec) {
  const net = mlp([20, 24, 16, 4], { seed: 7 });
  const allocation = erk(0.7).allocate(net.prunable);
  const masks = random.prune({ net, rng: new Rng(3), budget: { kind: "layerwise", kept: new Map(allocation.layers.map((l) => [l.name, l.kept])) } });
  const names: string[] = [];
  const outcome = await trainMasked({
    net, masks, data, engine,
    train: validateTrainSpec({ epochs: 2, batchSize: 32, seed: 5, optimizer }),
    algorithm: regrowAlgorithm(regrow("rigl", { every: 4, drop: 0.3, until: 0.8 })),
    onEvent: (e) => e.type === "start" && names.push(e.engine!),
  });
  const weights = net.snapshot();
  net.dispose();
  return { outcome, weights, engine: names[0] };
}

describe("the kernels engine and tfjs train the same way", () => {
  for (const optimizer of [{ name: "sgd", lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-3 }, { name: "adamw", lr: 0.01, weightDecay: 0.01 }] as const) {
    it(`RigL with ${optimizer.name}: same masks, same weights (≤ 1e-4), same metrics`, async () => {
      const tfjs = await runWith("tfjs", optimizer);
      const kernels = await runWith("kernels", optimizer);
      expect(tfjs.engine).toMatch(/^tfjs-/);
      expect(kernels.engine).toMatch(/^kernels-/);
      expect(kernels.outcome.engine).toBe(kernels.engine);
      expect(kernels.outcome.masks.equals(tfjs.outcome.masks)).toBe(true);
      for (const [name, w] of tfjs.weights) {
        const k = kernels.weights.get(name)!;
        const scale = Math.max(...Array.from(w, Math.abs));
        expect(Math.max(...Array.from(w, (v, i) => Math.abs(v - k[i]))) / scale, name).toBeLessThan(1e-4);
      }
      expect(kernels.outcome.test.accuracy).toBeCloseTo(tfjs.outcome.test.accuracy, 2);
      expect(kernels.outcome.explorationRate).toBe(tfjs.outcome.explorationRate);
    });
  }

  it("a conv net cannot be forced onto the kernels engine", async () => {
    const net = conv2({ width: 0.05, seed: 1 });
    await expect(trainMasked({
      net, masks: MaskSet.dense(net.prunable), data: synthetic({ train: 8, test: 4, validation: 0 }), engine: "kernels",
      train: validateTrainSpec({ epochs: 1, batchSize: 4, seed: 1, optimizer: { name: "sgd", lr: 0.1 } }),
    })).rejects.toThrow(/^trainMasked\(engine\): expected an MLP with hard masks/);
    net.dispose();
  });
});
