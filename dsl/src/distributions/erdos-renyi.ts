import type { TensorSpec } from "../masks/shape.js";
import { shapeSize } from "../masks/shape.js";
import { keptBudget, roundToBudget, totalSize } from "./layerwise.js";
import type { LayerwiseAllocation } from "./types.js";

/**
 * rigl's `sparse_utils.get_sparsities_erdos_renyi`: layer i gets density ε·raw_i, with ε solved
 * so the kept weights meet the budget. A layer whose density would exceed 1 is made dense and ε
 * re-solved over the others — one raw value at a time, the largest, as rigl does: densifying a
 * layer lowers ε, which may bring the next candidate back under 1.
 */
export function erdosRenyiAllocation(tensors: readonly TensorSpec[], sparsity: number,
  raw: (shape: readonly number[]) => number): LayerwiseAllocation {
  const sizes = tensors.map((tensor) => shapeSize(tensor.shape));
  const raws = tensors.map((tensor) => raw(tensor.shape));
  const budget = keptBudget(sparsity, totalSize(tensors));
  const dense = tensors.map(() => false);
  let epsilon = 0;
  for (;;) {
    const sparse = sizes.map((_, i) => i).filter((i) => !dense[i]);
    if (sparse.length === 0) break;
    const remaining = budget - sizes.reduce((sum, size, i) => sum + (dense[i] ? size : 0), 0);
    epsilon = remaining / sparse.reduce((sum, i) => sum + raws[i] * sizes[i], 0);
    const maxRaw = Math.max(...sparse.map((i) => raws[i]));
    if (epsilon * maxRaw <= 1) break;
    for (const i of sparse) if (raws[i] === maxRaw) dense[i] = true;
  }
  return roundToBudget(tensors, raws.map((r) => epsilon * r), dense, budget);
}
