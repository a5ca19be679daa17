/**
 * S²FT (Yang et al. 2024, "Structured Sparse Fine-Tuning"): per block choose a few attention heads
 * and FFN channels, co-permute the coupled weights so they are contiguous, and train only the dense
 * slices that belong to them — by default the output side of each coupled pair (the rows of `o` for
 * the chosen heads, the rows of `down` for the chosen channels), as the released method does;
 * `train: "both"` adds the input side (the q, k, v columns and the `up` columns).
 *
 * Partial backpropagation: every frozen kernel multiplies through an op whose backward pass forms
 * only dx (no weight gradient, untransposed), and a row slice's op keeps only the activations of
 * the chosen units (x[:, :s]) for its weight gradient.
 *
 * The result is a `SparseDelta` in the original (unpermuted) coordinates — whole rows (and
 * columns) of the chosen units — so it fuses into the base with `apply` and unfuses with `revert`,
 * and several deltas can be switched on one base.
 */
import * as tf from "@tensorflow/tfjs";
import { Rng, batches } from "@sparselab/datasets";
import { SparselabError } from "../../errors.js";
import type { VitSpec } from "../../nets/index.js";
import { matMul } from "../../nets/ops.js";
import { vitForward, vitGeometry } from "../../nets/vit.js";
import { crossEntropy } from "../../nets/ops.js";
import { Optimizer } from "../../train/optimizers.js";
import { SparseDelta } from "../delta.js";
import { disposeAll, headDelta, headVariables, sizeOf, stepReporter, variableOf, type MethodContext, type MethodOutcome } from "../context.js";
import { chosenFirst, invertPermutation, permuteVit, type VitPermutation } from "../permute.js";
import { classMask, colSliceMatMul, fitSteps, frozenMatMul, optimizerStateBytes, rowSliceMatMul } from "../train.js";

export const S2FT_SELECTIONS = ["random", "norm", "gradient"] as const;
export type S2ftSelection = (typeof S2FT_SELECTIONS)[number];

export interface S2ftConfig {
  /** Heads per block (a count; the plan resolves fractions). */
  readonly heads: number;
  /** FFN channels per block. */
  readonly channels: number;
  readonly select: S2ftSelection;
  readonly seed: number;
  readonly train: "output" | "both";
}

/** Which units each block fine-tunes, in original indices (ascending). */
export interface S2ftUnits {
  readonly heads: readonly (readonly number[])[];
  readonly channels: readonly (readonly number[])[];
}

function topIndices(scores: readonly number[], k: number): number[] {
  return scores.map((s, i) => [s, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]).slice(0, k).map(([, i]) => i).sort((a, b) => a - b);
}

/** Squared-norm scores of o's head row-blocks and down's rows, from `values` by parameter name. */
function unitScores(spec: VitSpec, values: ReadonlyMap<string, Float32Array>, block: string) {
  const { dim: d, heads, mlp: f } = spec;
  const dh = d / heads;
  const o = values.get(`${block}.attn.o.kernel`)!;
  const down = values.get(`${block}.ffn.down.kernel`)!;
  const head = Array.from({ length: heads }, (_, h) => {
    let s = 0;
    for (let i = h * dh * d; i < (h + 1) * dh * d; i++) s += o[i] * o[i];
    return s;
  });
  const channel = Array.from({ length: f }, (_, c) => {
    let s = 0;
    for (let i = c * d; i < (c + 1) * d; i++) s += down[i] * down[i];
    return s;
  });
  return { head, channel };
}

/** Gradients of every block's o and down kernels on the first `count` batches of the task (summed). */
function probeGradients(ctx: MethodContext, count = 4): Map<string, Float32Array> {
  const { pre, task, train } = ctx;
  const spec = pre.spec as VitSpec;
  const names = vitGeometry(spec).blocks.flatMap((b) => [`${b}.attn.o.kernel`, `${b}.ffn.down.kernel`]);
  const vars = names.map((n) => pre.params.get(n)!);
  const sums = new Map(names.map((n) => [n, new Float32Array(pre.params.get(n)!.size)]));
  const mask = classMask(task);
  let seen = 0;
  for (const batch of batches(task.train, train.batchSize, { seed: train.seed, epoch: 0 })) {
    if (seen++ >= count) break;
    const x = tf.tensor2d(batch.x, [batch.size, task.features]);
    const y = tf.tensor1d(batch.y, "int32");
    const { value, grads } = tf.variableGrads(() => crossEntropy(tf.add(pre.apply(x), mask) as tf.Tensor2D, y), vars);
    names.forEach((n, i) => {
      const g = grads[vars[i].name].dataSync() as Float32Array;
      const s = sums.get(n)!;
      for (let j = 0; j < g.length; j++) s[j] += g[j];
    });
    tf.dispose([x, y, value, ...Object.values(grads)]);
  }
  mask.dispose();
  return sums;
}

/** Chooses the heads and channels of every block. */
export function selectUnits(ctx: MethodContext, config: S2ftConfig): S2ftUnits {
  const spec = ctx.pre.spec as VitSpec;
  const g = vitGeometry(spec);
  const source = config.select === "norm" ? ctx.pre.snapshot() : config.select === "gradient" ? probeGradients(ctx) : undefined;
  const heads: number[][] = [];
  const channels: number[][] = [];
  for (const block of g.blocks) {
    if (!source) {
      const rng = Rng.derive(config.seed, `s2ft/${block}`);
      heads.push([...rng.permutation(spec.heads).slice(0, config.heads)].sort((a, b) => a - b));
      channels.push([...rng.permutation(spec.mlp).slice(0, config.channels)].sort((a, b) => a - b));
    } else {
      const scores = unitScores(spec, source, block);
      heads.push(topIndices(scores.head, config.heads));
      channels.push(topIndices(scores.channel, config.channels));
    }
  }
  return { heads, channels };
}

