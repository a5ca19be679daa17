/** Sparse fine-tuning: `sl.finetune.pretrainedVit()`, tasks, deltas, and the methods behind `net.finetune(t)`. */
export { finetune, FINETUNE_METHODS, FinetuneResult, type FinetunePlan, type MethodPlan, type FinetuneMethod, type FinetuneMetrics, type FinetuneRecipe, type FinetuneRunOptions,
  type LoraOptions, type S2ftOptions, type SaraOptions, type LtsftOptions, type MethodConfig } from "./plan.js";
export { SparseDelta, compose, DELTA_FILE_MAGIC, DELTA_FILE_VERSION, type TensorDelta, type AppliedDelta, type DeltaMeta } from "./delta.js";
export { DeltaSwitch } from "./switch.js";
export { fromRecipe, withMethod, type FromRecipeOptions } from "./recipe.js";
export { task, fashionTasks, domainPixels, describeTask, rebuildTask, type TaskOrigin, DOMAINS, PIXEL_MEAN, PIXEL_STD, type Task, type Domain, type TaskOptions, type FashionTasks, type FashionTasksOptions, type TaskDescription } from "./tasks.js";
export { evaluateTask, classMask, type FinetuneOptions, type FinetuneTrain, type TaskEvaluation } from "./train.js";
export { pretrainedVit, pretrainedVitManifest, pretrainedVitFolder, PRETRAINED_VIT_FILE, type PretrainedManifest } from "./pretrained.js";
export { permuteVit, invertPermutation, identityPermutation, chosenFirst, type VitPermutation } from "./permute.js";
export { selectUnits, unitsFirst, S2FT_SELECTIONS, type S2ftUnits, type S2ftSelection, type S2ftConfig } from "./methods/s2ft.js";
export { LORA_TARGETS, type LoraTarget, type LoraConfig } from "./methods/lora.js";
export type { SaraConfig } from "./methods/sara.js";
export type { LtsftConfig } from "./methods/ltsft.js";
export { svd, nuclearNorm, nuclearSubgradientAt, type Svd } from "./svd.js";
export { bodyTensors, type FinetuneEvent, type LoraAdapter, type LoraFactors } from "./context.js";

import type { Net } from "../nets/index.js";
import { argError } from "../errors.js";
/** The |w| below which `fraction` of the body's entries lie: a SaRA threshold for a target trainable share. */
export function thresholdFor(net: Net, fraction: number): number {
  if (typeof fraction !== "number" || !(fraction > 0 && fraction < 1)) throw argError("thresholdFor", "fraction", "a number in (0, 1)", fraction);
  const w = net.snapshot();
  const all: number[] = [];
  for (const t of net.prunable) if (t.name !== "head.kernel") for (const v of w.get(t.name)!) all.push(Math.abs(v));
  all.sort((a, b) => a - b);
  const k = Math.max(1, Math.round(fraction * all.length));
  // Midway between the k-th and (k+1)-th smallest: exactly k entries lie below it (barring ties).
  return k < all.length ? (all[k - 1] + all[k]) / 2 : all[k - 1] * (1 + 1e-6);
}
