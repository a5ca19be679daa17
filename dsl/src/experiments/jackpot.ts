/**
 * Lottery jackpots (Zhang et al., "Lottery Jackpots Exist in Pre-trained Models", TPAMI 2023):
 * a sparse subnetwork of a *trained* net found by searching the mask alone — the weights are never
 * updated. The search starts from the magnitude mask (the paper's observation: the masks it finds
 * overlap most with magnitude pruning, and starting there cuts the search cost). Each weight has a
 * score; kept weights start at 1 and pruned ones at 1 − margin, so the first mask is exactly the
 * magnitude mask. The forward pass uses w ⊙ m; the score gradient is the straight-through estimate
 * ∂L/∂s = ∂L/∂(w ⊙ m) · w, applied with momentum SGD.
 *
 * Short restriction: a mask update may swap a pruned weight in only against a kept weight whose
 * score it now exceeds, pairing the highest-scoring pruned weights with the lowest-scoring kept ones;
 * and of those candidate swaps only a fraction is applied, ⌈restrict·(1 − t/T)⁴·candidates⌉ (at
 * least one), so the mask changes less and less as the search proceeds — large late changes are
 * the ones that disturb the loss through the weights' dependencies. Counts are exact throughout
 * (every change is a swap within a layer, or across the net with `scope: "global"`).
 */
import * as tf from "@tensorflow/tfjs";
import { batches, type Dataset } from "@sparselab/datasets";
import { magnitudeScores, selectTopK, type Budget } from "../criteria/index.js";
import { argError } from "../errors.js";
import { Mask, MaskSet } from "../masks/index.js";
import { Net } from "../nets/index.js";
import { crossEntropy } from "../nets/ops.js";
import { Rng } from "@sparselab/datasets";
import { evaluate } from "../train/evaluate.js";
import { checkKnownKeys, checkNonNegativeInt, checkNumberIn, checkOneOf, checkPlainObject, checkPositive, checkPositiveInt, checkSparsity } from "../validate.js";

export interface JackpotOptions {
  readonly data: Dataset;
  /** Fraction of prunable weights removed. */
  readonly sparsity: number;
  /** Magnitude ranking (and swaps) across the whole net, or within each layer (default "layer"). */
  readonly scope?: "global" | "layer";
  /** Search epochs (default 1). */
  readonly epochs?: number;
  readonly batchSize?: number;
  /** Score learning rate and momentum (default 0.1, 0.9). */
  readonly lr?: number;
  readonly momentum?: number;
  /** Initial score gap between kept (1) and pruned (1 − margin) weights (default 0.01). */
  readonly margin?: number;
  /** Fraction of the candidate swaps applied at the first update, decaying as (1 − t/T)⁴ (default 1). */
  readonly restrict?: number;
  /** Steps between mask updates (default 1). */
  readonly every?: number;
  /** Batch order (default the net's seed). */
  readonly seed?: number;
  readonly onStep?: (step: { readonly step: number; readonly loss: number; readonly swaps: number }) => void;
}

export interface JackpotMetrics {
  readonly valLoss: number;
  readonly valAccuracy: number;
  readonly testAccuracy: number;
}

export interface JackpotResult {
  /** The searched mask and the magnitude mask it started from (same counts). */
  readonly masks: MaskSet;
  readonly initial: MaskSet;
  /** A copy of the net with its weights multiplied by the searched mask (no weight was trained). */
  readonly net: Net;
  readonly before: JackpotMetrics;
  readonly after: JackpotMetrics;
  /** Swaps applied at each update, and the candidate swaps each update had (summed over layers). */
  readonly swaps: readonly number[];
  readonly candidates: readonly number[];
  /** Positions where the searched mask differs from the initial one. */
  readonly changed: number;
}

const JACKPOT_KEYS = ["data", "sparsity", "scope", "epochs", "batchSize", "lr", "momentum", "margin", "restrict", "every", "seed", "onStep"] as const;

