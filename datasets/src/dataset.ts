/**
 * The shape every loader returns: plain typed arrays, no tensors, so this package stays free of
 * tfjs and the DSL decides when and on which backend data becomes tensors.
 */
import { Rng } from "./random.js";
import { complement, stratifiedSample, validationCount } from "./sampling.js";
import type { DatasetSpec } from "./spec.js";

/** `size` examples; `x` holds them row-major (`size × features`), `y` their class indices. */
export interface Split {
  readonly x: Float32Array;
  readonly y: Int32Array;
  readonly size: number;
}

export type InputShape = readonly [height: number, width: number, channels: number];

export interface Dataset {
  readonly name: DatasetSpec["name"];
  readonly source: "full" | "embedded" | "synthetic";
  /** The resolved spec (defaults filled in): `loadDataset(spec)` reloads the same examples. */
  readonly spec: DatasetSpec;
  readonly inputShape: InputShape;
  /** Pixels per example: the product of `inputShape`. */
  readonly features: number;
  readonly numClasses: number;
  readonly classNames: readonly string[];
  readonly train: Split;
  readonly validation: Split;
  readonly test: Split;
}

/** value · scale + shift: how raw values (e.g. IDX bytes) become model inputs. */
export interface PixelTransform {
  readonly scale: number;
  readonly shift: number;
}

const IDENTITY: PixelTransform = { scale: 1, shift: 0 };

/** Copies the rows `indices` of `source` (`features` values per row) into a new Float32Array, transformed. */
export function gatherRows(source: Uint8Array | Float32Array, features: number, indices: ArrayLike<number>, transform = IDENTITY): Float32Array {
  const out = new Float32Array(indices.length * features);
  const { scale, shift } = transform;
  for (let r = 0; r < indices.length; r++) {
    const from = indices[r] * features;
    const to = r * features;
    if (scale === 1 && shift === 0) {
      out.set(source.subarray(from, from + features), to);
    } else {
      for (let f = 0; f < features; f++) out[to + f] = source[from + f] * scale + shift;
    }
  }
  return out;
}

export function gatherLabels(labels: ArrayLike<number>, indices: ArrayLike<number>): Int32Array {
  const out = new Int32Array(indices.length);
  for (let r = 0; r < indices.length; r++) out[r] = labels[indices[r]];
  return out;
}

/** The examples `indices` of `split`, in that order. */
export function selectExamples(split: Split, indices: ArrayLike<number>): Split {
  const features = split.size === 0 ? 0 : split.x.length / split.size;
  return { x: gatherRows(split.x, features, indices), y: gatherLabels(split.y, indices), size: indices.length };
}

/** Raw examples before they become splits: IDX bytes with their pixel transform, or ready values. */
export interface Examples {
  readonly x: Uint8Array | Float32Array;
  readonly y: ArrayLike<number>;
  readonly features: number;
  readonly transform: PixelTransform;
}

function toSplit(examples: Examples, indices: Int32Array): Split {
  return { x: gatherRows(examples.x, examples.features, indices, examples.transform), y: gatherLabels(examples.y, indices), size: indices.length };
}

/** All of `examples` as one split. */
export function wholeSplit(examples: Examples): Split {
  return toSplit(examples, Int32Array.from({ length: examples.y.length }, (_, i) => i));
}

/**
 * Holds out a stratified validation split of `validation` (fraction or count) examples, chosen by
 * `splitSeed` alone so the same seed gives the same split whatever else a run changes.
 */
export function splitOffValidation(examples: Examples, validation: number, splitSeed: number, where: string): { train: Split; validation: Split } {
  const size = examples.y.length;
  const held = stratifiedSample(examples.y, validationCount(validation, size, where), Rng.derive(splitSeed, "validation"));
  return { train: toSplit(examples, complement(size, held)), validation: toSplit(examples, held) };
}
