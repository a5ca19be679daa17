/**
 * Exact weight counts for iterative pruning and the magnitude step that reaches them. Counts are a
 * closed form of the level (round(N·(1 − r)^L)), never compounded from rounded previous counts, so
 * the fractions remaining are 0.8, 0.64, 0.512 … up to one weight of rounding.
 */
import type { Rng } from "@sparselab/datasets";
import { magnitudeScores, selectTopK, type Budget } from "../criteria/index.js";
import type { Allocation } from "../distributions/index.js";
import { argError } from "../errors.js";
import type { MaskSet } from "../masks/index.js";
import type { Net, PrunableTensor } from "../nets/index.js";
import type { LotterySpec } from "./spec.js";

const size = (t: PrunableTensor) => t.shape.reduce((a, b) => a * b, 1);

/** The weights kept at IMP level `level` (level 0 is dense). */
export function lotteryBudget(tensors: readonly PrunableTensor[], spec: LotterySpec, level: number): Budget {
  if (spec.layerRates) {
    const known = new Set(tensors.map((t) => t.name));
    for (const name of Object.keys(spec.layerRates)) {
      if (!known.has(name)) throw argError("lottery", `layerRates["${name}"]`, `a prunable tensor (${[...known].join(", ")})`, spec.layerRates[name]);
    }
  }
  if (spec.scope === "global") {
    const total = tensors.reduce((n, t) => n + size(t), 0);
    return { kind: "global", kept: Math.round(total * (1 - spec.rate) ** level) };
  }
  return {
    kind: "layerwise",
    kept: new Map(tensors.map((t) => [t.name, Math.round(size(t) * (1 - (spec.layerRates?.[t.name] ?? spec.rate)) ** level)])),
  };
}

/**
 * The weights kept after phase `phase` of `phases` on the way to a goal allocation: each phase
 * removes the same fraction q = 1 − (1 − goal)^(1/phases) of what remains (per layer for
 * layer-wise distributions); the last phase lands exactly on the allocation's counts.
 */
export function phaseBudget(allocation: Allocation, phase: number, phases: number): Budget {
  const at = (total: number, goalKept: number) => (phase >= phases ? goalKept : Math.round(total * (goalKept / total) ** (phase / phases)));
  if (allocation.kind === "global") return { kind: "global", kept: at(allocation.total, allocation.kept) };
  return { kind: "layerwise", kept: new Map(allocation.layers.map((l) => [l.name, at(l.total, l.kept)])) };
}

/** Kept weights of a budget, per tensor (global budgets have one number for all). */
export function budgetTotal(budget: Budget): number {
  return budget.kind === "global" ? budget.kept : [...budget.kept.values()].reduce((a, b) => a + b, 0);
}

/**
 * Keeps the `budget` largest |w| among the weights `masks` still keeps (pruned positions never
 * come back); ties are broken at random with `rng`.
 */
export function pruneSurviving(net: Net, masks: MaskSet, budget: Budget, rng: Rng): MaskSet {
  const scores = magnitudeScores(net);
  for (const [name, mask] of masks.entries) {
    const s = scores.get(name)!;
    for (let i = 0; i < s.length; i++) if (mask.bits[i] === 0) s[i] = -Infinity;
  }
  return selectTopK(net.prunable, scores, budget, rng);
}
