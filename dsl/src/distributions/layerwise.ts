import { apportion } from "./apportion.js";
import { checkTensorSpecs, shapeSize, type TensorSpec } from "../masks/shape.js";
import type { Allocation, Distribution, DistributionConfig, LayerAllocation, LayerwiseAllocation } from "./types.js";

/** The number of weights a net keeps at `sparsity`: round((1 − s)·total), the one budget every distribution meets. */
export function keptBudget(sparsity: number, total: number): number {
  return Math.round((1 - sparsity) * total);
}

export function totalSize(tensors: readonly TensorSpec[]): number {
  return tensors.reduce((sum, tensor) => sum + shapeSize(tensor.shape), 0);
}

export function layerwiseAllocation(tensors: readonly TensorSpec[], kept: readonly number[],
  targetDensities: readonly number[]): LayerwiseAllocation {
  const layers: LayerAllocation[] = tensors.map(({ name, shape }, i) => {
    const total = shapeSize(shape);
    return Object.freeze({ name, shape, total, kept: kept[i], density: kept[i] / total, targetDensity: targetDensities[i] });
  });
  const total = totalSize(tensors);
  const keptSum = kept.reduce((sum, count) => sum + count, 0);
  return Object.freeze({ kind: "layerwise", total, kept: keptSum, density: keptSum / total, layers: Object.freeze(layers) });
}

/**
 * Turns real-valued densities into exact counts: layers marked dense keep every weight, the
 * others share the rest of `budget` by largest remainder (see `apportion`).
 */
export function roundToBudget(tensors: readonly TensorSpec[], densities: readonly number[],
  dense: readonly boolean[], budget: number): LayerwiseAllocation {
  const sizes = tensors.map((tensor) => shapeSize(tensor.shape));
  const sparse = sizes.map((_, i) => i).filter((i) => !dense[i]);
  const denseKept = sizes.reduce((sum, size, i) => sum + (dense[i] ? size : 0), 0);
  const counts = apportion(sparse.map((i) => densities[i] * sizes[i]), sparse.map((i) => sizes[i]), budget - denseKept);
  const kept = [...sizes];
  sparse.forEach((layer, j) => (kept[layer] = counts[j]));
  return layerwiseAllocation(tensors, kept, densities.map((density, i) => (dense[i] ? 1 : density)));
}

/** Wraps a config and its allocation rule; `allocate` validates the tensors before the rule sees them. */
export function defineDistribution<C extends DistributionConfig, A extends Allocation>(
  config: C, allocate: (tensors: readonly TensorSpec[]) => A): Distribution<C, A> {
  const frozen = Object.freeze(config);
  return Object.freeze({
    config: frozen,
    allocate: (tensors: readonly TensorSpec[]) => allocate(checkTensorSpecs(`${config.name}.allocate`, "tensors", tensors)),
    toJSON: () => frozen,
  });
}
