/**
 * Sparse model soups (Zimmer et al., "Sparse Model Soups: A Recipe for Improved Pruning via Model
 * Averaging", 2023). Starting from a dense trained net, each phase prunes once by magnitude
 * (removing q = 1 − (1 − goal)^(1/phases) of the remaining weights), retrains m ingredients that
 * share that mask and differ in one knob, and merges them: the uniform soup averages all of them,
 * the greedy soup adds ingredients in order of validation accuracy and keeps each only if the
 * soup's validation accuracy does not drop. Averaging models with one mask keeps that mask exactly
 * (every ingredient is 0 at every pruned position). The nets here have no normalisation layers,
 * so there are no statistics to recalibrate after merging. The next phase starts from the soup
 * named by `merge`; the IMP baseline prunes and retrains one model from its own previous phase.
 */
import { Rng, type Dataset } from "@sparselab/datasets";
import { argError } from "../errors.js";
import { distributions } from "../distributions/index.js";
import type { Recipe } from "../io/recipe.js";
import { MaskSet } from "../masks/index.js";
import { buildNet, prunableTensors, type Net, type Weights } from "../nets/index.js";
import { evaluate } from "../train/evaluate.js";
import { validateOptimizer } from "../train/optimizers.js";
import type { TrainSpec } from "../train/spec.js";
import type { ExperimentEvent } from "./events.js";
import { phaseBudget, pruneSurviving } from "./levels.js";
import { derivedSeed } from "./lottery.js";
import { trainSegment, type SegmentMetrics } from "./segment.js";
import type { SoupKnob, SoupSpec } from "./spec.js";
import type { RunStore, StoredUnit } from "./store.js";

export const SOUP_ROW_KINDS = ["pretrained", "ingredient", "uniform soup", "greedy soup", "imp"] as const;
export type SoupRowKind = (typeof SOUP_ROW_KINDS)[number];

/** One evaluated model of a soup experiment: a row of its results. */
export interface SoupRow {
  readonly seed: number;
  /** 0 for the pretrained dense net. */
  readonly phase: number;
  readonly kind: SoupRowKind;
  /** The ingredient's index (−1 for soups, IMP and the pretrained net). */
  readonly index: number;
  /** The knob the ingredients differ in and this ingredient's value of it (seed: its derived seed). */
  readonly vary: SoupKnob;
  readonly value: number | null;
  /** Soups: the ingredients averaged, e.g. "0+2+3". */
  readonly members: string;
  /** The phase's target sparsity, 1 − (1 − goal)^(phase/phases), and the realised density. */
  readonly targetSparsity: number;
  readonly density: number;
  readonly kept: number;
  readonly total: number;
  readonly testAccuracy: number;
  readonly testLoss: number;
  readonly valAccuracy: number;
  readonly valLoss: number;
  readonly steps: number;
  readonly seconds: number;
}

/** How one greedy-soup candidate fared: added only if validation accuracy did not drop. */
export interface GreedyStep {
  readonly index: number;
  readonly valAccuracy: number;
  readonly accepted: boolean;
}

interface Model {
  readonly net: Net;
  readonly masks: MaskSet;
  readonly metrics: Pick<SegmentMetrics, "testAccuracy" | "testLoss" | "valAccuracy" | "valLoss" | "steps" | "seconds">;
}

/** Averages nets of one family parameter by parameter (in float64, stored as float32). */
export function averageWeights(nets: readonly Net[]): Weights {
  if (nets.length === 0) throw argError("averageWeights", "nets", "at least one net", nets);
  const snapshots = nets.map((n) => n.snapshot());
  return new Map([...snapshots[0].keys()].map((name) => {
    const parts = snapshots.map((s) => s.get(name)!);
    const out = new Float32Array(parts[0].length);
    for (let i = 0; i < out.length; i++) {
      let sum = 0;
      for (const p of parts) sum += p[i];
      out[i] = sum / parts.length;
    }
    return [name, out];
  }));
}

function soupOf(members: readonly Net[], masks: MaskSet): Net {
  const net = buildNet(members[0].spec);
  const weights = averageWeights(members);
  // Every member is 0 at the shared mask's pruned positions, so the average is too; enforce it anyway.
  for (const [name, mask] of masks.entries) {
    const w = weights.get(name)!;
    for (let i = 0; i < w.length; i++) if (mask.bits[i] === 0) w[i] = 0;
  }
  net.load(weights);
  return net;
}

function evaluated(net: Net, masks: MaskSet, data: Dataset): Model {
  const val = evaluate(net, data.validation);
  const test = evaluate(net, data.test);
  return { net, masks, metrics: { testAccuracy: test.accuracy, testLoss: test.loss, valAccuracy: val.accuracy, valLoss: val.loss, steps: 0, seconds: 0 } };
}

