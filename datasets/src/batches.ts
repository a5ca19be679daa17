/**
 * Mini-batches and subsets of a split. Batch order is a pure function of (seed, epoch): each
 * epoch sees its own order, and rerunning a run replays exactly the same batches.
 */
import { gatherLabels, gatherRows, selectExamples, type Split } from "./dataset.js";
import { describe, invalid } from "./errors.js";
import { Rng } from "./random.js";
import { stratifiedSample } from "./sampling.js";
import { expectBoolean, expectInteger, expectOptions } from "./validate.js";

export interface Batch extends Split {
  /** Positions of these examples in the split, for per-example bookkeeping. */
  readonly indices: Int32Array;
}

export type BatchOptions =
  | { readonly shuffle?: true; readonly seed: number; readonly epoch: number; readonly dropLast?: boolean }
  | { readonly shuffle: false; readonly dropLast?: boolean };

/** Re-iterable: each `for...of` replays the same batches. */
export interface Batches extends Iterable<Batch> {
  /** How many batches one pass yields. */
  readonly count: number;
}

function batchOrder(size: number, options: Record<string, unknown>): Int32Array {
  if (options.shuffle !== undefined && !expectBoolean(options.shuffle, "batches(options.shuffle)")) {
    return Int32Array.from({ length: size }, (_, i) => i);
  }
  const seed = expectInteger(options.seed, "batches(options.seed)");
  const epoch = expectInteger(options.epoch, "batches(options.epoch)", 0);
  return Rng.derive(seed, `batches/epoch ${epoch}`).permutation(size);
}

export function batches(split: Split, batchSize: number, options: BatchOptions): Batches {
  expectInteger(batchSize, "batches(batchSize)", 1);
  const checked = expectOptions(options, "batches(options)", ["shuffle", "seed", "epoch", "dropLast"]);
  const dropLast = checked.dropLast !== undefined && expectBoolean(checked.dropLast, "batches(options.dropLast)");
  const order = batchOrder(split.size, checked);
  const features = split.size === 0 ? 0 : split.x.length / split.size;
  const count = dropLast ? Math.floor(split.size / batchSize) : Math.ceil(split.size / batchSize);
  return {
    count,
    *[Symbol.iterator]() {
      for (let b = 0; b < count; b++) {
        const indices = order.slice(b * batchSize, (b + 1) * batchSize);
        yield { x: gatherRows(split.x, features, indices), y: gatherLabels(split.y, indices), size: indices.length, indices };
      }
    },
  };
}

/** `n` examples of `split` drawn stratified by class with `seed`, kept in their original order. */
export function subsetOf(split: Split, n: number, seed = 0): Split {
  expectInteger(n, "subsetOf(n)", 0);
  if (n > split.size) throw invalid("subsetOf(n)", `at most the split's ${split.size} examples`, describe(n));
  return selectExamples(split, stratifiedSample(split.y, n, Rng.derive(expectInteger(seed, "subsetOf(seed)"), "subset")));
}
