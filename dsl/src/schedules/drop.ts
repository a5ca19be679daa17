import { argError } from "../errors.js";
import { checkKnownKeys, checkNumberIn, checkPlainObject } from "../validate.js";

/**
 * The fraction of active weights a drop-and-grow update replaces, as it changes over the update
 * window [begin, end] (progress p ∈ [0, 1]). Serialisable: it appears in recipes.
 */
export type DropSchedule =
  | { readonly kind: "constant"; readonly initial: number }
  /** RigL's default: initial · (1 + cos(π p)) / 2, decaying to 0 at the end of the window. */
  | { readonly kind: "cosine"; readonly initial: number; readonly final?: number }
  /** initial · (final / initial)^p: a geometric decay to `final`. */
  | { readonly kind: "exponential"; readonly initial: number; readonly final: number };

const fraction = (call: string, arg: string, v: unknown) => checkNumberIn(call, arg, v, 0, 1, { maxOpen: true });

/** A constant drop fraction. */
export const constantDrop = (initial: number): DropSchedule => validateDropSchedule({ kind: "constant", initial }, "constantDrop");
/** Cosine decay from `initial` to `final` (default 0) over the update window. */
export const cosine = (initial: number, final = 0): DropSchedule => validateDropSchedule({ kind: "cosine", initial, final }, "cosine");
/** Geometric decay from `initial` to `final` over the update window. */
export const exponential = (initial: number, final: number): DropSchedule =>
  validateDropSchedule({ kind: "exponential", initial, final }, "exponential");

export function validateDropSchedule(value: unknown, call = "drop"): DropSchedule {
  if (typeof value === "number") return validateDropSchedule({ kind: "constant", initial: value }, call);
  const o = checkPlainObject(call, "drop", value);
  fraction(call, "drop.initial", o.initial);
  switch (o.kind) {
    case "constant":
      checkKnownKeys(call, "drop", o, ["kind", "initial"]);
      break;
    case "cosine":
      checkKnownKeys(call, "drop", o, ["kind", "initial", "final"]);
      if (o.final !== undefined) fraction(call, "drop.final", o.final);
      break;
    case "exponential":
      checkKnownKeys(call, "drop", o, ["kind", "initial", "final"]);
      checkNumberIn(call, "drop.final", o.final, 0, 1, { minOpen: true, maxOpen: true });
      if ((o.initial as number) <= 0) throw argError(call, "drop.initial", "a number in (0, 1) for an exponential decay", o.initial);
      break;
    default:
      throw argError(call, "drop.kind", '"constant" | "cosine" | "exponential"', o.kind);
  }
  return Object.freeze({ ...o }) as unknown as DropSchedule;
}

/** The drop fraction at progress p ∈ [0, 1] of the update window. */
export function dropFraction(schedule: DropSchedule, progress: number): number {
  const p = Math.min(1, Math.max(0, progress));
  switch (schedule.kind) {
    case "constant":
      return schedule.initial;
    case "cosine": {
      const final = schedule.final ?? 0;
      return final + (schedule.initial - final) * 0.5 * (1 + Math.cos(Math.PI * p));
    }
    case "exponential":
      return schedule.initial * (schedule.final / schedule.initial) ** p;
  }
}