/**
 * The greedy soup: ingredients in order of validation accuracy (best first, ties by index); each
 * is added only if the soup's validation accuracy does not drop. Returns the soup and the steps.
 */
export function greedySoup(ingredients: readonly Net[], masks: MaskSet, validation: Dataset["validation"]): { net: Net; members: number[]; steps: GreedyStep[] } {
  const accuracy = ingredients.map((n) => evaluate(n, validation).accuracy);
  const order = accuracy.map((a, i) => [a, i] as const).sort((x, y) => y[0] - x[0] || x[1] - y[1]).map(([, i]) => i);
  const members = [order[0]];
  let best = accuracy[order[0]];
  let soup = soupOf([ingredients[order[0]]], masks);
  const steps: GreedyStep[] = [{ index: order[0], valAccuracy: best, accepted: true }];
  for (const i of order.slice(1)) {
    const candidate = soupOf([...members, i].map((j) => ingredients[j]), masks);
    const candidateAccuracy = evaluate(candidate, validation).accuracy;
    const accepted = candidateAccuracy >= best;
    steps.push({ index: i, valAccuracy: candidateAccuracy, accepted });
    if (accepted) {
      members.push(i);
      best = candidateAccuracy;
      soup.dispose();
      soup = candidate;
    } else {
      candidate.dispose();
    }
  }
  return { net: soup, members, steps };
}

/** The training spec of ingredient `index` in `phase`: the recipe's, with the one knob changed. */
export function ingredientTrain(train: TrainSpec, spec: SoupSpec, phase: number, index: number): TrainSpec {
  const value = spec.values?.[index];
  switch (spec.vary) {
    case "seed":
      return { ...train, seed: derivedSeed(train.seed, `soup/phase ${phase}/ingredient ${index}`) };
    case "epochs":
      return { ...train, seed: derivedSeed(train.seed, `soup/phase ${phase}`), epochs: value! };
    case "lr":
      return { ...train, seed: derivedSeed(train.seed, `soup/phase ${phase}`), optimizer: validateOptimizer({ ...train.optimizer, lr: value }, "soup") };
    case "weightDecay":
      return { ...train, seed: derivedSeed(train.seed, `soup/phase ${phase}`), optimizer: validateOptimizer({ ...train.optimizer, weightDecay: value }, "soup") };
  }
}

function knobValue(spec: SoupSpec, train: TrainSpec): number {
  switch (spec.vary) {
    case "seed":
      return train.seed;
    case "epochs":
      return train.epochs;
    case "lr":
      return train.optimizer.lr;
    case "weightDecay":
      return train.optimizer.weightDecay ?? 0;
  }
}

/** Checks the soup's goal before anything trains: a distribution at the goal sparsity, magnitude pruning. */
export function checkSoup(recipe: Recipe): void {
  if (!recipe.sparsity) throw argError("soup", "recipe.sparsity", "a goal sparsity (e.g. .magnitude(0.9))", recipe.sparsity);
  if (recipe.criterion && recipe.criterion.name !== "magnitude") {
    throw argError("soup", "recipe.criterion.name", '"magnitude" (soups prune by magnitude each phase)', recipe.criterion.name);
  }
}

