/**
 * Iterative magnitude pruning with rewinding (lottery tickets), with open_lth's semantics:
 *
 * - level 0 trains the dense net from its initialisation and records the weights after `rewind.step`
 *   optimizer steps (step 0: the initialisation itself);
 * - level L ≥ 1 keeps round(N·(1 − rate)^L) weights — the largest |w| of level L − 1's trained
 *   net among those it still kept, globally or per layer — resets the survivors to the rewind
 *   weights (the nets have no normalisation statistics; biases are rewound too), builds a fresh
 *   optimizer, and trains from step k to the end with the learning-rate schedule and batch order
 *   of a full run (fast-forwarded to step k);
 * - the controls train the same stretch: "reinit" with the level's mask from a fresh random
 *   initialisation, "random-mask" from the rewind weights with the level's per-layer counts at
 *   random positions.
 *
 * Every trained model is a unit of the run directory, so an interrupted run resumes where it stopped.
 */
import { Rng, type Dataset } from "@sparselab/datasets";
import { argError } from "../errors.js";
import type { Recipe } from "../io/recipe.js";
import { Mask, MaskSet } from "../masks/index.js";
import { buildNet, prunableTensors, type Net, type Weights } from "../nets/index.js";
import type { ExperimentEvent } from "./events.js";
import { lotteryBudget, pruneSurviving } from "./levels.js";
import { stepsPerEpoch, trainSegment, type Evaluation, type SegmentMetrics } from "./segment.js";
import type { LotteryControl, LotterySpec } from "./spec.js";
import type { RunStore, StoredUnit } from "./store.js";

/** "ticket" is the IMP chain itself; the controls are scored against it. */
export type LotteryArm = "ticket" | LotteryControl;

/** One trained model of a lottery experiment: a row of its results. */
export interface LotteryRow extends SegmentMetrics {
  readonly seed: number;
  readonly arm: LotteryArm;
  readonly level: number;
  /** Fraction of prunable weights remaining (kept / total), and the counts. */
  readonly remaining: number;
  readonly kept: number;
  readonly total: number;
}

/** Per level as the CLI prints it: the ticket's metrics, and each control's. */
export interface LotteryLevel {
  readonly level: number;
  readonly remaining: number;
  readonly kept: number;
  readonly total: number;
  readonly testAccuracy: number;
  readonly earlyStopIteration: number;
  readonly earlyStopTestAccuracy: number;
  readonly valLoss: number;
  readonly steps: number;
  readonly controls: Readonly<Partial<Record<LotteryControl, { readonly remaining: number; readonly testAccuracy: number; readonly earlyStopIteration: number; readonly earlyStopTestAccuracy: number }>>>;
}

interface UnitMeta {
  readonly arm: LotteryArm;
  readonly level: number;
  readonly metrics: SegmentMetrics;
  readonly evaluations: readonly Evaluation[];
}

export interface LotteryRunParts {
  readonly rows: readonly LotteryRow[];
}

/** A seed derived from a run's seed and a label, as a net spec seed (non-negative 31-bit). */
export function derivedSeed(seed: number, label: string): number {
  return Rng.derive(seed, label).nextUint32() >>> 1;
}

const rowOf = (seed: number, meta: UnitMeta, masks: MaskSet): LotteryRow => {
  const { kept, total } = masks.report().overall;
  return { seed, arm: meta.arm, level: meta.level, remaining: kept / total, kept, total, ...meta.metrics };
};

/** Checks the spec against the net and data before anything trains. */
export function checkLottery(recipe: Recipe, data: Dataset): void {
  const spec = recipe.lottery!;
  const total = stepsPerEpoch(data, recipe.train) * recipe.train.epochs;
  if (spec.rewind.step > total) throw argError("lottery", "rewind.step", `at most the run's ${total} steps`, spec.rewind.step);
  lotteryBudget(prunableTensors(recipe.net), spec, 1); // per-layer rates must name prunable tensors
}

