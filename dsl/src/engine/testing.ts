import * as tf from "@tensorflow/tfjs";
import type { Net } from "../nets/index.js";
import { lossAndGradients } from "../train/gradients.js";
import type { Optimizer } from "../train/optimizers.js";
import type { Engine } from "./engine.js";

/** Helpers for the engine tests: the tfjs reference of a masked step, and comparisons. */

export type Masks = ReadonlyMap<string, Uint8Array | undefined>;

/** Zeroes the pruned weights of the net's variables, as the training loop does at the start. */
export function applyMasks<T extends Net>(net: T, masks: Masks): T {
  for (const [name, bits] of masks) {
    if (!bits) continue;
    const p = net.params.get(name)!;
    const w = p.dataSync().map((v, i) => (bits[i] ? v : 0));
    p.assign(tf.tensor(w, p.shape));
  }
  return net;
}

/** The training loop's update on tfjs: masked gradients → optimizer → re-mask the weights (loop.ts); returns the loss. */
export function tfjsStep(net: Net, opt: Optimizer, masks: Masks, x: Float32Array, y: Int32Array, lr: number): number {
  const xt = tf.tensor2d(x, [y.length, net.features]), yt = tf.tensor1d(y, "int32");
  const { loss, grads } = lossAndGradients(net, xt, yt);
  const masked = new Map([...grads].map(([name, g]) => {
    const bits = masks.get(name);
    return [name, bits ? tf.mul(g, tf.tensor(bits, g.shape, "float32")) : g] as const;
  }));
  opt.step(net.params, masked, lr);
  for (const [name, bits] of masks) {
    if (!bits) continue;
    const p = net.params.get(name)!;
    p.assign(tf.mul(p, tf.tensor(bits, p.shape, "float32")));
  }
  const value = loss.dataSync()[0];
  tf.dispose([xt, yt, loss, ...grads.values(), ...masked.values()]);
  return value;
}

/** max |a − b| over equal-length arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`maxAbsDiff: lengths ${a.length} and ${b.length} differ`);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

/** max |a − b| / max |b|: the error relative to the reference b's scale. */
export function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  return maxAbsDiff(a, b) / (scale || 1);
}

/** Pruned positions whose weight or optimizer slot is not exactly 0, as "name[i]" (there should be none). */
export function prunedNonzeros(engine: Engine, masks: Masks): string[] {
  const w = engine.weights(), out: string[] = [];
  for (const [name, bits] of masks) {
    if (!bits) continue;
    const arrays = [w.get(name)!, ...engine.slots(name)];
    for (let i = 0; i < bits.length; i++) if (!bits[i] && arrays.some((a) => a[i] !== 0)) out.push(`${name}[${i}]`);
  }
  return out;
}

/** Steps the engine once per batch (`before(s)` first), then disposes it and returns copies of its weights. */
export function trainAndCopy(engine: Engine, batches: readonly { x: Float32Array; y: Int32Array }[], before?: (step: number) => void): Map<string, Float32Array> {
  batches.forEach(({ x, y }, s) => {
    before?.(s);
    engine.step(x, y);
  });
  const weights = new Map([...engine.weights()].map(([name, w]) => [name, Float32Array.from(w)]));
  engine.dispose();
  return weights;
}
