/**
 * The fine-tuning loop: steps an `Optimizer` over an explicit set of variables (only what a
 * method trains), on a task's batches, with the loss and accuracy taken over the task's classes.
 * Unlike the sparse-training loop, the forward pass is the method's own (frozen base tensors plus
 * its trainable pieces), so gradients are computed for the trainable variables only.
 */
import * as tf from "@tensorflow/tfjs";
import { batches, type Split } from "@sparselab/datasets";
import { crossEntropy } from "../nets/ops.js";
import { lrFactor, validateLrSchedule, type LrSchedule } from "../schedules/lr.js";
import { Optimizer, validateOptimizer, adam, type OptimizerSpec } from "../train/optimizers.js";
import { argError } from "../errors.js";
import { checkKnownKeys, checkNonNegativeInt, checkOneOf, checkPlainObject, checkPositiveInt } from "../validate.js";
import { isTask, type Task } from "./tasks.js";

/** What `pre.finetune(t)` takes: the task and how to train on it. */
export interface FinetuneOptions {
  readonly task: Task;
  /** Optimizer steps (or give `epochs`). */
  readonly steps?: number;
  readonly epochs?: number;
  /** Default 64. */
  readonly batchSize?: number;
  /** Default Adam, lr 1e-3, no weight decay (so untouched entries stay exactly unchanged). */
  readonly optimizer?: OptimizerSpec;
  readonly schedule?: LrSchedule;
  /** Batch order and every random choice of a method (default: the net's seed). */
  readonly seed?: number;
  /**
   * The classifier head (`head.kernel`, `head.bias`): "train" (default) trains it densely with
   * every method, as PEFT baselines do for a new label set; "freeze" leaves it as pretrained.
   */
  readonly head?: "train" | "freeze";
  /** Extra tasks to evaluate the tuned net on (e.g. the source task, to measure forgetting). */
  readonly evaluate?: Readonly<Record<string, Task>>;
  /** Evaluate on at most this many test examples per task (default: all). */
  readonly evalLimit?: number;
}

export interface FinetuneTrain {
  readonly steps: number;
  readonly batchSize: number;
  readonly optimizer: OptimizerSpec;
  readonly schedule?: LrSchedule;
  readonly seed: number;
  readonly head: "train" | "freeze";
  readonly evalLimit?: number;
}

const OPTION_KEYS = ["task", "steps", "epochs", "batchSize", "optimizer", "schedule", "seed", "head", "evaluate", "evalLimit"] as const;

/** Validates `finetune(options)`; `seed` defaults to the net's. */
export function validateFinetuneOptions(value: unknown, netSeed: number, call = "finetune"): { task: Task; train: FinetuneTrain; evaluate: Readonly<Record<string, Task>> } {
  const o = checkPlainObject(call, "options", value);
  checkKnownKeys(call, "options", o, OPTION_KEYS);
  if (!isTask(o.task)) throw argError(call, "task", "a Task (e.g. (await sl.finetune.fashionTasks()).newClasses)", o.task);
  const task = o.task;
  const batchSize = o.batchSize === undefined ? 64 : checkPositiveInt(call, "batchSize", o.batchSize);
  if (task.train.size === 0) throw argError(call, "task", "a task with training examples", task.name);
  if ((o.steps === undefined) === (o.epochs === undefined)) throw argError(call, "steps", "exactly one of steps or epochs", { steps: o.steps, epochs: o.epochs });
  const steps = o.steps !== undefined
    ? checkPositiveInt(call, "steps", o.steps)
    : checkPositiveInt(call, "epochs", o.epochs) * Math.ceil(task.train.size / batchSize);
  const evaluate = o.evaluate === undefined ? {} : checkPlainObject(call, "evaluate", o.evaluate);
  for (const [name, t] of Object.entries(evaluate)) if (!isTask(t)) throw argError(call, `evaluate.${name}`, "a Task", t);
  return {
    task,
    evaluate: Object.freeze({ ...(evaluate as Record<string, Task>) }),
    train: Object.freeze({
      steps, batchSize,
      optimizer: o.optimizer === undefined ? adam(1e-3) : validateOptimizer(o.optimizer, call),
      ...(o.schedule === undefined ? {} : { schedule: validateLrSchedule(o.schedule, call) }),
      seed: checkNonNegativeInt(call, "seed", o.seed ?? netSeed),
      head: o.head === undefined ? "train" : checkOneOf(call, "head", o.head, ["train", "freeze"] as const),
      ...(o.evalLimit === undefined ? {} : { evalLimit: checkPositiveInt(call, "evalLimit", o.evalLimit) }),
    }),
  };
}