function metricsOf(net: Net, data: Dataset, params?: ReadonlyMap<string, tf.Tensor>): JackpotMetrics {
  const view = params && (() => params);
  const val = evaluate(net, data.validation, view);
  return { valLoss: val.loss, valAccuracy: val.accuracy, testAccuracy: evaluate(net, data.test, view).accuracy };
}

/** Searches a mask of `net` (trained) at `sparsity` without changing its weights. */
export async function jackpot(net: Net, options: JackpotOptions): Promise<JackpotResult> {
  const call = "jackpot";
  if (!(net instanceof Net)) throw argError(call, "net", "a sparselab Net (trained)", net);
  const o = checkPlainObject(call, "options", options);
  checkKnownKeys(call, "options", o, JACKPOT_KEYS);
  const data = options.data;
  if (typeof data !== "object" || data === null || !("train" in data)) throw argError(call, "data", "a Dataset", data);
  const sparsity = checkSparsity(call, "sparsity", options.sparsity);
  const scope = options.scope === undefined ? "layer" : checkOneOf(call, "scope", options.scope, ["global", "layer"]);
  const epochs = options.epochs === undefined ? 1 : checkPositiveInt(call, "epochs", options.epochs);
  const batchSize = options.batchSize === undefined ? 128 : checkPositiveInt(call, "batchSize", options.batchSize);
  const lr = options.lr === undefined ? 0.1 : checkPositive(call, "lr", options.lr);
  const momentum = options.momentum === undefined ? 0.9 : checkNumberIn(call, "momentum", options.momentum, 0, 1, { maxOpen: true });
  const margin = options.margin === undefined ? 0.01 : checkNumberIn(call, "margin", options.margin, 0, 1, { minOpen: true, maxOpen: true });
  const restrict = options.restrict === undefined ? 1 : checkNumberIn(call, "restrict", options.restrict, 0, 1, { minOpen: true });
  const every = options.every === undefined ? 1 : checkPositiveInt(call, "every", options.every);
  const seed = options.seed === undefined ? net.spec.seed : checkNonNegativeInt(call, "seed", options.seed);

  const tensors = net.prunable;
  const budget: Budget = scope === "global"
    ? { kind: "global", kept: Math.round((1 - sparsity) * tensors.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0)) }
    : { kind: "layerwise", kept: new Map(tensors.map((t) => [t.name, Math.round((1 - sparsity) * t.shape.reduce((a, b) => a * b, 1))])) };
  const initial = selectTopK(tensors, magnitudeScores(net), budget, Rng.derive(seed, "jackpot/ties"));

  // Scores and mask bits as plain arrays (one group per layer, or one for the whole net).
  const names = tensors.map((t) => t.name);
  const bits = new Map(names.map((n) => [n, Uint8Array.from(initial.get(n).bits)]));
  const scores = new Map(names.map((n) => [n, Float32Array.from(bits.get(n)!, (b) => (b ? 1 : 1 - margin))]));
  const velocity = new Map(names.map((n) => [n, new Float32Array(scores.get(n)!.length)]));
  const weights = new Map(names.map((n) => [n, Float32Array.from(net.params.get(n)!.dataSync())]));
  const groups = scope === "global" ? [names] : names.map((n) => [n]);

  const masked = () => new Map([...net.params].map(([name, w]) => {
    const b = bits.get(name);
    return [name, b ? tf.mul(w, tf.tensor(Float32Array.from(b), w.shape, "float32")) : w] as [string, tf.Tensor];
  }));
  const beforeParams = masked();
  const before = metricsOf(net, data, beforeParams);
  tf.dispose(names.map((n) => beforeParams.get(n)!));

  const perEpoch = Math.ceil(data.train.size / batchSize);
  const totalSteps = perEpoch * epochs;
  const swaps: number[] = [];
  const candidates: number[] = [];
  let step = 0;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    for (const batch of batches(data.train, batchSize, { seed, epoch })) {
      const { loss, grads } = tf.tidy(() => {
        const x = tf.tensor2d(batch.x, [batch.size, data.features]);
        const y = tf.tensor1d(batch.y, "int32");
        const params = masked();
        const effective = names.map((n) => params.get(n)!);
        const f = (...eff: tf.Tensor[]) => {
          const view = new Map(params);
          names.forEach((n, i) => view.set(n, eff[i]));
          return crossEntropy(net.apply(x, view), y);
        };
        const { value, grads: g } = tf.valueAndGrads(f)(effective);
        return { loss: value.dataSync()[0], grads: g.map((t) => t.dataSync() as Float32Array) };
      });
      step += 1;
      // Straight-through: ∂L/∂s = ∂L/∂(w ⊙ m) · w, then momentum SGD on the scores.
      names.forEach((n, i) => {
        const s = scores.get(n)!, v = velocity.get(n)!, w = weights.get(n)!, g = grads[i];
        for (let j = 0; j < s.length; j++) {
          v[j] = momentum * v[j] + g[j] * w[j];
          s[j] -= lr * v[j];
        }
      });
      let applied = 0;
      if (step % every === 0) {
        const fraction = restrict * (1 - (step - 1) / totalSteps) ** 4;
        let possible = 0;
        for (const group of groups) {
          const [swapped, found] = swapGroup(group, scores, bits, fraction);
          applied += swapped;
          possible += found;
        }
        swaps.push(applied);
        candidates.push(possible);
      }
      options.onStep?.({ step, loss, swaps: applied });
      if (step % 16 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  }
  const masks = MaskSet.from(tensors.map((t) => [t.name, Mask.fromBits(t.shape, bits.get(t.name)!)] as const));
  const result = net.clone();
  tf.tidy(() => {
    for (const [name, mask] of masks.entries) {
      const w = result.params.get(name)!;
      w.assign(tf.mul(w, mask.toTensor()));
    }
  });
  const after = metricsOf(result, data);
  const changed = masks.entries.reduce((n, [name, m]) => n + m.minus(initial.get(name)).kept + initial.get(name).minus(m).kept, 0);
  return { masks, initial, net: result, before, after, swaps, candidates, changed };
}