/** The permutation that lists each block's chosen units first. */
export function unitsFirst(spec: VitSpec, units: S2ftUnits): VitPermutation {
  return {
    heads: units.heads.map((h) => chosenFirst(h, spec.heads)),
    channels: units.channels.map((c) => chosenFirst(c, spec.mlp)),
  };
}

interface Slice {
  readonly name: string;
  readonly axis: 0 | 1;
  readonly size: number;
  readonly variable: tf.Variable;
  readonly rest?: tf.Tensor2D;
  readonly shape: readonly [number, number];
}

function sliceOf(name: string, w: Float32Array, shape: readonly [number, number], axis: 0 | 1, size: number): Slice {
  const [rows, cols] = shape;
  const full = tf.tensor2d(w, [rows, cols]);
  const total = axis === 0 ? rows : cols;
  const begin = axis === 0 ? [size, 0] : [0, size];
  const sliced = tf.slice(full, [0, 0], axis === 0 ? [size, cols] : [rows, size]);
  const slice: Slice = {
    name, axis, size, shape, variable: variableOf(sliced, undefined, `${name}.slice`),
    ...(size < total ? { rest: tf.slice(full, begin, [-1, -1]) as tf.Tensor2D } : {}),
  };
  tf.dispose([full, sliced]);
  return slice;
}

/** The full (permuted) kernel of a slice after training. */
function assembled(slice: Slice): Float32Array {
  return tf.tidy(() => (slice.rest ? tf.concat([slice.variable, slice.rest], slice.axis) : slice.variable).dataSync() as Float32Array).slice();
}

export async function runS2ft(ctx: MethodContext, config: S2ftConfig): Promise<MethodOutcome> {
  const { pre, train } = ctx;
  if (pre.spec.kind !== "vit") throw new SparselabError(`s2ft(): expected a ViT (it selects attention heads and FFN channels), received a ${pre.family} net`);
  const spec = pre.spec;
  const g = vitGeometry(spec);
  const units = selectUnits(ctx, config);
  const perm = unitsFirst(spec, units);
  const base = pre.snapshot();
  const permuted = permuteVit(spec, base, perm);
  const shapes = new Map([...pre.params].map(([name, v]) => [name, v.shape]));
  const sliceSpecs: [string, 0 | 1, number][] = g.blocks.flatMap((block) => [
    [`${block}.attn.o.kernel`, 0, config.heads * g.headDim] as [string, 0 | 1, number],
    [`${block}.ffn.down.kernel`, 0, config.channels] as [string, 0 | 1, number],
    ...(config.train === "both" ? [
      ...["q", "k", "v"].map((m) => [`${block}.attn.${m}.kernel`, 1, config.heads * g.headDim] as [string, 0 | 1, number]),
      [`${block}.ffn.up.kernel`, 1, config.channels] as [string, 0 | 1, number],
    ] : []),
  ]).filter(([, , size]) => size > 0);
  const slices = new Map(sliceSpecs.map(([name, axis, size]) => [name, sliceOf(name, permuted.get(name)!, shapes.get(name) as [number, number], axis, size)]));
  const head = headVariables(ctx);
  const constants = new Map<string, tf.Tensor>();
  for (const [name, w] of permuted) if (!head.has(name)) constants.set(name, w === base.get(name) ? pre.params.get(name)! : tf.tensor(w, shapes.get(name) as number[]));
  const ownConstants = [...constants].filter(([name]) => constants.get(name) !== pre.params.get(name)).map(([, t]) => t);
  const params = new Map<string, tf.Tensor>([...constants, ...head]);
  const variables = new Map<string, tf.Variable>([...[...slices.values()].map((s) => [s.name, s.variable] as const), ...head]);
  const linear = (name: string, x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D => {
    const slice = slices.get(name);
    if (slice) {
      if (!slice.rest) return matMul(x, slice.variable as tf.Tensor2D);
      return slice.axis === 0 ? rowSliceMatMul(x, slice.variable as tf.Tensor2D, slice.rest) : colSliceMatMul(x, slice.variable as tf.Tensor2D, slice.rest);
    }
    return head.has(name) ? matMul(x, w) : frozenMatMul(x, w);
  };
  const optimizer = new Optimizer(train.optimizer);
  try {
    const fit = await fitSteps({
      forward: (x) => vitForward(spec, params, x, { linear }), variables, task: ctx.task, train, optimizer, onStep: stepReporter(ctx, "s2ft", "train"),
    });
    const tunedPermuted = new Map(permuted);
    for (const slice of slices.values()) tunedPermuted.set(slice.name, assembled(slice));
    const tuned = permuteVit(spec, tunedPermuted, invertPermutation(perm));
    const sliceDelta = SparseDelta.difference(pre, base, tuned, { names: [...slices.keys()] });
    const delta = sliceDelta.add(headDelta(ctx, head)).withMeta({ method: "s2ft", ...config, units });
    return {
      delta, trainableParameters: sizeOf(variables), optimizerStateBytes: optimizerStateBytes(optimizer, variables.keys()),
      stepMs: fit.stepMs, steps: fit.steps, losses: fit.losses,
      details: { units, slices: [...slices.values()].map((s) => ({ name: s.name, axis: s.axis === 0 ? "rows" : "columns", size: s.size })) },
    };
  } finally {
    optimizer.dispose();
    for (const s of slices.values()) tf.dispose([s.variable, ...(s.rest ? [s.rest] : [])]);
    tf.dispose(ownConstants);
    disposeAll(head);
  }
}
