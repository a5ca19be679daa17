import { Rng, synthetic, type Dataset } from "@sparselab/datasets";
import { beforeAll, describe, expect, it } from "vitest";
import { regrow, regrowAlgorithm } from "../algorithms/regrow.js";
import { useBackend } from "../backend/index.js";
import { random } from "../criteria/random.js";
import { erk } from "../distributions/index.js";
import { relDiff } from "../engine/testing.js";
import { MaskSet } from "../masks/index.js";
import { conv2, mlp, vit, type Net, type Weights } from "../nets/index.js";
import { trainMasked } from "./loop.js";
import { validateTrainSpec } from "./spec.js";
import type { OptimizerSpec } from "./optimizers.js";

beforeAll(async () => {
  await useBackend();
});

const data = synthetic({ train: 320, validation: 40, test: 60, features: 20, numClasses: 4, seed: 9 });
const images = synthetic({ train: 192, validation: 32, test: 48, features: 784, numClasses: 10, seed: 4 });

/** One RigL run on a stepper ("auto": the loop's choice): ERK masks at random positions, same batches and updates. */
async function runWith(engine: "tfjs" | "kernels" | "auto", optimizer: OptimizerSpec, net: Net = mlp([20, 24, 16, 4], { seed: 7 }),
  on: Dataset = data, sparsity = 0.7) {
  const allocation = erk(sparsity).allocate(net.prunable);
  const masks = random.prune({ net, rng: new Rng(3), budget: { kind: "layerwise", kept: new Map(allocation.layers.map((l) => [l.name, l.kept])) } });
  const names: string[] = [];
  const outcome = await trainMasked({
    net, masks, data: on, engine,
    train: validateTrainSpec({ epochs: 2, batchSize: 32, seed: 5, optimizer }),
    algorithm: regrowAlgorithm(regrow("rigl", { every: 4, drop: 0.3, until: 0.8 })),
    onEvent: (e) => e.type === "start" && names.push(e.engine!),
  });
  const weights = net.snapshot();
  net.dispose();
  return { outcome, weights, engine: names[0], initial: masks };
}

function expectSameWeights(reference: Weights, b: Weights, tolerance: number): void {
  for (const [name, w] of reference) expect(relDiff(b.get(name)!, w), name).toBeLessThan(tolerance);
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
      expectSameWeights(tfjs.weights, kernels.weights, 1e-4);
      expect(kernels.outcome.test.accuracy).toBeCloseTo(tfjs.outcome.test.accuracy, 2);
      expect(kernels.outcome.explorationRate).toBe(tfjs.outcome.explorationRate);
    });
  }

  it("conv2 (width 0.25) with RigL at sparsity 0.9: the loop picks the kernels engine; same masks and weights as tfjs, density exact", async () => {
    const optimizer = { name: "sgd", lr: 0.05, momentum: 0.9 } as const;
    const tfjs = await runWith("tfjs", optimizer, conv2({ width: 0.25, seed: 2 }), images, 0.9);
    const kernels = await runWith("auto", optimizer, conv2({ width: 0.25, seed: 2 }), images, 0.9);
    expect(kernels.engine).toMatch(/^kernels-/);
    expect(kernels.outcome.engine).toBe(kernels.engine);
    expect(kernels.outcome.dropped.get("conv2.kernel")).toBeGreaterThan(0); // the masks did move
    for (const [name, mask] of kernels.outcome.masks.entries) expect(mask.kept, name).toBe(kernels.initial.get(name).kept);
    for (const record of kernels.outcome.history) expect(record.density).toBe(kernels.initial.report().overall.density);
    expect(kernels.outcome.masks.equals(tfjs.outcome.masks)).toBe(true);
    expectSameWeights(tfjs.weights, kernels.weights, 1e-4);
  });

  it("a ViT cannot be forced onto the kernels engine", async () => {
    const net = vit({ dim: 8, heads: 2, mlp: 8, depth: 1, seed: 1 });
    await expect(trainMasked({
      net, masks: MaskSet.dense(net.prunable), data: synthetic({ train: 8, test: 4, validation: 0, features: 784 }), engine: "kernels",
      train: validateTrainSpec({ epochs: 1, batchSize: 4, seed: 1, optimizer: { name: "sgd", lr: 0.1 } }),
    })).rejects.toThrow(/^trainMasked\(engine\): expected an MLP or ConvNet with hard masks/);
    net.dispose();
  });
});
