/**
 * One stretch of masked training as the iterative experiments need it: from a global step (after a
 * rewind) to the end of the run, with validation (and test) evaluated every `evalEvery` steps for
 * the early-stopping iteration, and the weights captured at a given step (the rewind point).
 */
import type { Dataset } from "@sparselab/datasets";
import type { MaskSet } from "../masks/index.js";
import type { Net, Weights } from "../nets/index.js";
import { evaluate } from "../train/evaluate.js";
import type { EventListener, HistoryRecord } from "../train/events.js";
import { trainMasked } from "../train/loop.js";
import type { TrainSpec } from "../train/spec.js";

export interface Evaluation {
  readonly step: number;
  readonly valLoss: number;
  readonly valAccuracy: number;
  readonly testAccuracy: number;
}

/** Metrics of one trained model, as stored with its checkpoint and reported per level / ingredient. */
export interface SegmentMetrics {
  readonly testAccuracy: number;
  readonly testLoss: number;
  readonly valAccuracy: number;
  readonly valLoss: number;
  /** Step of minimum validation loss among the evaluations (the earliest on ties). */
  readonly earlyStopIteration: number;
  readonly earlyStopValLoss: number;
  /** Test accuracy at the early-stop iteration. */
  readonly earlyStopTestAccuracy: number;
  /** Steps trained in this segment. */
  readonly steps: number;
  readonly seconds: number;
}

export interface SegmentOutcome {
  readonly metrics: SegmentMetrics;
  readonly evaluations: readonly Evaluation[];
  readonly history: readonly HistoryRecord[];
  /** The weights after `snapshotAt` steps (step 0: before training), when asked for. */
  readonly snapshot?: Weights;
}

export interface Segment {
  readonly net: Net;
  readonly masks: MaskSet;
  readonly data: Dataset;
  readonly train: TrainSpec;
  /** Global step to start from (the rewind point); the schedule and batch order continue from there. */
  readonly startStep?: number;
  /** Steps between evaluations; default a quarter epoch. */
  readonly evalEvery?: number;
  readonly snapshotAt?: number;
  readonly onEvent?: EventListener;
}

export function stepsPerEpoch(data: Dataset, train: TrainSpec): number {
  return train.dropLast ? Math.floor(data.train.size / train.batchSize) : Math.ceil(data.train.size / train.batchSize);
}

const copy = (weights: Weights): Weights => new Map([...weights].map(([name, w]) => [name, Float32Array.from(w)]));

/** Trains `net` in place under `masks` from `startStep` to the end of the run described by `train`. */
export async function trainSegment(segment: Segment): Promise<SegmentOutcome> {
  const { net, masks, data, train, onEvent } = segment;
  const started = Date.now();
  const perEpoch = stepsPerEpoch(data, train);
  const totalSteps = perEpoch * train.epochs;
  const every = segment.evalEvery ?? Math.max(1, Math.round(perEpoch / 4));
  const evaluations: Evaluation[] = [];
  const evaluateNow = (step: number) => {
    const val = evaluate(net, data.validation);
    evaluations.push({ step, valLoss: val.loss, valAccuracy: val.accuracy, testAccuracy: evaluate(net, data.test).accuracy });
  };
  let snapshot: Weights | undefined = segment.snapshotAt === 0 ? copy(net.snapshot()) : undefined;
  const outcome = await trainMasked({
    net, masks, data, train, startStep: segment.startStep ?? 0, onEvent,
    observe: {
      at: (step) => step === segment.snapshotAt || step % every === 0 || step === totalSteps,
      run: (step) => {
        if (step === segment.snapshotAt) snapshot = copy(net.snapshot());
        if (step % every === 0 || step === totalSteps) evaluateNow(step);
      },
    },
  });
  if (evaluations.length === 0) evaluateNow(outcome.steps);
  let best = evaluations[0];
  for (const e of evaluations) if (e.valLoss < best.valLoss) best = e;
  const last = evaluations[evaluations.length - 1];
  return {
    metrics: {
      testAccuracy: outcome.test.accuracy, testLoss: outcome.test.loss, valAccuracy: last.valAccuracy, valLoss: last.valLoss,
      earlyStopIteration: best.step, earlyStopValLoss: best.valLoss, earlyStopTestAccuracy: best.testAccuracy,
      steps: outcome.steps - (segment.startStep ?? 0), seconds: (Date.now() - started) / 1000,
    },
    evaluations, history: outcome.history, snapshot,
  };
}
