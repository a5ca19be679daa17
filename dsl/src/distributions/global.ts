import { checkSparsity } from "../validate.js";
import { defineDistribution, keptBudget, totalSize } from "./layerwise.js";
import type { Distribution, GlobalAllocation, GlobalConfig } from "./types.js";

/**
 * No per-layer split: one budget for the whole net, which the criterion fills by ranking every
 * weight of every prunable tensor together (global magnitude pruning, GraNet, IMP's global mode).
 */
export function global(sparsity: number): Distribution<GlobalConfig, GlobalAllocation> {
  checkSparsity("global", "sparsity", sparsity);
  return defineDistribution({ name: "global", sparsity }, (tensors) => {
    const total = totalSize(tensors);
    const kept = keptBudget(sparsity, total);
    return Object.freeze({ kind: "global", total, kept, density: kept / total });
  });
}