/** Runs (or resumes) the soup experiment of one seed's recipe in `store`. */
export async function runSoupSeed(recipe: Recipe, data: Dataset, store: RunStore,
  emit: (event: ExperimentEvent) => void, initial?: Weights): Promise<{ rows: SoupRow[]; greedy: GreedyStep[][] }> {
  const spec: SoupSpec = recipe.soup!;
  const seed = recipe.train.seed;
  const rows: SoupRow[] = [];
  const greedyTrace: GreedyStep[][] = [];
  const progress = (unit: string) => (event: Parameters<NonNullable<Parameters<typeof trainSegment>[0]["onEvent"]>>[0]) =>
    emit({ type: "train", seed, unit, event });
  const allocation = distributions.fromConfig(recipe.sparsity!).allocate(prunableTensors(recipe.net));
  const goal = recipe.sparsity!;
  const goalSparsity = "sparsity" in goal ? goal.sparsity : 1 - allocation.kept / allocation.total;
  const row = (phase: number, kind: SoupRowKind, model: Model, extra: { index?: number; value?: number | null; members?: string } = {}): SoupRow => {
    const { kept, total, density } = model.masks.report().overall;
    return {
      seed, phase, kind, index: extra.index ?? -1, vary: spec.vary, value: extra.value ?? null, members: extra.members ?? "",
      targetSparsity: 1 - (1 - goalSparsity) ** (phase / spec.phases), density, kept, total, ...model.metrics,
    };
  };
  const metricsOf = (meta: Readonly<Record<string, unknown>>) => meta.metrics as Model["metrics"];

  // The dense start: pretrained here, or the given net as it is.
  let start: Model;
  if (spec.pretrain > 0) {
    let stored: StoredUnit | undefined = await store.load("pretrain");
    if (!stored) {
      const net = buildNet(recipe.net);
      if (initial) net.load(initial);
      const masks = MaskSet.dense(net.prunable);
      const out = await trainSegment({ net, masks, data, train: { ...recipe.train, epochs: spec.pretrain }, onEvent: progress("pretrain") });
      await store.save("pretrain", net, masks, { metrics: out.metrics });
      stored = { net, masks, meta: { metrics: out.metrics } };
    }
    start = { net: stored.net, masks: stored.masks, metrics: metricsOf(stored.meta) };
  } else {
    const net = buildNet(recipe.net);
    if (initial) net.load(initial);
    start = evaluated(net, MaskSet.dense(net.prunable), data);
  }
  rows.push(row(0, "pretrained", start));

  let from = start;
  let impFrom: Model | undefined;
  for (let phase = 1; phase <= spec.phases; phase++) {
    const budget = phaseBudget(allocation, phase, spec.phases);
    const masks = pruneSurviving(from.net, from.masks, budget, Rng.derive(seed, `soup/prune/${phase}`));
    const startWeights = from.net.snapshot();
    const ingredients: Model[] = [];
    for (let i = 0; i < spec.ingredients; i++) {
      const train = ingredientTrain(recipe.train, spec, phase, i);
      const unit = `phase-${phase}.ingredient-${i}`;
      ingredients.push(await trainedUnit(store, unit, masks, async () => {
        const net = buildNet(recipe.net);
        net.load(startWeights);
        const out = await trainSegment({ net, masks, data, train, onEvent: progress(unit) });
        return { net, masks, metrics: out.metrics };
      }));
      rows.push(row(phase, "ingredient", ingredients[i], { index: i, value: knobValue(spec, train) }));
    }
    const nets = ingredients.map((m) => m.net);
    const uniform = evaluated(soupOf(nets, masks), masks, data);
    rows.push(row(phase, "uniform soup", uniform, { members: nets.map((_n, i) => i).join("+") }));
    const greedyRun = greedySoup(nets, masks, data.validation);
    const greedy = evaluated(greedyRun.net, masks, data);
    greedyTrace.push(greedyRun.steps);
    rows.push(row(phase, "greedy soup", greedy, { members: greedyRun.members.join("+") }));

    if (spec.baseline) {
      // Phase 1 prunes the same start with the same mask and trains ingredient 0's config: that is IMP's first phase.
      let imp: Model;
      if (phase === 1) {
        imp = { ...ingredients[0], net: ingredients[0].net.clone() };
      } else {
        const prev = impFrom!;
        const impMasks = pruneSurviving(prev.net, prev.masks, budget, Rng.derive(seed, `soup/imp-prune/${phase}`));
        const impWeights = prev.net.snapshot();
        const unit = `phase-${phase}.imp`;
        imp = await trainedUnit(store, unit, impMasks, async () => {
          const net = buildNet(recipe.net);
          net.load(impWeights);
          const out = await trainSegment({ net, masks: impMasks, data, train: ingredientTrain(recipe.train, spec, phase, 0), onEvent: progress(unit) });
          return { net, masks: impMasks, metrics: out.metrics };
        });
      }
      rows.push(row(phase, "imp", imp));
      impFrom?.net.dispose();
      impFrom = imp;
    }

    ingredients.forEach((m) => m.net.dispose());
    from.net.dispose();
    if (spec.merge === "uniform") {
      from = uniform;
      greedy.net.dispose();
    } else {
      from = greedy;
      uniform.net.dispose();
    }
  }
  from.net.dispose();
  impFrom?.net.dispose();
  return { rows, greedy: greedyTrace };
}

async function trainedUnit(store: RunStore, unit: string, masks: MaskSet, compute: () => Promise<Model>): Promise<Model> {
  let stored = await store.load(unit);
  if (stored && !stored.masks.equals(masks)) {
    stored.net.dispose();
    stored = await store.discard(unit, "its mask is not the one this phase derives");
  }
  if (stored) return { net: stored.net, masks: stored.masks, metrics: stored.meta.metrics as Model["metrics"] };
  const model = await compute();
  await store.save(unit, model.net, model.masks, { metrics: model.metrics });
  return model;
}
