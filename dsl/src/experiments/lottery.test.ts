import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Rng, synthetic } from "@sparselab/datasets";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { experiment } from "../builder/impl.js";
import { useBackend } from "../backend/index.js";
import { loadCheckpoint } from "../io/checkpoint.js";
import { MaskSet } from "../masks/index.js";
import { mlp, prunableTensors } from "../nets/index.js";
import { constantLr, cosineLr } from "../schedules/lr.js";
import { trainMasked } from "../train/loop.js";
import { sgd } from "../train/optimizers.js";
import type { ExperimentEvent } from "./events.js";
import { lotteryBudget, pruneSurviving } from "./levels.js";
import type { LotteryResult } from "./result.js";
import { lotterySpec } from "./spec.js";
import { trainSegment } from "./segment.js";

// 300 train examples, batch 30 → 10 steps per epoch; noisy enough that accuracy is not trivially 1.
const data = synthetic({ train: 360, validation: 60, test: 120, features: 16, numClasses: 4, noise: 1.2, seed: 1 });
const t = { data, epochs: 2, batchSize: 30, optimizer: sgd(0.1, { momentum: 0.9 }) };
const root = mkdtempSync(join(tmpdir(), "sparselab-lottery-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeAll(async () => {
  await useBackend();
});

const SIZES = [16, 24, 12, 4];
const TENSORS = prunableTensors({ kind: "mlp", sizes: SIZES, seed: 0 });

describe("remaining fractions are exact", () => {
  it("global rate 0.2: kept = round(N·0.8^L) at every level, i.e. 0.8, 0.64, 0.512 … of N", () => {
    const spec = lotterySpec({ rounds: 12, rate: 0.2 });
    const lenet = prunableTensors({ kind: "mlp", sizes: [784, 300, 100, 10], seed: 0 });
    const total = 266200;
    for (let level = 0; level <= 12; level++) {
      const budget = lotteryBudget(lenet, spec, level);
      expect(budget.kind).toBe("global");
      expect(budget.kind === "global" && budget.kept).toBe(Math.round(total * 0.8 ** level));
    }
    // With N = 1000 the fractions are exactly the powers themselves.
    const thousand = [{ name: "w", shape: [10, 100], kind: "dense" as const }];
    expect([1, 2, 3, 4].map((l) => {
      const b = lotteryBudget(thousand, spec, l);
      return b.kind === "global" ? b.kept / 1000 : NaN;
    })).toEqual([0.8, 0.64, 0.512, 0.41]); // 409.6 rounds to 410
  });

  it("per-layer rates (the paper's 20% hidden / 10% output): each layer keeps round(N_i·(1 − r_i)^L)", () => {
    const spec = lotterySpec({ rounds: 5, rate: 0.2, layerRates: { "fc3.kernel": 0.1 } });
    expect(spec.scope).toBe("layer");
    const lenet = prunableTensors({ kind: "mlp", sizes: [784, 300, 100, 10], seed: 0 });
    for (let level = 0; level <= 5; level++) {
      const budget = lotteryBudget(lenet, spec, level);
      if (budget.kind !== "layerwise") throw new Error("per-layer budget expected");
      expect([...budget.kept.values()]).toEqual([Math.round(235200 * 0.8 ** level), Math.round(30000 * 0.8 ** level), Math.round(1000 * 0.9 ** level)]);
    }
    expect(() => lotteryBudget(lenet, lotterySpec({ rounds: 1, rate: 0.2, layerRates: { "fc9.kernel": 0.1 } }), 1))
      .toThrow(/^lottery\(layerRates\["fc9\.kernel"\]\): expected a prunable tensor \(fc1\.kernel, fc2\.kernel, fc3\.kernel\), received 0\.1$/);
  });

  it("each level prunes the smallest surviving weights: masks are nested, counts exact", () => {
    const net = mlp(SIZES, { seed: 3 });
    const spec = lotterySpec({ rounds: 4, rate: 0.3 });
    let masks = MaskSet.dense(net.prunable);
    for (let level = 1; level <= 4; level++) {
      const next = pruneSurviving(net, masks, lotteryBudget(net.prunable, spec, level), new Rng(level));
      expect(next.report().overall.kept).toBe(Math.round(next.report().overall.total * 0.7 ** level));
      expect(next.minus(masks).report().overall.kept).toBe(0); // nothing pruned comes back
      // Every kept |w| ≥ every newly pruned |w| (global ranking).
      const w = net.snapshot();
      let minKept = Infinity, maxPruned = -Infinity;
      for (const [name, m] of next.entries) {
        const was = masks.get(name);
        w.get(name)!.forEach((v, i) => {
          if (m.bits[i]) minKept = Math.min(minKept, Math.abs(v));
          else if (was.bits[i]) maxPruned = Math.max(maxPruned, Math.abs(v));
        });
      }
      expect(minKept).toBeGreaterThanOrEqual(maxPruned);
      masks = next;
    }
    net.dispose();
  });
});