/** [numClasses] additive mask: 0 at the task's classes, −1e4 elsewhere (softmax weight exactly 0). */
export function classMask(task: Pick<Task, "classes" | "numClasses">): tf.Tensor1D {
  const m = new Float32Array(task.numClasses).fill(-1e4);
  for (const c of task.classes) m[c] = 0;
  return tf.tensor1d(m);
}

export type Forward = (x: tf.Tensor2D) => tf.Tensor2D;

export interface Fit {
  readonly forward: Forward;
  readonly variables: ReadonlyMap<string, tf.Variable>;
  readonly task: Task;
  readonly train: FinetuneTrain;
  readonly optimizer: Optimizer;
  /** First step number (0-based) and how many to run: lets a method split training into phases. */
  readonly from?: number;
  readonly count?: number;
  /** Changes gradients before the optimizer (e.g. adds a penalty's subgradient); owns what it replaces. */
  readonly adjust?: (grads: Map<string, tf.Tensor>, step: number) => Map<string, tf.Tensor>;
  readonly onStep?: (step: number, loss: number) => void;
}

export interface FitOutcome {
  readonly steps: number;
  /** Wall-clock milliseconds of every step (forward, backward, optimizer, loss read back). */
  readonly stepMs: readonly number[];
  readonly losses: readonly number[];
}

/** Runs `count` optimizer steps of `fit.forward` on the task (batches cycle through epochs). */
export async function fitSteps(fit: Fit): Promise<FitOutcome> {
  const { task, train, optimizer, variables } = fit;
  const from = fit.from ?? 0;
  const count = fit.count ?? train.steps - from;
  const stepsPerEpoch = Math.ceil(task.train.size / train.batchSize);
  const mask = classMask(task);
  const names = new Map([...variables].map(([name, v]) => [v.name, name]));
  const stepMs: number[] = [];
  const losses: number[] = [];
  try {
    let step = from;
    let epoch = Math.floor(from / stepsPerEpoch);
    let skip = from % stepsPerEpoch;
    while (step < from + count) {
      for (const batch of batches(task.train, train.batchSize, { seed: train.seed, epoch })) {
        if (skip > 0) { skip--; continue; }
        if (step >= from + count) break;
        const started = performance.now();
        const lr = train.optimizer.lr * lrFactor(train.schedule ?? { kind: "constant" }, step, train.steps, stepsPerEpoch);
        const x = tf.tensor2d(batch.x, [batch.size, task.features]);
        const y = tf.tensor1d(batch.y, "int32");
        const { value, grads } = tf.variableGrads(() => crossEntropy(tf.add(fit.forward(x), mask) as tf.Tensor2D, y), [...variables.values()]);
        let byName = new Map(Object.entries(grads).map(([v, g]) => [names.get(v)!, g]));
        if (fit.adjust) byName = fit.adjust(byName, step);
        optimizer.step(variables, byName, lr);
        const loss = value.dataSync()[0];
        tf.dispose([x, y, value, ...byName.values()]);
        stepMs.push(performance.now() - started);
        losses.push(loss);
        step++;
        fit.onStep?.(step, loss);
        if (step % 16 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      epoch++;
    }
    return { steps: count, stepMs, losses };
  } finally {
    mask.dispose();
  }
}

export interface TaskEvaluation {
  readonly loss: number;
  readonly accuracy: number;
  readonly examples: number;
}

/** Loss and accuracy over the task's classes on `split` (at most `limit` examples), in chunks. */
export function evaluateTask(forward: Forward, task: Pick<Task, "classes" | "numClasses">, split: Split, limit?: number, chunk = 500): TaskEvaluation {
  const size = Math.min(split.size, limit ?? split.size);
  if (size === 0) return { loss: NaN, accuracy: NaN, examples: 0 };
  const features = split.x.length / split.size;
  const mask = classMask(task);
  let lossSum = 0;
  let correct = 0;
  try {
    for (let start = 0; start < size; start += chunk) {
      const n = Math.min(chunk, size - start);
      const [loss, hits] = tf.tidy(() => {
        const x = tf.tensor2d(split.x.subarray(start * features, (start + n) * features), [n, features]);
        const y = tf.tensor1d(split.y.subarray(start, start + n), "int32");
        const logits = tf.add(forward(x), mask) as tf.Tensor2D;
        return [crossEntropy(logits, y).dataSync()[0], tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), y), "int32")).dataSync()[0]];
      });
      lossSum += loss * n;
      correct += hits;
    }
  } finally {
    mask.dispose();
  }
  return { loss: lossSum / size, accuracy: correct / size, examples: size };
}

