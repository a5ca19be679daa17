import { checkSparsity } from "../validate.js";
import { erdosRenyiAllocation } from "./erdos-renyi.js";
import { defineDistribution } from "./layerwise.js";
import type { Distribution, ErkConfig, LayerwiseAllocation } from "./types.js";

/**
 * Erdős–Rényi-Kernel (RigL): raw density Σdims / Πdims over every kernel dimension, so a conv
 * kernel [kh, kw, cin, cout] gets (kh + kw + cin + cout) / (kh·kw·cin·cout). Larger layers end
 * up sparser; small ones may become dense.
 */
export function erk(sparsity: number): Distribution<ErkConfig, LayerwiseAllocation> {
  checkSparsity("erk", "sparsity", sparsity);
  return defineDistribution({ name: "erk", sparsity }, (tensors) =>
    erdosRenyiAllocation(tensors, sparsity, (shape) => shape.reduce((a, b) => a + b, 0) / shape.reduce((a, b) => a * b, 1)));
}
