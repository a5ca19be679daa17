import { argError } from "../errors.js";
import { magnitudeScores, selectTopK, type Budget } from "../criteria/index.js";
import { cubicSparsity, updateSteps } from "../schedules/sparsity.js";
import { checkKnownKeys, checkNumberIn, checkOneOf, checkPlainObject, checkPositiveInt, checkSparsity } from "../validate.js";
import type { MaskChange, SparsityAlgorithm, UpdateContext } from "./base.js";
import { maskChange } from "./change.js";

/** Gradual magnitude pruning (Zhu & Gupta 2017), as it appears in a recipe. */
export interface GmpSpec {
  readonly method: "gmp";
  /** Final sparsity. */
  readonly to: number;
  /** Pruning starts and ends at these fractions of training. */
  readonly start: number;
  readonly end: number;
  /** Steps between mask updates; by default 20 updates over the pruning window. */
  readonly every?: number;
  /** Rank weights within each layer (each reaches `to`) or across all layers together. */
  readonly scope: "layer" | "global";
}

const GMP_KEYS = ["method", "to", "start", "end", "every", "scope"] as const;

/** `gmp({ to: 0.9, start: 0.1, end: 0.7 })`: prune from the initial sparsity to `to` on the cubic schedule. */
export function gmp(options: { to: number; start?: number; end?: number; every?: number; scope?: "layer" | "global" }): GmpSpec {
  return validateGmp({ method: "gmp", start: 0.1, end: 0.7, scope: "layer", ...checkPlainObject("gmp", "options", options) }, "gmp");
}

export function validateGmp(value: unknown, call = "gmp"): GmpSpec {
  const o = checkPlainObject(call, "options", value);
  checkKnownKeys(call, "options", o, GMP_KEYS);
  checkOneOf(call, "method", o.method, ["gmp"]);
  checkSparsity(call, "to", o.to);
  checkNumberIn(call, "start", o.start, 0, 1);
  checkNumberIn(call, "end", o.end, 0, 1);
  if ((o.end as number) < (o.start as number)) throw argError(call, "end", `a fraction ≥ start (${o.start})`, o.end);
  if (o.every !== undefined) checkPositiveInt(call, "every", o.every);
  checkOneOf(call, "scope", o.scope, ["layer", "global"]);
  return Object.freeze({ ...o }) as unknown as GmpSpec;
}

/** The GMP algorithm for a run of `totalSteps`, starting from the sparsity of the initial masks. */
export function gmpAlgorithm(spec: GmpSpec): SparsityAlgorithm {
  let schedule: { steps: Set<number>; begin: number; end: number } | undefined;
  // The sparsity the schedule starts from: that of the masks at the first update.
  let from: { layers: Map<string, number>; overall: number } | undefined;
  const scheduleFor = (totalSteps: number) => {
    if (!schedule) {
      // t0 may be step 0 (before the first optimizer step): updates then fall at every, 2·every, …,
      // the same steps as a regrowth every `every` steps (GraNet prunes and regenerates together).
      const begin = Math.round(spec.start * totalSteps);
      const end = Math.max(begin, 1, Math.round(spec.end * totalSteps));
      const every = spec.every ?? Math.max(1, Math.round((end - begin) / 20));
      schedule = { steps: new Set(updateSteps(begin, end, every).filter((s) => s >= 1)), begin, end };
    }
    return schedule;
  };
  return {
    name: "gmp",
    needsDenseGradients: false,
    updatesAt: (step, totalSteps) => scheduleFor(totalSteps).steps.has(step),
    update(context: UpdateContext): MaskChange {
      const { begin, end } = scheduleFor(context.totalSteps);
      const report = context.masks.report();
      from ??= { layers: new Map(report.layers.map((l) => [l.name, 1 - l.density])), overall: 1 - report.overall.density };
      const start = from;
      const target = (s0: number) => cubicSparsity(context.step, s0, Math.max(s0, spec.to), begin, end);
      const budget: Budget = spec.scope === "global"
        ? { kind: "global", kept: Math.min(report.overall.kept, Math.round((1 - target(start.overall)) * report.overall.total)) }
        : { kind: "layerwise", kept: new Map(report.layers.map((l) => [l.name, Math.min(l.kept, Math.round((1 - target(start.layers.get(l.name)!)) * l.total))])) };
      const next = selectTopK(context.net.prunable, magnitudeScores(context.net), budget, context.rng);
      return maskChange(context.masks, next);
    },
    toJSON: () => spec,
  };
}
