import type { Dataset, DatasetSpec } from "@sparselab/datasets";
import type { GmpSpec } from "../algorithms/gmp.js";
import type { NmSpec } from "../algorithms/nm.js";
import type { RegrowMethod, RegrowSpec } from "../algorithms/regrow.js";
import type { DropSchedule } from "../schedules/drop.js";
import type { CriterionName } from "../criteria/index.js";
import type { DistributionConfig } from "../distributions/index.js";
import type { Recipe } from "../io/recipe.js";
import type { Net } from "../nets/index.js";
import type { TrainSpec } from "../train/spec.js";
import type { OptimizerSpec } from "../train/optimizers.js";
import type { LrSchedule } from "../schedules/lr.js";
import type { RunOptions, RunResult } from "./run.js";
import type { ExperimentRunOptions } from "../experiments/events.js";
import type { LotteryResult, SoupResult } from "../experiments/result.js";
import type { LotteryOptions, LotterySpec, SoupOptions } from "../experiments/spec.js";

/** Options of `.train()`: the data plus the serialisable training spec. */
export interface TrainOptions {
  readonly data: Dataset;
  readonly epochs: number;
  readonly batchSize: number;
  readonly optimizer: OptimizerSpec;
  readonly schedule?: LrSchedule;
  /** Seeds batch order and mask updates; defaults to the net's seed. */
  readonly seed?: number;
  readonly dropLast?: boolean;
}

/** Everything a plan has been told so far; each builder call copies it with one change. */
export interface PlanProps {
  /** A live net (cloned when the plan runs) or the spec that builds one. */
  readonly net: Net | Recipe["net"];
  readonly data?: Dataset | DatasetSpec;
  readonly sparsity?: DistributionConfig;
  readonly criterion?: { readonly name: CriterionName; readonly seed: number };
  readonly train?: TrainSpec;
  readonly prune?: GmpSpec;
  readonly regrow?: RegrowSpec;
  readonly nm?: NmSpec;
  readonly lottery?: LotterySpec;
  /** The soup's options as given; the recipe fills in the defaults that depend on training (pretrain epochs). */
  readonly soup?: SoupOptions;
}

interface Serialisable {
  /** The plan as a JSON recipe (`sl.plan(recipe)` rebuilds it). */
  toJSON(): Recipe;
}

/**
 * `net.sparsify()`: choose how sparse each layer is (a distribution at an overall sparsity), then
 * which weights survive (a criterion), then how to train. Skipping the distribution trains dense.
 */
export interface SparsifyPlan {
  /** The same sparsity in every layer; `denseFirst`/`denseLast` keep those layers dense within the budget. */
  uniform(sparsity: number, options?: { denseFirst?: boolean; denseLast?: boolean }): DistributedPlan;
  /** Erdős–Rényi: density ∝ (fan-in + fan-out) / (fan-in · fan-out). */
  er(sparsity: number): DistributedPlan;
  /** Erdős–Rényi-Kernel: density ∝ Σ kernel dims / Π kernel dims (rigl's default). */
  erk(sparsity: number): DistributedPlan;
  /** One budget for the whole net: the criterion ranks all weights together. */
  global(sparsity: number): DistributedPlan;
  /** Given densities per prunable tensor name. */
  custom(densities: Readonly<Record<string, number>>): DistributedPlan;
  /**
   * N:M sparsity (N kept in every M consecutive inputs), recomputed by magnitude during training
   * with SR-STE (default) or mask-decay gradient flow (`{ variant: "decay" }`).
   */
  nm(n: number, m: number, options?: Partial<Omit<NmSpec, "n" | "m">>): NmPlan;
  /**
   * Magnitude pruning to `sparsity` — global ranking by default, or the same sparsity per layer —
   * as a goal for `.soup()`, or pruning at initialisation when trained directly.
   */
  magnitude(sparsity: number, options?: { scope?: "global" | "layer"; seed?: number }): MagnitudePlan;
  /**
   * Lottery tickets: iterative magnitude pruning with rewinding (open_lth semantics), from the
   * dense net — `.lottery({ rounds: 10, rate: 0.2, rewind: 0, controls: ["reinit", "random-mask"] })`.
   */
  lottery(options: LotteryOptions): LotteryPlan;
  /** Dense training (a baseline, or the start of gradual pruning). */
  train(options: TrainOptions): TrainingPlan;
}

