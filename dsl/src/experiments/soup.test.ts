import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Rng, synthetic } from "@sparselab/datasets";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { experiment } from "../builder/impl.js";
import { useBackend } from "../backend/index.js";
import { global as globalDist, uniform } from "../distributions/index.js";
import { loadCheckpoint } from "../io/checkpoint.js";
import { Mask, MaskSet } from "../masks/index.js";
import { mlp, prunableTensors } from "../nets/index.js";
import { evaluate } from "../train/evaluate.js";
import { sgd } from "../train/optimizers.js";
import { trainMasked } from "../train/loop.js";
import { phaseBudget } from "./levels.js";
import type { SoupResult } from "./result.js";
import { averageWeights, greedySoup, ingredientTrain } from "./soup.js";
import { phaseRate, soupSpec } from "./spec.js";

const data = synthetic({ train: 360, validation: 60, test: 120, features: 16, numClasses: 4, noise: 1.2, seed: 2 });
const t = { data, epochs: 1, batchSize: 30, optimizer: sgd(0.05, { momentum: 0.9 }) };
const SIZES = [16, 32, 4];
const root = mkdtempSync(join(tmpdir(), "sparselab-soup-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeAll(async () => {
  await useBackend();
});

describe("phases", () => {
  it("each phase removes q = 1 − (1 − goal)^(1/phases) of what remains; the last lands exactly on the goal's counts", () => {
    expect(phaseRate(0.9, 3)).toBeCloseTo(1 - 0.1 ** (1 / 3), 15);
    expect(phaseRate(0.9, 1)).toBeCloseTo(0.9, 15);
    const lenet = prunableTensors({ kind: "mlp", sizes: [784, 300, 100, 10], seed: 0 });
    const goal = globalDist(0.9).allocate(lenet);
    const kept = [1, 2, 3].map((p) => phaseBudget(goal, p, 3)).map((b) => (b.kind === "global" ? b.kept : NaN));
    expect(kept).toEqual([Math.round(266200 * 0.1 ** (1 / 3)), Math.round(266200 * 0.1 ** (2 / 3)), 26620]);
    // Per layer: each layer follows its own geometric path to its goal count.
    const perLayer = uniform(0.9).allocate(lenet);
    const last = phaseBudget(perLayer, 3, 3);
    expect(last.kind === "layerwise" && [...last.kept.values()]).toEqual([23520, 3000, 100]);
    const first = phaseBudget(perLayer, 1, 3);
    expect(first.kind === "layerwise" && [...first.kept.values()]).toEqual([235200, 30000, 1000].map((n) => Math.round(n * 0.1 ** (1 / 3))));
  });
});

