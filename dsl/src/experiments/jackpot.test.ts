import { synthetic } from "@sparselab/datasets";
import { beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../backend/index.js";
import { magnitudeScores, selectTopK } from "../criteria/index.js";
import { MaskSet } from "../masks/index.js";
import { mlp, type Net } from "../nets/index.js";
import { trainMasked } from "../train/loop.js";
import { sgd } from "../train/optimizers.js";
import { jackpot } from "./jackpot.js";

const data = synthetic({ train: 660, validation: 60, test: 200, features: 16, numClasses: 4, noise: 0.6, seed: 3 });
let trained: Net;

beforeAll(async () => {
  await useBackend();
  trained = mlp([16, 48, 4], { seed: 1 });
  await trainMasked({ net: trained, masks: MaskSet.dense(trained.prunable), data, train: { epochs: 4, batchSize: 30, seed: 1, optimizer: sgd(0.1, { momentum: 0.9 }) } });
});

describe("lottery jackpots", () => {
  it("search the mask only: the weights are never trained, counts stay exact, and the search starts from the magnitude mask", async () => {
    const before = trained.snapshot();
    const result = await jackpot(trained, { data, sparsity: 0.8, epochs: 3, batchSize: 30, seed: 2 });
    // The net searched is untouched; the result holds w ⊙ m for the searched mask.
    for (const [name, w] of trained.snapshot()) expect(w).toEqual(before.get(name));
    for (const [name, w] of result.net.snapshot()) {
      const mask = result.masks.has(name) ? result.masks.get(name) : undefined;
      expect(w).toEqual(mask ? before.get(name)!.map((v, i) => v * mask.bits[i]) : before.get(name));
    }
    const magnitude = selectTopK(trained.prunable, magnitudeScores(trained), { kind: "layerwise", kept: new Map(trained.prunable.map((p) => [p.name, Math.round(0.2 * p.shape[0] * p.shape[1])])) });
    expect(result.initial.equals(magnitude)).toBe(true);
    expect(result.masks.report().layers.map((l) => l.kept)).toEqual(result.initial.report().layers.map((l) => l.kept));
    // The search moved the mask and found a better subnetwork than magnitude pruning without retraining.
    expect(result.changed).toBeGreaterThan(0);
    // Every change is a swap: as many positions in as out, in each layer.
    expect(result.changed).toBeLessThanOrEqual(2 * result.swaps.reduce((a, b) => a + b, 0));
    for (const [name, m] of result.masks.entries) expect(m.minus(result.initial.get(name)).kept).toBe(result.initial.get(name).minus(m).kept);
    expect(result.after.valLoss).toBeLessThan(result.before.valLoss);
    result.net.dispose();
  });

  it("short restriction: each update applies at most ⌈restrict·(1 − t/T)⁴·candidates⌉ swaps (≥ 1), so late updates change little", async () => {
    const result = await jackpot(trained, { data, sparsity: 0.8, epochs: 2, batchSize: 30, lr: 1, restrict: 0.5, scope: "global", seed: 2 });
    const total = result.swaps.length;
    expect(total).toBe(2 * Math.ceil(data.train.size / 30));
    result.swaps.forEach((applied, t) => {
      const possible = result.candidates[t];
      expect(applied).toBeLessThanOrEqual(possible === 0 ? 0 : Math.max(1, Math.ceil(0.5 * (1 - t / total) ** 4 * possible)));
    });
    expect(result.masks.report().overall.kept).toBe(result.initial.report().overall.kept);
    result.net.dispose();
  });

  it("bad input names the option and the value", async () => {
    await expect(jackpot(trained, { data, sparsity: 1 })).rejects.toThrow(/^jackpot\(sparsity\): expected a number in \[0, 1\), received 1$/);
    await expect(jackpot(trained, { data, sparsity: 0.5, restrict: 0 })).rejects.toThrow(/^jackpot\(restrict\): expected a number in \(0, 1\], received 0$/);
    await expect(jackpot({} as Net, { data, sparsity: 0.5 })).rejects.toThrow(/^jackpot\(net\): expected a sparselab Net/);
    await expect(jackpot(trained, { data, sparsity: 0.5, epoch: 2 } as never)).rejects.toThrow(/^jackpot\(options\.epoch\): expected no such option/);
  });
});

