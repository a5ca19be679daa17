import { batches, Rng, type Dataset, type Split } from "@sparselab/datasets";
import type { SparsityAlgorithm } from "../algorithms/base.js";
import type { MaskSet } from "../masks/index.js";
import type { Net } from "../nets/index.js";
import { lrFactor } from "../schedules/lr.js";
import { evaluate, type Evaluation } from "./evaluate.js";
import type { EventListener, HistoryRecord } from "./events.js";
import { ExplorationTracker } from "./exploration.js";
import { argError } from "../errors.js";
import { defaultKernels } from "../kernels/index.js";
import { EngineStepper } from "./engine-stepper.js";
import type { Optimizer } from "./optimizers.js";
import type { Stepper } from "./stepper.js";
import { TfjsStepper } from "./tfjs-stepper.js";
import type { TrainSpec } from "./spec.js";

export interface MaskedTraining {
  readonly net: Net;
  readonly masks: MaskSet;
  readonly data: Dataset;
  readonly train: TrainSpec;
  readonly algorithm?: SparsityAlgorithm;
  readonly onEvent?: EventListener;
  /**
   * Steps this optimizer instead of a fresh one built from `train.optimizer` (whose `lr` and
   * `schedule` still set the rate). The caller owns it: it can inspect the slots during and after
   * training, and disposes it.
   */
  readonly optimizer?: Optimizer;
  /**
   * Starts at this global step instead of 0 (rewinding to step k, lottery tickets): trains steps
   * startStep+1 … total with the learning-rate schedule and batch order they have in a full run.
   */
  readonly startStep?: number;
  /** "auto" (default): the kernels engine for MLPs and ConvNets when fast kernels load, else tfjs. */
  readonly engine?: "auto" | "tfjs" | "kernels";
  /**
   * Looks at the net after the steps `at` accepts (1-based, after any mask update), with its
   * variables current — step events alone do not promise that, as the kernels engine writes the
   * weights back only when needed. For snapshots and periodic evaluation.
   */
  readonly observe?: { readonly at: (step: number) => boolean; readonly run: (step: number) => void };
}

export interface TrainingOutcome {
  readonly masks: MaskSet;
  readonly history: readonly HistoryRecord[];
  readonly test: Evaluation;
  readonly steps: number;
  /** Fraction of prunable weights that were active at some point (in-time over-parameterisation). */
  readonly explorationRate: number;
  /** Per layer, weights the algorithm removed and added over the whole run. */
  readonly dropped: ReadonlyMap<string, number>;
  readonly grown: ReadonlyMap<string, number>;
  /** Which stepper trained ("tfjs-wasm", "kernels-addon" …). */
  readonly engine: string;
}

/**
 * Which stepper trains: the kernels engine for MLPs and ConvNets with hard masks when fast kernels
 * load (or when asked), else tfjs. `SPARSELAB_ENGINE=tfjs|kernels` overrides "auto".
 */
function chooseStepper(run: MaskedTraining, totalSteps: number): Stepper {
  const requested = run.engine ?? (process.env.SPARSELAB_ENGINE as MaskedTraining["engine"]) ?? "auto";
  if (!["auto", "tfjs", "kernels"].includes(requested)) throw argError("trainMasked", "engine", '"auto" | "tfjs" | "kernels"', requested);
  const soft = run.algorithm?.soft;
  const engineFits = run.net.spec.kind !== "vit" && !soft && !run.optimizer;
  if (requested === "kernels" && !engineFits) {
    throw argError("trainMasked", "engine", "an MLP or ConvNet with hard masks and no caller-owned optimizer for the kernels engine", `a ${run.net.spec.kind} run`);
  }
  if (engineFits && requested !== "tfjs") {
    const kernels = defaultKernels();
    // Plain-JS kernels are slower than tfjs-wasm; use them only when asked.
    if (requested === "kernels" || kernels.name !== "js") return new EngineStepper(run.net, run.masks, run.train.optimizer, kernels);
  }
  return new TfjsStepper(run.net, run.masks, { optimizer: run.optimizer ?? run.train.optimizer, soft, totalSteps });
}

/**
 * Trains `net` in place under `masks` (see `Stepper` for where the arithmetic happens). When the
 * algorithm changes the masks, weights and optimizer slots follow at once and regrown positions
 * restart from 0; with a soft-masking algorithm (N:M) only the final weights are hard-masked.
 */