describe("merging", () => {
  it("the uniform soup is the mean of the ingredients, and a shared mask stays exactly the mask", async () => {
    const base = mlp(SIZES, { seed: 1 });
    const rng = new Rng(4);
    const masks = MaskSet.from(base.prunable.map((p) => [p.name, Mask.random(p.shape, 100, rng)] as const));
    const nets = [1, 2, 3].map(() => base.clone());
    for (const [i, net] of nets.entries()) await trainMasked({ net, masks, data, train: { epochs: 1, batchSize: 30, seed: 10 + i, optimizer: sgd(0.1) } });
    const mean = averageWeights(nets);
    const snaps = nets.map((n) => n.snapshot());
    for (const [name, w] of mean) {
      for (let i = 0; i < w.length; i += 7) expect(w[i]).toBeCloseTo((snaps[0].get(name)![i] + snaps[1].get(name)![i] + snaps[2].get(name)![i]) / 3, 6);
    }
    for (const [name, mask] of masks.entries) {
      const w = mean.get(name)!;
      mask.bits.forEach((b, i) => b === 0 && expect(w[i]).toBe(0));
    }
    [base, ...nets].forEach((n) => n.dispose());
  });

  it("the greedy soup never adds an ingredient that lowers validation accuracy", async () => {
    const base = mlp(SIZES, { seed: 3 });
    await trainMasked({ net: base, masks: MaskSet.dense(base.prunable), data, train: { epochs: 2, batchSize: 30, seed: 1, optimizer: sgd(0.1, { momentum: 0.9 }) } });
    const masks = MaskSet.dense(base.prunable);
    // Three good ingredients and two spoilers (an untrained net and one trained with a rate far too high).
    const ingredients = [];
    for (const [i, lr] of [0.05, 0.05, 0.05, 5].entries()) {
      const net = base.clone();
      await trainMasked({ net, masks, data, train: { epochs: 1, batchSize: 30, seed: 20 + i, optimizer: sgd(lr) } });
      ingredients.push(net);
    }
    ingredients.push(mlp(SIZES, { seed: 99 }));
    const { net, members, steps } = greedySoup(ingredients, masks, data.validation);
    const accuracy = ingredients.map((n) => evaluate(n, data.validation).accuracy);
    expect(steps[0].index).toBe(accuracy.indexOf(Math.max(...accuracy)));
    let best = steps[0].valAccuracy;
    for (const step of steps.slice(1)) {
      // Accepted exactly when the soup's validation accuracy does not drop; the soup's accuracy never decreases.
      expect(step.accepted).toBe(step.valAccuracy >= best);
      if (step.accepted) best = step.valAccuracy;
    }
    expect(members).toEqual(steps.filter((s) => s.accepted).map((s) => s.index));
    expect(evaluate(net, data.validation).accuracy).toBe(best);
    expect(best).toBeGreaterThanOrEqual(Math.max(...accuracy));
    expect(members).not.toContain(4); // the untrained net spoils any soup
    [base, net, ...ingredients].forEach((n) => n.dispose());
  });

  it("ingredients differ in exactly one knob", () => {
    const train = { epochs: 2, batchSize: 30, seed: 4, optimizer: sgd(0.1, { momentum: 0.9 }) };
    const seeds = soupSpec({ ingredients: 3, phases: 2 }, 2);
    const a = [0, 1, 2].map((i) => ingredientTrain(train, seeds, 1, i));
    expect(new Set(a.map((x) => x.seed)).size).toBe(3);
    expect(a.map(({ seed: _, ...rest }) => rest)).toEqual([train, train, train].map(({ seed: _, ...rest }) => rest));
    expect(ingredientTrain(train, seeds, 2, 0).seed).not.toBe(a[0].seed); // a new batch order each phase
    const lrs = soupSpec({ ingredients: 2, phases: 1, vary: "lr", values: [0.1, 0.02] }, 2);
    const b = [0, 1].map((i) => ingredientTrain(train, lrs, 1, i));
    expect(b.map((x) => x.optimizer.lr)).toEqual([0.1, 0.02]);
    expect(b[0].seed).toBe(b[1].seed);
    const decay = soupSpec({ ingredients: 2, phases: 1, vary: "weightDecay", values: [0, 5e-4] }, 2);
    expect([0, 1].map((i) => ingredientTrain(train, decay, 1, i).optimizer.weightDecay)).toEqual([0, 5e-4]);
    const length = soupSpec({ ingredients: 2, phases: 1, vary: "epochs", values: [1, 3] }, 2);
    expect([0, 1].map((i) => ingredientTrain(train, length, 1, i).epochs)).toEqual([1, 3]);
  });
});

describe("a soup experiment", () => {
  const net = mlp(SIZES, { seed: 5 });
  const p = net.sparsify().magnitude(0.9).soup({ ingredients: 3, phases: 2, merge: "greedy" }).train(t);
  const dir = join(root, "soup");
  let first: SoupResult;

  it("per phase: every ingredient, both soups, the best ingredient and IMP, all at exactly the phase's mask", async () => {
    first = await p.run({ dir });
    expect(p.toJSON().soup).toEqual({ ingredients: 3, phases: 2, vary: "seed", merge: "greedy", pretrain: 1, baseline: true });
    const phases = first.phases();
    const total = 16 * 32 + 32 * 4;
    expect(phases.map((ph) => ph.kept)).toEqual([Math.round(total * Math.sqrt(0.1)), Math.round(total * 0.1)]);
    expect(phases.map((ph) => ph.targetSparsity)).toEqual([1 - Math.sqrt(0.1), 0.9].map((v) => expect.closeTo(v, 12)));
    for (const ph of phases) {
      expect(ph.ingredients).toHaveLength(3);
      for (const model of [...ph.ingredients, ph.uniformSoup, ph.greedySoup, ph.soup, ph.bestIngredient, ph.imp!]) expect(model.density).toBe(ph.kept / total);
      expect(ph.soup).toEqual({ merge: "greedy", ...ph.greedySoup });
      expect(ph.bestIngredient.valAccuracy).toBe(Math.max(...ph.ingredients.map((i) => i.valAccuracy)));
      expect(ph.greedySoup.valAccuracy).toBeGreaterThanOrEqual(ph.bestIngredient.valAccuracy);
    }
    // IMP's first phase is ingredient 0 (same start, mask and training); later phases are its own chain.
    expect(phases[0].imp!.testAccuracy).toBe(phases[0].ingredients[0].testAccuracy);
    expect(first.runs[0].units).toEqual({ loaded: 0, computed: 1 + 3 + 3 + 1, recomputed: 0 });
    expect(first.greedySteps()).toHaveLength(2);
  });

  it("all ingredients of a phase share its mask exactly, and the soup the next phase starts from keeps it", async () => {
    const runDir = first.runs[0].dir;
    for (const phase of [1, 2]) {
      const ingredients = await Promise.all([0, 1, 2].map((i) => loadCheckpoint(join(runDir, `phase-${phase}.ingredient-${i}.slckpt`))));
      for (const c of ingredients.slice(1)) expect(c.masks.equals(ingredients[0].masks)).toBe(true);
      for (const c of ingredients) {
        for (const [name, mask] of c.masks.entries) {
          const w = c.net.params.get(name)!.dataSync();
          mask.bits.forEach((b, i) => b === 0 && expect(Math.abs(w[i])).toBe(0)); // 0 or −0
        }
      }
      // The greedy soup of phase 1 is where phase 2 starts: phase 2's mask lies inside phase 1's.
      if (phase === 2) {
        const previous = await loadCheckpoint(join(runDir, "phase-1.ingredient-0.slckpt"));
        expect(ingredients[0].masks.minus(previous.masks).report().overall.kept).toBe(0);
        previous.net.dispose();
      }
      ingredients.forEach((c) => c.net.dispose());
    }
  });

  it("a rerun resumes from the run directory with the same results", async () => {
    rmSync(join(first.runs[0].dir, "phase-2.ingredient-1.slckpt"));
    const again = await p.run({ dir });
    expect(again.runs[0].units).toEqual({ loaded: 7, computed: 1, recomputed: 0 });
    expect(again.rows.map(({ seconds: _, ...r }) => r)).toEqual(first.rows.map(({ seconds: _, ...r }) => r));
    expect(again.toJSON().runs[0].phases).toEqual(first.toJSON().runs[0].phases);
  });

  it("a pretrained net starts every seed as it is with pretrain: 0 (its weights are part of the run's identity)", async () => {
    const trained = mlp(SIZES, { seed: 5 });
    await trainMasked({ net: trained, masks: MaskSet.dense(trained.prunable), data, train: { epochs: 1, batchSize: 30, seed: 1, optimizer: sgd(0.1) } });
    const result = await trained.sparsify().magnitude(0.5, { scope: "layer" }).soup({ ingredients: 2, phases: 1, merge: "uniform", pretrain: 0, baseline: false })
      .train(t).run({ dir, seeds: [1, 2] });
    const pre = evaluate(trained, data.test).accuracy;
    expect(result.seeds.map((s) => result.pretrained(s).testAccuracy)).toEqual([pre, pre]);
    expect(result.phases()[0].imp).toBeUndefined();
    expect(result.phases()[0].soup.merge).toBe("uniform");
    expect(result.rows.filter((r) => r.kind === "ingredient").map((r) => r.density)).toEqual([0.5, 0.5, 0.5, 0.5]);
    trained.dispose();
  });
});

