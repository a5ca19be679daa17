import { argError, SparselabError } from "../errors.js";
import { shapeSize } from "../masks/shape.js";
import { checkKnownKeys, checkPlainObject, checkSparsity } from "../validate.js";
import { defineDistribution, keptBudget, roundToBudget, totalSize } from "./layerwise.js";
import type { Distribution, LayerwiseAllocation, UniformConfig } from "./types.js";

export interface UniformOptions {
  /** Keep the first prunable tensor dense (common for the input layer, which has few weights). */
  readonly denseFirst?: boolean;
  /** Keep the last prunable tensor dense (the classifier). */
  readonly denseLast?: boolean;
}

/**
 * The same density in every layer. Dense first/last layers still count toward the overall
 * budget, so the other layers become sparser to keep the net at `sparsity` overall.
 */
export function uniform(sparsity: number, options: UniformOptions = {}): Distribution<UniformConfig, LayerwiseAllocation> {
  checkSparsity("uniform", "sparsity", sparsity);
  checkKnownKeys("uniform", "options", checkPlainObject("uniform", "options", options), ["denseFirst", "denseLast"]);
  for (const key of ["denseFirst", "denseLast"] as const) {
    if (options[key] !== undefined && typeof options[key] !== "boolean") throw argError("uniform", `options.${key}`, "a boolean", options[key]);
  }
  const { denseFirst = false, denseLast = false } = options;
  return defineDistribution({ name: "uniform", sparsity, denseFirst, denseLast }, (tensors) => {
    const sizes = tensors.map((tensor) => shapeSize(tensor.shape));
    const budget = keptBudget(sparsity, totalSize(tensors));
    const dense = sizes.map((_, i) => (denseFirst && i === 0) || (denseLast && i === sizes.length - 1));
    const denseKept = sizes.reduce((sum, size, i) => sum + (dense[i] ? size : 0), 0);
    const sparseTotal = sizes.reduce((sum, size, i) => sum + (dense[i] ? 0 : size), 0);
    if (denseKept > budget || (sparseTotal === 0 && denseKept !== budget)) {
      throw new SparselabError(`uniform.allocate(tensors): expected the dense first/last layers to fit the budget of ` +
        `${budget} weights at sparsity ${sparsity}, received dense layers with ${denseKept} weights`);
    }
    const density = sparseTotal === 0 ? 1 : (budget - denseKept) / sparseTotal;
    return roundToBudget(tensors, sizes.map(() => density), dense, budget);
  });
}