/** Bytes of optimizer state the optimizer holds for `names` (float32 slots). */
export function optimizerStateBytes(optimizer: Optimizer, names: Iterable<string>): number {
  let n = 0;
  for (const name of names) for (const slot of optimizer.slots(name)) n += slot.size * 4;
  return n;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * x·w where w is frozen: only dx flows back, computed untransposed (`w` is a constant captured by
 * the op, never an input, so no weight gradient is ever formed).
 */
export function frozenMatMul(x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  const op = tf.customGrad(((input: tf.Tensor) => ({
    value: tf.matMul(input as tf.Tensor2D, w),
    gradFunc: (dy: tf.Tensor) => tf.matMul(dy as tf.Tensor2D, tf.transpose(w)),
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return (op as unknown as (x: tf.Tensor) => tf.Tensor2D)(x);
}

/**
 * x·[S; R] where the first `S.rows` rows of the kernel are trainable (S) and the rest frozen (R):
 * y = x[:, :s]·S + x[:, s:]·R. The backward pass keeps only x[:, :s] — the activations of the
 * selected units — for dS = x[:, :s]ᵀ·dy; dx = dy·[S; R]ᵀ.
 */
export function rowSliceMatMul(x: tf.Tensor2D, slice: tf.Tensor2D, rest: tf.Tensor2D): tf.Tensor2D {
  const s = slice.shape[0];
  const op = tf.customGrad(((input: tf.Tensor, trainable: tf.Tensor, save: tf.GradSaveFunc) => {
    const head = tf.slice(input as tf.Tensor2D, [0, 0], [-1, s]);
    const tail = tf.slice(input as tf.Tensor2D, [0, s], [-1, -1]);
    save([head, trainable]);
    return {
      value: tf.add(tf.matMul(head, trainable as tf.Tensor2D), tf.matMul(tail, rest)),
      gradFunc: (dy: tf.Tensor, [kept, sliceNow]: tf.Tensor[]) => [
        tf.matMul(dy as tf.Tensor2D, tf.transpose(tf.concat([sliceNow as tf.Tensor2D, rest], 0))),
        tf.matMul(tf.transpose(kept as tf.Tensor2D), dy as tf.Tensor2D),
      ],
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return (op as unknown as (x: tf.Tensor, s: tf.Tensor) => tf.Tensor2D)(x, slice);
}

/**
 * x·[S R] where the first `S.cols` columns of the kernel are trainable: y = [x·S, x·R];
 * dS = xᵀ·dy[:, :s]; dx = dy·[S R]ᵀ.
 */
export function colSliceMatMul(x: tf.Tensor2D, slice: tf.Tensor2D, rest: tf.Tensor2D): tf.Tensor2D {
  const s = slice.shape[1];
  const op = tf.customGrad(((input: tf.Tensor, trainable: tf.Tensor, save: tf.GradSaveFunc) => {
    save([input, trainable]);
    return {
      value: tf.concat([tf.matMul(input as tf.Tensor2D, trainable as tf.Tensor2D), tf.matMul(input as tf.Tensor2D, rest)], 1),
      gradFunc: (dy: tf.Tensor, [xs, sliceNow]: tf.Tensor[]) => [
        tf.matMul(dy as tf.Tensor2D, tf.transpose(tf.concat([sliceNow as tf.Tensor2D, rest], 1))),
        tf.matMul(tf.transpose(xs as tf.Tensor2D), tf.slice(dy as tf.Tensor2D, [0, 0], [-1, s])),
      ],
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return (op as unknown as (x: tf.Tensor, s: tf.Tensor) => tf.Tensor2D)(x, slice);
}