export async function trainMasked(run: MaskedTraining): Promise<TrainingOutcome> {
  const { net, data, train, algorithm, onEvent } = run;
  let masks = run.masks;
  masks.checkAgainst(net.prunable);
  const stepsPerEpoch = train.dropLast ? Math.floor(data.train.size / train.batchSize) : Math.ceil(data.train.size / train.batchSize);
  const totalSteps = stepsPerEpoch * train.epochs;
  const startStep = run.startStep ?? 0;
  if (!Number.isInteger(startStep) || startStep < 0 || startStep > totalSteps) {
    throw argError("trainMasked", "startStep", `an integer in [0, ${totalSteps}] (the run's steps)`, run.startStep);
  }
  const algorithmRng = Rng.derive(train.seed, "algorithm");
  const exploration = new ExplorationTracker(masks);
  const totals = { dropped: new Map<string, number>(), grown: new Map<string, number>() };
  const stepper = chooseStepper(run, totalSteps);
  onEvent?.({ type: "start", totalSteps, epochs: train.epochs, stepsPerEpoch, report: masks.report(), engine: stepper.name });

  const history: HistoryRecord[] = [];
  let step = startStep;
  try {
    for (let epoch = Math.floor(startStep / stepsPerEpoch) + 1; epoch <= train.epochs; epoch++) {
      const started = Date.now();
      let lossSum = 0;
      let seen = 0;
      let lr = train.optimizer.lr;
      // Resuming mid-epoch: that epoch's batches before `startStep` were seen by the run being resumed.
      let skip = epoch === Math.floor(startStep / stepsPerEpoch) + 1 ? startStep % stepsPerEpoch : 0;
      for (const batch of batches(data.train, train.batchSize, { seed: train.seed, epoch, dropLast: train.dropLast })) {
        if (skip > 0) {
          skip -= 1;
          continue;
        }
        lr = train.optimizer.lr * lrFactor(train.schedule ?? { kind: "constant" }, step, totalSteps, stepsPerEpoch);
        const updating = algorithm?.updatesAt(step + 1, totalSteps) ?? false;
        const { loss, denseGradients } = stepper.step(batch.x, batch.y, lr, step, {
          denseGradients: updating && algorithm!.needsDenseGradients,
          skipUpdate: updating && (algorithm!.skipsOptimizerStep ?? false),
        });
        step += 1;
        lossSum += loss * batch.size;
        seen += batch.size;
        onEvent?.({ type: "step", step, epoch, loss, lr });

        if (updating) {
          stepper.syncNet();
          const change = algorithm!.update({ step, totalSteps, net, masks, rng: algorithmRng, denseGradients });
          masks = change.masks;
          stepper.setMasks(masks, change.reset);
          stepper.syncNet(); // mask events show the net as the new masks left it
          exploration.record(masks);
          for (const [into, from] of [[totals.dropped, change.dropped], [totals.grown, change.grown]] as const) {
            from.forEach((n, name) => into.set(name, (into.get(name) ?? 0) + n));
          }
          onEvent?.({
            type: "mask", step, report: masks.report(), dropped: Object.fromEntries(change.dropped), grown: Object.fromEntries(change.grown),
            explorationRate: exploration.explorationRate, overlapWithInitial: exploration.overlapWithInitial(masks),
          });
        }
        if (run.observe?.at(step)) {
          stepper.syncNet();
          run.observe.run(step);
        }
        if (step % 16 === 0) await new Promise((resolve) => setImmediate(resolve)); // let progress displays and signals through
      }
      const val = stepper.evaluate(data.validation, step);
      const record: HistoryRecord = {
        epoch, step, lr, trainLoss: lossSum / seen, trainAccuracy: stepper.evaluate(trainSample(data), step).accuracy,
        valLoss: val.loss, valAccuracy: val.accuracy, density: masks.report().overall.density,
        explorationRate: exploration.explorationRate, seconds: (Date.now() - started) / 1000,
      };
      history.push(record);
      onEvent?.({ type: "epoch", step, epoch, record });
    }
    stepper.finish();
  } finally {
    stepper.dispose();
  }
  const test = evaluate(net, data.test);
  onEvent?.({ type: "end", step, testAccuracy: test.accuracy, testLoss: test.loss });
  return { masks, history, test, steps: step, explorationRate: exploration.explorationRate, dropped: totals.dropped, grown: totals.grown, engine: stepper.name };
}

/** The first (at most) 2,000 training examples: a cheap over-/under-fitting signal. */
function trainSample(data: Dataset): Split {
  const n = Math.min(2000, data.train.size);
  return { x: data.train.x.subarray(0, n * data.features), y: data.train.y.subarray(0, n), size: n };
}