/** A magnitude-pruning goal: retrain it as a sparse model soup, or train the pruned net directly. */
export interface MagnitudePlan {
  /**
   * Sparse model soups towards this goal: `phases` prune-and-retrain phases, `ingredients` models
   * per phase differing in `vary`, merged by `merge` ("greedy" default, or "uniform").
   */
  soup(options: SoupOptions): SoupPlan;
  train(options: TrainOptions): TrainingPlan;
}

export interface LotteryPlan {
  /** How each level trains (the full run; rewound levels train from the rewind step to its end). */
  train(options: TrainOptions): LotteryTrainingPlan;
}

export interface SoupPlan {
  /** How the dense net is pretrained (unless `pretrain: 0`) and how each ingredient retrains. */
  train(options: TrainOptions): SoupTrainingPlan;
}

/**
 * A runnable experiment: many trainings, each checkpointed in a run directory named by the
 * recipe's hash, so `run()` again resumes where an interrupted run stopped.
 */
export interface ExperimentPlan<Result> extends Serialisable {
  run(options?: ExperimentRunOptions): Promise<Result>;
}

export type LotteryTrainingPlan = ExperimentPlan<LotteryResult>;
export type SoupTrainingPlan = ExperimentPlan<SoupResult>;

/** A distribution is set; choose the criterion that picks the surviving weights (default random). */
export interface DistributedPlan {
  random(options?: { seed?: number }): CriterionPlan;
  magnitude(options?: { seed?: number }): CriterionPlan;
  snip(options?: { seed?: number }): CriterionPlan;
  grasp(options?: { seed?: number }): CriterionPlan;
  synflow(options?: { seed?: number }): CriterionPlan;
  train(options: TrainOptions): TrainingPlan;
}

export interface CriterionPlan {
  train(options: TrainOptions): TrainingPlan;
}

/** N:M masks manage themselves during training: no pruning schedule or regrowth on top. */
export interface NmPlan {
  train(options: TrainOptions): TrainingPlan<"prune" | "regrow">;
}

/** Options of `.regrow()`: when and how much to replace (see `regrow` for the defaults). */
export interface RegrowOptions {
  /** Steps between updates (default 100). */
  readonly every?: number;
  /** Fraction of each layer's active weights replaced: a number or a schedule (default cosine(0.3)). */
  readonly drop?: number | DropSchedule;
  /** Updates happen from `begin` until `until` (fractions of training; default 0 → 0.75). */
  readonly begin?: number;
  readonly until?: number;
}

interface TrainingPlanMethods<Used extends string> extends Serialisable {
  /** Gradual magnitude pruning during training (`sl.gmp({ to: 0.9 })`). */
  prune(spec: GmpSpec): TrainingPlan<Used | "prune">;
  /**
   * Dynamic sparse training: every `every` steps drop the smallest weights and grow as many —
   * "set" at random, "rigl" by gradient magnitude, "gradient" as GraNet's regeneration (with `.prune`).
   */
  regrow(method: RegrowMethod, options?: RegrowOptions): TrainingPlan<Used | "regrow">;
  run(options?: RunOptions): Promise<RunResult>;
}

/** A runnable plan; `.prune()` and `.regrow()` each add one algorithm to training (once). */
export type TrainingPlan<Used extends string = never> = Omit<TrainingPlanMethods<Used>, Used>;

export type PrunedTrainingPlan = TrainingPlan<"prune">;
