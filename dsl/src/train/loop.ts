import * as tf from "@tensorflow/tfjs";
import { batches, Rng, type Dataset } from "@sparselab/datasets";
import type { SparsityAlgorithm } from "../algorithms/base.js";
import type { MaskSet } from "../masks/index.js";
import type { Net } from "../nets/index.js";
import { lrFactor } from "../schedules/lr.js";
import { evaluate, type Evaluation } from "./evaluate.js";
import type { EventListener, HistoryRecord } from "./events.js";
import { lossAndGradients } from "./gradients.js";
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
}

export interface TrainingOutcome {
  readonly masks: MaskSet;
  readonly history: readonly HistoryRecord[];
  readonly test: Evaluation;
  readonly steps: number;
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
 * algorithm changes the masks, weights and optimizer slots are masked to the new set at once.
 */
export async function trainMasked(run: MaskedTraining): Promise<TrainingOutcome> {
  const { net, data, train, algorithm, onEvent } = run;
  let masks = run.masks;
  masks.checkAgainst(net.prunable);
  const stepsPerEpoch = train.dropLast ? Math.floor(data.train.size / train.batchSize) : Math.ceil(data.train.size / train.batchSize);
  const totalSteps = stepsPerEpoch * train.epochs;
  const optimizer = run.optimizer ?? new Optimizer(train.optimizer);
  const algorithmRng = Rng.derive(train.seed, "algorithm");
  let live = maskTensors(masks);
  applyMasks(net, optimizer, live);
  onEvent?.({ type: "start", totalSteps, epochs: train.epochs, stepsPerEpoch, report: masks.report() });

  const history: HistoryRecord[] = [];
  let step = 0;
  try {
    for (let epoch = 1; epoch <= train.epochs; epoch++) {
      const started = Date.now();
      let lossSum = 0;
      let seen = 0;
      let lr = train.optimizer.lr;
      for (const batch of batches(data.train, train.batchSize, { seed: train.seed, epoch, dropLast: train.dropLast })) {
        lr = train.optimizer.lr * lrFactor(train.schedule ?? { kind: "constant" }, step, totalSteps, stepsPerEpoch);
        const x = tf.tensor2d(batch.x, [batch.size, data.features]);
        const y = tf.tensor1d(batch.y, "int32");
        const { loss, grads } = lossAndGradients(net, x, y);
        step += 1;
        const updating = algorithm?.updatesAt(step, totalSteps) ?? false;
        const denseGradients = updating && algorithm!.needsDenseGradients
          ? new Map(net.prunable.map((t) => [t.name, grads.get(t.name)!.dataSync() as Float32Array]))
          : undefined;
        const masked = new Map([...grads].map(([name, g]) => [name, live.has(name) ? tf.mul(g, live.get(name)!) : g]));
        optimizer.step(net.params, masked, lr);
        tf.dispose([...grads.values(), ...masked.values(), x, y]);
        applyMasks(net, optimizer, live, false);
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
          applyMasks(net, optimizer, live);
          onEvent?.({ type: "mask", step, report: masks.report(), dropped: Object.fromEntries(change.dropped), grown: Object.fromEntries(change.grown) });
        }
        if (step % 16 === 0) await new Promise((resolve) => setImmediate(resolve)); // let progress displays and signals through
      }
      const val = evaluate(net, data.validation);
      const record: HistoryRecord = {
        epoch, step, lr, trainLoss: lossSum / seen, trainAccuracy: trainAccuracy(net, data),
        valLoss: val.loss, valAccuracy: val.accuracy, density: masks.report().overall.density, seconds: (Date.now() - started) / 1000,
      };
      history.push(record);
      onEvent?.({ type: "epoch", step, epoch, record });
    }
  } finally {
    tf.dispose([...live.values()]);
    if (!run.optimizer) optimizer.dispose();
  }
  const test = evaluate(net, data.test);
  onEvent?.({ type: "end", step, testAccuracy: test.accuracy, testLoss: test.loss });
  return { masks, history, test, steps: step };
}

/** Accuracy on (at most) the first 2,000 training examples: a cheap over-/under-fitting signal. */
function trainAccuracy(net: Net, data: Dataset): number {
  const n = Math.min(2000, data.train.size);
  return evaluate(net, { x: data.train.x.subarray(0, n * data.features), y: data.train.y.subarray(0, n), size: n }).accuracy;
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
