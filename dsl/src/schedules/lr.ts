import { argError } from "../errors.js";
import { checkKnownKeys, checkNonNegativeInt, checkNumberIn, checkPlainObject } from "../validate.js";

/** A serialisable learning-rate schedule: the factor applied to the base rate at each step. */
export type LrSchedule =
  | { readonly kind: "constant"; readonly warmup?: number }
  | { readonly kind: "step"; readonly milestones: readonly number[]; readonly gamma: number; readonly warmup?: number }
  | { readonly kind: "cosine"; readonly warmup?: number; readonly floor?: number };

export const constantLr = (options: { warmup?: number } = {}): LrSchedule => validateLrSchedule({ kind: "constant", ...options }, "constantLr");
/** Multiply the rate by `gamma` at each milestone (in epochs). */
export const stepLr = (milestones: number[], gamma = 0.1, options: { warmup?: number } = {}): LrSchedule =>
  validateLrSchedule({ kind: "step", milestones, gamma, ...options }, "stepLr");
/** Cosine decay from the base rate to `floor`·base over the run, after `warmup` linear steps. */
export const cosineLr = (options: { warmup?: number; floor?: number } = {}): LrSchedule =>
  validateLrSchedule({ kind: "cosine", ...options }, "cosineLr");

export function validateLrSchedule(value: unknown, call = "schedule"): LrSchedule {
  const s = checkPlainObject(call, "schedule", value);
  if (s.warmup !== undefined) checkNonNegativeInt(call, "warmup", s.warmup);
  switch (s.kind) {
    case "constant":
      checkKnownKeys(call, "schedule", s, ["kind", "warmup"]);
      break;
    case "step":
      checkKnownKeys(call, "schedule", s, ["kind", "milestones", "gamma", "warmup"]);
      if (!Array.isArray(s.milestones) || s.milestones.some((m, i, a) => !Number.isInteger(m) || m <= 0 || (i > 0 && m <= a[i - 1]))) {
        throw argError(call, "milestones", "increasing positive integers (epochs)", s.milestones);
      }
      checkNumberIn(call, "gamma", s.gamma, 0, 1, { minOpen: true });
      break;
    case "cosine":
      checkKnownKeys(call, "schedule", s, ["kind", "warmup", "floor"]);
      if (s.floor !== undefined) checkNumberIn(call, "floor", s.floor, 0, 1);
      break;
    default:
      throw argError(call, "schedule.kind", '"constant" | "step" | "cosine"', s.kind);
  }
  // Copy the milestones: a plan must not change (nor freeze) an array its caller still holds.
  return Object.freeze({ ...s, ...(s.kind === "step" && { milestones: Object.freeze([...(s.milestones as number[])]) }) }) as LrSchedule;
}

/** The rate factor at `step` (0-based) of `totalSteps`, with `stepsPerEpoch` for epoch milestones. */
export function lrFactor(schedule: LrSchedule, step: number, totalSteps: number, stepsPerEpoch: number): number {
  const warmup = schedule.warmup ?? 0;
  if (step < warmup) return (step + 1) / warmup;
  switch (schedule.kind) {
    case "constant":
      return 1;
    case "step": {
      const epoch = Math.floor(step / stepsPerEpoch);
      return schedule.gamma ** schedule.milestones.filter((m) => epoch >= m).length;
    }
    case "cosine": {
      const floor = schedule.floor ?? 0;
      const progress = Math.min(1, (step - warmup) / Math.max(1, totalSteps - warmup));
      return floor + (1 - floor) * 0.5 * (1 + Math.cos(Math.PI * progress));
    }
  }
}
