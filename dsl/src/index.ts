/**
 * sparselab: sparse training and sparse fine-tuning on TensorFlow.js.
 *
 *   const data = await sl.datasets.fashionMnist();
 *   const run = await sl.nets.mlp([784, 300, 100, 10], { seed: 1 }).sparsify()
 *     .erk(0.9).random().train({ data, epochs: 3, batchSize: 128, optimizer: sl.sgd(0.1, { momentum: 0.9 }) }).run();
 */
import * as datasets from "@sparselab/datasets";
import * as nets from "./nets/index.js";

export { datasets, nets };
export { Net, type NetSpec, type PrunableTensor, type Weights } from "./nets/index.js";
export { sparsify, plan, experiment } from "./builder/impl.js";
export type {
  SparsifyPlan, DistributedPlan, CriterionPlan, NmPlan, TrainingPlan, PrunedTrainingPlan, TrainOptions, RegrowOptions,
  MagnitudePlan, LotteryPlan, SoupPlan, ExperimentPlan, LotteryTrainingPlan, SoupTrainingPlan,
} from "./builder/plan.js";
export { RunResult, type RunOptions, type RunMetrics } from "./builder/run.js";
export { gmp, type GmpSpec } from "./algorithms/gmp.js";
export { regrow, REGROW_METHODS, type RegrowMethod, type RegrowSpec } from "./algorithms/regrow.js";
export { nm, nmMasks, type NmSpec } from "./algorithms/nm.js";
export { composeAlgorithms } from "./algorithms/compose.js";
export { cosine, exponential, constantDrop, dropFraction, type DropSchedule } from "./schedules/drop.js";
export type { SparsityAlgorithm, UpdateContext, MaskChange } from "./algorithms/base.js";
export { sgd, adam, adamw, Optimizer, type OptimizerSpec } from "./train/optimizers.js";
export { constantLr, stepLr, cosineLr, type LrSchedule } from "./schedules/lr.js";
export { cubicSparsity } from "./schedules/sparsity.js";
export { trainMasked } from "./train/loop.js";
export { evaluate, type Evaluation } from "./train/evaluate.js";
export type { RunEvent, HistoryRecord, EventListener } from "./train/events.js";
export { criterion, CRITERIA, selectTopK, type Criterion, type CriterionName, type Budget } from "./criteria/index.js";
export * from "./masks/index.js";
export * from "./distributions/index.js";
export { validateRecipe, type Recipe } from "./io/recipe.js";
export { useBackend, activeBackend, type BackendName, type BackendInfo } from "./backend/index.js";
export { SparselabError } from "./errors.js";
export { DISPLAY, type MimeBundle } from "./display.js";
export { saveCheckpoint, loadCheckpoint, encodeCheckpoint, decodeCheckpoint, type Checkpoint } from "./io/checkpoint.js";
export { meanInterval, summarise, type Interval } from "./stats.js";
export { sweep, defaultWorkers, DEFAULT_SWEEP_DIR, type SweepOptions, type SweepEvent, type SweepOutcome, type SweepRun, type SweepFailure, type RunSummary } from "./sweep/index.js";
export * as experiments from "./experiments/index.js";
export { jackpot, LotteryResult, SoupResult, type JackpotOptions, type JackpotResult, type LotteryRow, type LotteryLevel, type SoupRow, type SoupPhase,
  type LotteryOptions, type LotterySpec, type LotteryControl, type SoupOptions, type SoupSpec, type ExperimentRunOptions, type ExperimentEvent } from "./experiments/index.js";
export * as finetune from "./finetune/index.js";
export { compose, SparseDelta, DeltaSwitch, FinetuneResult, type FinetunePlan, type MethodPlan, type Task, type FinetuneOptions } from "./finetune/index.js";
export { vit, type VitOptions, type VitSpec } from "./nets/index.js";
export { loadKernels, defaultKernels, SparseMatrix, type Kernels, type KernelName, type KernelInfo } from "./kernels/index.js";
export { createMlpEngine, createConvEngine, type Engine, type MlpEngine, type MlpEngineOptions, type ConvEngine, type ConvEngineOptions } from "./engine/index.js";
