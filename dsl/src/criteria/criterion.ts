import type { Dataset, Rng } from "@sparselab/datasets";
import type { MaskSet } from "../masks/index.js";
import type { Net } from "../nets/index.js";
import type { Budget } from "./select.js";

export interface CriterionContext {
  readonly net: Net;
  readonly budget: Budget;
  readonly rng: Rng;
  /** Training data, for criteria that look at gradients (SNIP, GraSP). */
  readonly data?: Dataset;
}

/** A pruning-at-init criterion: decides which weights the budget keeps. */
export interface Criterion {
  readonly name: CriterionName;
  readonly needsData: boolean;
  prune(context: CriterionContext): MaskSet;
}

export const CRITERIA = ["random", "magnitude", "snip", "grasp", "synflow"] as const;
export type CriterionName = (typeof CRITERIA)[number];
