import * as tf from "@tensorflow/tfjs";
import { batches, Rng, type Dataset } from "@sparselab/datasets";
import type { SparsityAlgorithm } from "../algorithms/base.js";
import type { MaskSet } from "../masks/index.js";
import type { Net } from "../nets/index.js";
import { lrFactor } from "../schedules/lr.js";
import { evaluate, type Evaluation } from "./evaluate.js";
import type { EventListener, HistoryRecord } from "./events.js";
import { lossAndGradients } from "./gradients.js";
import { ExplorationTracker } from "./exploration.js";
import { crossEntropy, softMask } from "../nets/ops.js";
import { argError } from "../errors.js";
import { Optimizer } from "./optimizers.js";
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
}

/** 0/1 tensors for the layers that are actually sparse; dense layers need no masking work. */
function maskTensors(masks: MaskSet): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const [name, mask] of masks.entries) if (mask.density < 1) out.set(name, tf.tensor(mask.bits, mask.shape as number[], "float32"));
  return out;
}

/**
 * Trains `net` in place under `masks`. Gradients are masked before the optimizer (so momentum and
 * Adam moments stay exactly 0 at pruned positions) and weights re-masked after it; when the
 * algorithm changes the masks, weights and optimizer slots are masked to the new set at once, and
 * regrown positions restart from 0. With a soft-masking algorithm (N:M) the weights stay dense,
 * the forward pass sees them through the mask, and only the final weights are hard-masked.
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
  const optimizer = run.optimizer ?? new Optimizer(train.optimizer);
  const algorithmRng = Rng.derive(train.seed, "algorithm");
  const soft = algorithm?.soft;
  const exploration = new ExplorationTracker(masks);
  const totals = { dropped: new Map<string, number>(), grown: new Map<string, number>() };
  let live = maskTensors(masks);
  if (!soft) applyMasks(net, optimizer, live);
  onEvent?.({ type: "start", totalSteps, epochs: train.epochs, stepsPerEpoch, report: masks.report() });

  // Soft masking: the weights as the forward pass sees them at `step` (built inside tapes and tidies).
  const view = (step: number) => soft && (() => new Map<string, tf.Tensor>([...net.params].map(([name, w]) => {
    const m = live.get(name);
    return [name, m ? softMask(w, m, soft.scale(step, totalSteps), soft.gradScale(step, totalSteps), soft.refine) : w];
  })));

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
        const x = tf.tensor2d(batch.x, [batch.size, data.features]);
        const y = tf.tensor1d(batch.y, "int32");
        const viewNow = view(step);
        const { loss, grads } = lossAndGradients(net, x, y, crossEntropy, viewNow || undefined);
        step += 1;
        const updating = algorithm?.updatesAt(step, totalSteps) ?? false;
        const denseGradients = updating && algorithm!.needsDenseGradients
          ? new Map(net.prunable.map((t) => [t.name, grads.get(t.name)!.dataSync() as Float32Array]))
          : undefined;
        if (!(updating && algorithm!.skipsOptimizerStep)) {
          // Soft masks already shaped the gradient; hard masks cut it at pruned positions.
          const masked = new Map([...grads].map(([name, g]) => [name, !soft && live.has(name) ? tf.mul(g, live.get(name)!) : g]));
          optimizer.step(net.params, masked, lr);
          tf.dispose([...masked.values()]);
          if (!soft) applyMasks(net, optimizer, live, false);
        }
        tf.dispose([...grads.values(), x, y]);
        const lossValue = loss.dataSync()[0];
        loss.dispose();
        lossSum += lossValue * batch.size;
        seen += batch.size;
        onEvent?.({ type: "step", step, epoch, loss: lossValue, lr });

        if (updating) {
          const change = algorithm!.update({ step, totalSteps, net, masks, rng: algorithmRng, denseGradients });
          masks = change.masks;
          tf.dispose([...live.values()]);
          live = maskTensors(masks);
          if (!soft) {
            applyMasks(net, optimizer, live);
            if (change.reset) resetPositions(net, optimizer, change.reset);
          }
          exploration.record(masks);
          for (const [into, from] of [[totals.dropped, change.dropped], [totals.grown, change.grown]] as const) {
            from.forEach((n, name) => into.set(name, (into.get(name) ?? 0) + n));
          }
          onEvent?.({
            type: "mask", step, report: masks.report(), dropped: Object.fromEntries(change.dropped), grown: Object.fromEntries(change.grown),
            explorationRate: exploration.explorationRate, overlapWithInitial: exploration.overlapWithInitial(masks),
          });
        }
        if (step % 16 === 0) await new Promise((resolve) => setImmediate(resolve)); // let progress displays and signals through
      }
      const params = view(step) || undefined;
      const val = evaluate(net, data.validation, params);
      const record: HistoryRecord = {
        epoch, step, lr, trainLoss: lossSum / seen, trainAccuracy: trainAccuracy(net, data, params),
        valLoss: val.loss, valAccuracy: val.accuracy, density: masks.report().overall.density,
        explorationRate: exploration.explorationRate, seconds: (Date.now() - started) / 1000,
      };
      history.push(record);
      onEvent?.({ type: "epoch", step, epoch, record });
    }
    if (soft) applyMasks(net, optimizer, live);
  } finally {
    tf.dispose([...live.values()]);
    if (!run.optimizer) optimizer.dispose();
  }
  const test = evaluate(net, data.test);
  onEvent?.({ type: "end", step, testAccuracy: test.accuracy, testLoss: test.loss });
  return { masks, history, test, steps: step, explorationRate: exploration.explorationRate, dropped: totals.dropped, grown: totals.grown };
}

/** Weights and optimizer slots at `positions` restart from 0 (regrown connections). */
function resetPositions(net: Net, optimizer: Optimizer, positions: MaskSet): void {
  tf.tidy(() => {
    for (const [name, mask] of positions.entries) {
      if (mask.kept === 0) continue;
      const keep = tf.sub(1, tf.tensor(mask.bits, mask.shape as number[], "float32"));
      const w = net.params.get(name)!;
      w.assign(tf.mul(w, keep));
      optimizer.maskSlots(name, keep);
    }
  });
}

/** Accuracy on (at most) the first 2,000 training examples: a cheap over-/under-fitting signal. */
function trainAccuracy(net: Net, data: Dataset, params?: () => ReadonlyMap<string, tf.Tensor>): number {
  const n = Math.min(2000, data.train.size);
  return evaluate(net, { x: data.train.x.subarray(0, n * data.features), y: data.train.y.subarray(0, n), size: n }, params).accuracy;
}

/** w ← w ⊙ m for every sparse layer; with `slots`, the optimizer state too (after a mask change). */
function applyMasks(net: Net, optimizer: Optimizer, live: ReadonlyMap<string, tf.Tensor>, slots = true): void {
  tf.tidy(() => {
    for (const [name, m] of live) {
      const w = net.params.get(name)!;
      w.assign(tf.mul(w, m));
      if (slots) optimizer.maskSlots(name, m);
    }
  });
}