/** Runs (or resumes) the lottery experiment of one seed's recipe in `store`. */
export async function runLotterySeed(recipe: Recipe, data: Dataset, store: RunStore,
  emit: (event: ExperimentEvent) => void, initial?: Weights): Promise<LotteryRow[]> {
  const spec: LotterySpec = recipe.lottery!;
  const seed = recipe.train.seed;
  const k = spec.rewind.step;
  const rows: LotteryRow[] = [];
  const progress = (unit: string) => (event: Parameters<NonNullable<Parameters<typeof trainSegment>[0]["onEvent"]>>[0]) =>
    emit({ type: "train", seed, unit, event });

  // Level 0: dense training, capturing the rewind weights on the way.
  let rewindUnit: StoredUnit | undefined = await store.load("rewind");
  let ticket: StoredUnit | undefined = rewindUnit ? await store.load("level-0") : undefined;
  if (!rewindUnit || !ticket) {
    rewindUnit?.net.dispose();
    const net = buildNet(recipe.net);
    if (initial) net.load(initial);
    const masks = MaskSet.dense(net.prunable);
    const out = await trainSegment({ net, masks, data, train: recipe.train, evalEvery: spec.evalEvery, snapshotAt: k, onEvent: progress("level-0") });
    const rewound = buildNet(recipe.net);
    rewound.load(out.snapshot!);
    await store.save("rewind", rewound, masks, { step: k });
    rewindUnit = { net: rewound, masks, meta: { step: k } };
    const meta: UnitMeta = { arm: "ticket", level: 0, metrics: out.metrics, evaluations: out.evaluations };
    await store.save("level-0", net, masks, { ...meta });
    ticket = { net, masks, meta: { ...meta } };
  }
  rows.push(rowOf(seed, ticket.meta as unknown as UnitMeta, ticket.masks));
  const rewindWeights: Weights = rewindUnit.net.snapshot();
  rewindUnit.net.dispose();

  for (let level = 1; level <= spec.rounds; level++) {
    const masks = pruneSurviving(ticket.net, ticket.masks, lotteryBudget(ticket.net.prunable, spec, level), Rng.derive(seed, `lottery/prune/${level}`));
    const arms: { arm: LotteryArm; masks: MaskSet; init: () => Net }[] = [{
      arm: "ticket", masks, init: () => withWeights(buildNet(recipe.net), rewindWeights),
    }];
    for (const control of spec.controls) {
      if (control === "reinit") {
        arms.push({ arm: control, masks, init: () => buildNet({ ...recipe.net, seed: derivedSeed(seed, `lottery/reinit/${level}`) }) });
      } else {
        const rng = Rng.derive(seed, `lottery/random-mask/${level}`);
        const shuffled = MaskSet.from(masks.entries.map(([name, m]) => [name, Mask.random(m.shape, m.kept, rng)] as const));
        arms.push({ arm: control, masks: shuffled, init: () => withWeights(buildNet(recipe.net), rewindWeights) });
      }
    }
    let next: StoredUnit | undefined;
    for (const arm of arms) {
      const unit = arm.arm === "ticket" ? `level-${level}` : `level-${level}.${arm.arm}`;
      let stored = await store.load(unit);
      if (stored && !stored.masks.equals(arm.masks)) {
        // Same recipe, different mask: the file cannot belong to this run's chain.
        stored.net.dispose();
        stored = await store.discard(unit, "its mask is not the one this level derives");
      }
      if (!stored) {
        const net = arm.init();
        const out = await trainSegment({ net, masks: arm.masks, data, train: recipe.train, startStep: k, evalEvery: spec.evalEvery, onEvent: progress(unit) });
        const meta: UnitMeta = { arm: arm.arm, level, metrics: out.metrics, evaluations: out.evaluations };
        await store.save(unit, net, arm.masks, { ...meta });
        stored = { net, masks: arm.masks, meta: { ...meta } };
      }
      rows.push(rowOf(seed, stored.meta as unknown as UnitMeta, stored.masks));
      if (arm.arm === "ticket") next = stored;
      else stored.net.dispose();
    }
    ticket.net.dispose();
    ticket = next!;
  }
  ticket.net.dispose();
  return rows;
}

function withWeights(net: Net, weights: Weights): Net {
  net.load(weights);
  return net;
}

/** The per-level summary of one seed's rows (ticket metrics, with the controls alongside). */
export function lotteryLevels(rows: readonly LotteryRow[]): LotteryLevel[] {
  const tickets = rows.filter((r) => r.arm === "ticket").sort((a, b) => a.level - b.level);
  return tickets.map((t) => ({
    level: t.level, remaining: t.remaining, kept: t.kept, total: t.total, testAccuracy: t.testAccuracy,
    earlyStopIteration: t.earlyStopIteration, earlyStopTestAccuracy: t.earlyStopTestAccuracy, valLoss: t.valLoss, steps: t.steps,
    controls: Object.fromEntries(rows.filter((r) => r.arm !== "ticket" && r.level === t.level).map((r) => [r.arm, {
      remaining: r.remaining, testAccuracy: r.testAccuracy, earlyStopIteration: r.earlyStopIteration, earlyStopTestAccuracy: r.earlyStopTestAccuracy,
    }])),
  }));
}