describe("soup input errors", () => {
  const net = mlp(SIZES, { seed: 1 });
  it("name the option and the value", () => {
    const goal = net.sparsify().magnitude(0.9);
    expect(() => goal.soup({ ingredients: 0, phases: 2 })).toThrow(/^soup\(ingredients\): expected a positive integer, received 0$/);
    expect(() => goal.soup({ ingredients: 2, phases: 0 })).toThrow(/^soup\(phases\): expected a positive integer, received 0$/);
    expect(() => goal.soup({ ingredients: 2, phases: 1, merge: "mean" as never })).toThrow(/^soup\(merge\): expected one of "uniform" \| "greedy", received "mean"$/);
    expect(() => goal.soup({ ingredients: 2, phases: 1, vary: "lr" })).toThrow(/^soup\(values\): expected 2 lr values \(one per ingredient\), received undefined$/);
    expect(() => goal.soup({ ingredients: 2, phases: 1, vary: "seed", values: [1, 2] })).toThrow(/^soup\(values\): expected no values with vary "seed"/);
    expect(() => goal.soup({ ingredients: 2, phases: 1, vary: "momentum" as never })).toThrow(/^soup\(vary\): expected one of "seed" \| "weightDecay" \| "lr" \| "epochs", received "momentum"$/);
    expect(() => net.sparsify().magnitude(1.2)).toThrow(/^global\(sparsity\): expected a number in \[0, 1\), received 1\.2$/);
    expect(() => (net.sparsify() as unknown as { soup: (o: object) => unknown }).soup({ ingredients: 2, phases: 1 })).toThrow(/^soup\(options\): a soup needs a goal sparsity first/);
  });

  it("recipes: a soup needs a goal sparsity and magnitude pruning", () => {
    const recipe = JSON.parse(JSON.stringify(net.sparsify().magnitude(0.9).soup({ ingredients: 2, phases: 2 }).train(t).toJSON()));
    expect(experiment(recipe).toJSON()).toEqual(recipe);
    const { sparsity: _s, criterion: _c, ...noGoal } = recipe;
    expect(() => experiment(noGoal)).toThrow(/^experiment\(recipe\.soup\): expected a recipe\.sparsity: the goal the phases prune to/);
    expect(() => experiment({ ...recipe, criterion: { name: "snip", seed: 1 } })).toThrow(/^experiment\(recipe\.criterion\.name\): expected "magnitude" with a soup .*, received "snip"$/);
  });
});