describe("rewinding", () => {
  it("the loop hook: training from step k with the step-k weights continues the full run bit for bit (schedule and batch order fast-forwarded)", async () => {
    const train = { epochs: 2, batchSize: 30, seed: 5, optimizer: sgd(0.1), schedule: cosineLr() };
    const full = mlp(SIZES, { seed: 1 });
    const masks = MaskSet.dense(full.prunable);
    const k = 13; // mid-epoch 2
    const out = await trainSegment({ net: full, masks, data, train, snapshotAt: k });
    const resumed = mlp(SIZES, { seed: 1 });
    resumed.load(out.snapshot!);
    const lrs: number[] = [];
    const outcome = await trainMasked({ net: resumed, masks, data, train, startStep: k, onEvent: (e) => e.type === "step" && lrs.push(e.lr) });
    expect(outcome.steps).toBe(20);
    expect(lrs).toHaveLength(7);
    expect(lrs[0]).toBeCloseTo(0.1 * 0.5 * (1 + Math.cos(Math.PI * 13 / 20)), 12);
    for (const [name, w] of resumed.snapshot()) expect(w).toEqual(full.snapshot().get(name));
    await expect(trainMasked({ net: resumed, masks, data, train, startStep: 21 })).rejects.toThrow(/^trainMasked\(startStep\): expected an integer in \[0, 20\] \(the run's steps\), received 21$/);
    full.dispose();
    resumed.dispose();
  });

  it("the rewind weights are exactly the step-k weights of level 0 (k = one epoch: the same as a 1-epoch run)", async () => {
    const train = { epochs: 3, batchSize: 30, seed: 2, optimizer: sgd(0.05, { momentum: 0.9 }), schedule: constantLr() };
    const net = mlp(SIZES, { seed: 4 });
    const dir = join(root, "rewind-k");
    const p = experiment({ ...net.sparsify().lottery({ rounds: 1, rate: 0.5, rewind: 10 }).train({ ...t, ...train, data }).toJSON() });
    const result = await p.run({ dir }) as LotteryResult;
    const rewound = await loadCheckpoint(join(result.runs[0].dir, "rewind.slckpt"));
    const oneEpoch = mlp(SIZES, { seed: 4 });
    await trainMasked({ net: oneEpoch, masks: MaskSet.dense(oneEpoch.prunable), data, train: { ...train, epochs: 1 } });
    for (const [name, w] of rewound.net.snapshot()) expect(w).toEqual(oneEpoch.snapshot().get(name));
    expect(result.levels()[1].steps).toBe(20); // level 1 trains steps 11…30
    for (const n of [net, rewound.net, oneEpoch]) n.dispose();
  });

  it("a level's ticket starts from the rewind weights at its surviving positions, 0 elsewhere (rewind = the last step: nothing trains after it)", async () => {
    const net = mlp(SIZES, { seed: 6 });
    const dir = join(root, "rewind-end");
    const result = await net.sparsify().lottery({ rounds: 3, rate: 0.4, rewind: 20 }).train(t).run({ dir });
    const rewind = await loadCheckpoint(join(result.runs[0].dir, "rewind.slckpt"));
    const level0 = await loadCheckpoint(join(result.runs[0].dir, "level-0.slckpt"));
    // Rewinding to the last step of level 0: the rewind weights are level 0's trained weights.
    for (const [name, w] of rewind.net.snapshot()) expect(w).toEqual(level0.net.snapshot().get(name));
    for (let level = 1; level <= 3; level++) {
      const ticket = await loadCheckpoint(join(result.runs[0].dir, `level-${level}.slckpt`));
      expect(ticket.meta.metrics).toMatchObject({ steps: 0 });
      const weights = ticket.net.snapshot();
      for (const [name, w] of rewind.net.snapshot()) {
        const mask = ticket.masks.has(name) ? ticket.masks.get(name) : undefined;
        // + 0 folds −0 into 0: tfjs's w·0 keeps the sign, the kernels engine writes 0.
        const expected = Array.from(mask ? w.map((v, i) => v * mask.bits[i]) : w, (v) => v + 0);
        expect(Array.from(weights.get(name)!, (v) => v + 0)).toEqual(expected);
      }
      expect(ticket.masks.report().overall.kept).toBe(Math.round(ticket.masks.report().overall.total * 0.6 ** level));
      ticket.net.dispose();
    }
    for (const n of [net, rewind.net, level0.net]) n.dispose();
  });
});

describe("a lottery experiment", () => {
  const net = mlp(SIZES, { seed: 2 });
  const p = net.sparsify().lottery({ rounds: 3, rate: 0.5, controls: ["reinit", "random-mask"], evalEvery: 5 }).train(t);
  let first: LotteryResult;
  const dir = join(root, "experiment");

  it("reports per level: remaining, test accuracy, early-stop iteration, with the controls", async () => {
    const events: ExperimentEvent[] = [];
    first = await p.run({ dir, onEvent: (e) => events.push(e) });
    const levels = first.levels();
    expect(levels.map((l) => l.level)).toEqual([0, 1, 2, 3]);
    const total = TENSORS.reduce((n, x) => n + x.shape[0] * x.shape[1], 0);
    expect(levels.map((l) => l.kept)).toEqual([0, 1, 2, 3].map((l) => Math.round(total * 0.5 ** l)));
    expect(levels.map((l) => l.remaining)).toEqual(levels.map((l) => l.kept / total));
    for (const l of levels) {
      expect(l.earlyStopIteration % 5 === 0 || l.earlyStopIteration === 20).toBe(true);
      expect(l.earlyStopIteration).toBeGreaterThan(0);
      expect(l.earlyStopIteration).toBeLessThanOrEqual(20);
      expect(l.testAccuracy).toBeGreaterThan(0.25);
    }
    expect(Object.keys(levels[0].controls)).toEqual([]);
    for (const l of levels.slice(1)) {
      expect(Object.keys(l.controls)).toEqual(["reinit", "random-mask"]);
      expect(l.controls.reinit!.remaining).toBe(l.remaining);
      expect(l.controls["random-mask"]!.remaining).toBe(l.remaining);
    }
    expect(first.rows).toHaveLength(1 + 3 * 3);
    expect(first.runs[0].units).toEqual({ loaded: 0, computed: 11, recomputed: 0 });
    expect(events.filter((e) => e.type === "unit").map((e) => e.type === "unit" && e.unit)).toEqual([
      "rewind", "level-0", "level-1", "level-1.reinit", "level-1.random-mask", "level-2", "level-2.reinit", "level-2.random-mask",
      "level-3", "level-3.reinit", "level-3.random-mask"]);
    expect(readdirSync(first.runs[0].dir).sort()).toContain("results.json");
    expect(JSON.parse(readFileSync(join(first.runs[0].dir, "recipe.json"), "utf8")).lottery).toEqual(p.toJSON().lottery);
  });

  it("controls: reinit keeps the ticket's mask; random-mask keeps its per-layer counts at other positions", async () => {
    const runDir = first.runs[0].dir;
    for (const level of [1, 2, 3]) {
      const [ticket, reinit, shuffled] = await Promise.all(["", ".reinit", ".random-mask"].map((s) => loadCheckpoint(join(runDir, `level-${level}${s}.slckpt`))));
      expect(reinit.masks.equals(ticket.masks)).toBe(true);
      expect(shuffled.masks.equals(ticket.masks)).toBe(false);
      expect(shuffled.masks.report().layers.map((l) => l.kept)).toEqual(ticket.masks.report().layers.map((l) => l.kept));
      [ticket, reinit, shuffled].forEach((c) => c.net.dispose());
    }
  });

  it("a rerun loads every unit and reports the same results", async () => {
    const again = await p.run({ dir });
    expect(again.runs[0].units).toEqual({ loaded: 11, computed: 0, recomputed: 0 });
    expect(again.rows).toEqual(first.rows);
  });

  it("a missing unit is recomputed to the same result; a corrupted one is detected (checksum), set aside and recomputed, never loaded", async () => {
    const runDir = first.runs[0].dir;
    rmSync(join(runDir, "level-3.slckpt"));
    const file = join(runDir, "level-2.slckpt");
    const bytes = readFileSync(file);
    bytes[bytes.length >> 1] ^= 0xff;
    writeFileSync(file, bytes);
    const events: ExperimentEvent[] = [];
    const again = await p.run({ dir, onEvent: (e) => events.push(e) });
    const units = events.flatMap((e) => (e.type === "unit" ? [[e.unit, e.status, e.reason ?? ""]] : []));
    expect(units.find(([u]) => u === "level-2")).toEqual(["level-2", "recomputed", expect.stringMatching(/checksum mismatch/)]);
    expect(units.find(([u]) => u === "level-3")).toEqual(["level-3", "computed", ""]);
    expect(units.filter(([, s]) => s === "loaded").map(([u]) => u)).not.toContain("level-2");
    expect(again.runs[0].units).toEqual({ loaded: 9, computed: 1, recomputed: 1 });
    expect(readdirSync(runDir)).toContain("level-2.slckpt.corrupt");
    expect(again.rows.map(({ seconds: _, ...r }) => r)).toEqual(first.rows.map(({ seconds: _, ...r }) => r));
  });

  it("many seeds in one call: one run directory each, rows tagged by seed, a danfo DataFrame", async () => {
    const result = await net.sparsify().lottery({ rounds: 1, rate: 0.5 }).train({ ...t, epochs: 1 }).run({ dir, seeds: [7, 8] });
    expect(result.seeds).toEqual([7, 8]);
    expect(new Set(result.runs.map((r) => r.key)).size).toBe(2);
    expect(result.rows.map((r) => [r.seed, r.level])).toEqual([[7, 0], [7, 1], [8, 0], [8, 1]]);
    expect(result.levels(8)).toHaveLength(2);
    expect(result.frame.shape).toEqual([4, Object.keys(result.rows[0]).length]);
    expect(result.frame.columns).toContain("earlyStopIteration");
    expect(() => result.levels(9)).toThrow(/^levels\(seed\): expected one of 7, 8, received 9$/);
  });
});

describe("lottery input errors", () => {
  const net = mlp(SIZES, { seed: 1 });
  it("name the option and the value", () => {
    expect(() => net.sparsify().lottery({ rounds: 3, rate: 1.5 })).toThrow(/^lottery\(rate\): expected a number in \(0, 1\), received 1\.5$/);
    expect(() => net.sparsify().lottery({ rounds: 3, rate: 0 })).toThrow(/^lottery\(rate\): expected a number in \(0, 1\), received 0$/);
    expect(() => net.sparsify().lottery({ rounds: 0, rate: 0.2 })).toThrow(/^lottery\(rounds\): expected a positive integer, received 0$/);
    expect(() => net.sparsify().lottery({ rounds: 2, rate: 0.2, controls: ["shuffle" as never] })).toThrow(/^lottery\(controls\[0\]\): expected one of "reinit" \| "random-mask", received "shuffle"$/);
    expect(() => net.sparsify().lottery({ rounds: 2, rate: 0.2, rewind: -1 })).toThrow(/^lottery\(rewind\.step\): expected a non-negative integer, received -1$/);
    expect(() => net.sparsify().lottery({ rounds: 2, rate: 0.2, scope: "global", layerRates: { "fc1.kernel": 0.1 } })).toThrow(/^lottery\(layerRates\): expected scope "layer" to go with per-layer rates/);
    expect(() => net.sparsify().lottery({ rounds: 2, rate: 0.2, evry: 3 } as never)).toThrow(/^lottery\(options\.evry\): expected no such option/);
    expect(() => (net.sparsify().erk(0.5) as unknown as { lottery: (o: object) => unknown }).lottery({ rounds: 2, rate: 0.2 })).toThrow(/^lottery\(options\): a lottery plan starts from the dense net/);
  });

  it("a rewind step beyond the run is an error before anything trains", async () => {
    await expect(net.sparsify().lottery({ rounds: 1, rate: 0.2, rewind: 21 }).train(t).run({ dir: join(root, "bad") }))
      .rejects.toThrow(/^lottery\(rewind\.step\): expected at most the run's 20 steps, received 21$/);
  });

  it("recipes: lottery with a distribution is rejected; sl.plan points lottery recipes to sl.experiment", () => {
    const recipe = JSON.parse(JSON.stringify(net.sparsify().lottery({ rounds: 2, rate: 0.2 }).train(t).toJSON()));
    expect(() => experiment({ ...recipe, sparsity: { name: "erk", sparsity: 0.5 } })).toThrow(/^experiment\(recipe\.lottery\): expected no sparsity, prune, regrow or nm alongside it/);
    expect(() => experiment({ ...recipe, lottery: { ...recipe.lottery, rate: 2 } })).toThrow(/^experiment\(rate\): expected a number in \(0, 1\), received 2$/);
    expect(experiment(recipe).toJSON()).toEqual(recipe);
  });
});
