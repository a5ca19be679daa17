import type { Rng } from "@sparselab/datasets";
import { Mask, MaskSet } from "../masks/index.js";
import type { PrunableTensor } from "../nets/index.js";

/** Scores per prunable tensor: higher means more worth keeping. */
export type Scores = ReadonlyMap<string, Float32Array>;

/** How many weights to keep: per layer, or one count for all layers ranked together. */
export type Budget =
  | { readonly kind: "layerwise"; readonly kept: ReadonlyMap<string, number> }
  | { readonly kind: "global"; readonly kept: number };

/**
 * Keeps the highest-scoring weights within the budget. Ties are broken at random with `rng`
 * (magnitude ties are common at zero), so no position is favoured by its index.
 */
export function selectTopK(tensors: readonly PrunableTensor[], scores: Scores, budget: Budget, rng?: Rng): MaskSet {
  const score = (name: string) => scores.get(name)!;
  if (budget.kind === "layerwise") {
    return MaskSet.from(tensors.map((t) => [t.name, Mask.topK(t.shape, score(t.name), budget.kept.get(t.name)!, { rng })]));
  }
  const total = tensors.reduce((n, t) => n + score(t.name).length, 0);
  const all = new Float32Array(total);
  let offset = 0;
  for (const t of tensors) {
    all.set(score(t.name), offset);
    offset += score(t.name).length;
  }
  const bits = Mask.topK([total], all, budget.kept, { rng }).bits;
  offset = 0;
  return MaskSet.from(tensors.map((t) => {
    const size = score(t.name).length;
    const mask = Mask.fromBits(t.shape, bits.subarray(offset, offset + size));
    offset += size;
    return [t.name, mask];
  }));
}