/**
 * Swaps pruned-in for kept-out within one group where a pruned weight's score exceeds a kept
 * one's: the highest-scoring pruned against the lowest-scoring kept, pair by pair while that holds;
 * applies ⌈fraction · candidates⌉ (≥ 1) of those pairs. Returns [applied, candidates].
 */
function swapGroup(group: readonly string[], scores: ReadonlyMap<string, Float32Array>, bits: ReadonlyMap<string, Uint8Array>, fraction: number): [number, number] {
  // Cheap bounds first: only pruned scores above the lowest kept score, and kept below the highest pruned, can pair up.
  let minKept = Infinity;
  let maxPruned = -Infinity;
  for (const name of group) {
    const s = scores.get(name)!, b = bits.get(name)!;
    for (let i = 0; i < s.length; i++) {
      if (b[i]) { if (s[i] < minKept) minKept = s[i]; } else if (s[i] > maxPruned) maxPruned = s[i];
    }
  }
  if (!(maxPruned > minKept)) return [0, 0];
  const ins: [number, string, number][] = [];
  const outs: [number, string, number][] = [];
  for (const name of group) {
    const s = scores.get(name)!, b = bits.get(name)!;
    for (let i = 0; i < s.length; i++) {
      if (b[i] && s[i] < maxPruned) outs.push([s[i], name, i]);
      else if (!b[i] && s[i] > minKept) ins.push([s[i], name, i]);
    }
  }
  ins.sort((a, b) => b[0] - a[0]);
  outs.sort((a, b) => a[0] - b[0]);
  let possible = 0;
  while (possible < ins.length && possible < outs.length && ins[possible][0] > outs[possible][0]) possible++;
  const apply = Math.min(possible, Math.max(1, Math.ceil(fraction * possible)));
  for (let p = 0; p < apply; p++) {
    bits.get(ins[p][1])![ins[p][2]] = 1;
    bits.get(outs[p][1])![outs[p][2]] = 0;
  }
  return [apply, possible];
}
