import { Mask, MaskSet } from "../masks/index.js";
import { dropFraction, validateDropSchedule, type DropSchedule } from "../schedules/drop.js";
import { argError } from "../errors.js";
import { checkKnownKeys, checkNumberIn, checkOneOf, checkPlainObject, checkPositiveInt } from "../validate.js";
import type { MaskChange, SparsityAlgorithm, UpdateContext } from "./base.js";

export const REGROW_METHODS = ["set", "rigl", "gradient"] as const;
export type RegrowMethod = (typeof REGROW_METHODS)[number];

/** Drop-and-grow during training, as it appears in a recipe. */
export interface RegrowSpec {
  readonly method: RegrowMethod;
  /** Steps between updates. */
  readonly every: number;
  /** Fraction of each layer's active weights replaced per update. */
  readonly drop: DropSchedule;
  /** Updates happen between these fractions of training. */
  readonly begin: number;
  readonly until: number;
}

/**
 * How each method grows: SET at random, RigL and GraNet's regeneration ("gradient") where the
 * dense gradient is largest. RigL replaces the optimizer step on update steps and drops
 * ⌊f·n⌋; GraNet keeps the step and drops ⌈f·n⌉ (its regeneration must never round to nothing).
 */
const METHODS: Record<RegrowMethod, { grow: "random" | "gradient"; round: (x: number) => number; skipsOptimizerStep: boolean }> = {
  set: { grow: "random", round: Math.floor, skipsOptimizerStep: false },
  rigl: { grow: "gradient", round: Math.floor, skipsOptimizerStep: true },
  gradient: { grow: "gradient", round: Math.ceil, skipsOptimizerStep: false },
};

const KEYS = ["method", "every", "drop", "begin", "until"] as const;

export function validateRegrow(value: unknown, call = "regrow"): RegrowSpec {
  const o = checkPlainObject(call, "options", value);
  checkKnownKeys(call, "options", o, KEYS);
  checkOneOf(call, "method", o.method, REGROW_METHODS);
  checkPositiveInt(call, "every", o.every);
  checkNumberIn(call, "begin", o.begin, 0, 1);
  checkNumberIn(call, "until", o.until, 0, 1);
  if ((o.until as number) < (o.begin as number)) throw argError(call, "until", `a fraction ≥ begin (${o.begin})`, o.until);
  return Object.freeze({ ...o, drop: validateDropSchedule(o.drop, call) }) as unknown as RegrowSpec;
}

/** `regrow("rigl", { every: 100, drop: cosine(0.3), until: 0.75 })` with RigL's defaults filled in. */
export function regrow(method: RegrowMethod, options: { every?: number; drop?: number | DropSchedule; begin?: number; until?: number } = {}): RegrowSpec {
  checkOneOf("regrow", "method", method, REGROW_METHODS);
  const o = checkPlainObject("regrow", "options", options);
  return validateRegrow({ method, every: 100, drop: { kind: "cosine", initial: 0.3 }, begin: 0, until: 0.75, ...o }, "regrow");
}

export function regrowAlgorithm(spec: RegrowSpec): SparsityAlgorithm {
  const method = METHODS[spec.method];
  const window = (totalSteps: number) => ({ begin: Math.round(spec.begin * totalSteps), end: Math.round(spec.until * totalSteps) });
  return {
    name: spec.method,
    needsDenseGradients: method.grow === "gradient",
    skipsOptimizerStep: method.skipsOptimizerStep,
    updatesAt(step, totalSteps) {
      const { begin, end } = window(totalSteps);
      return step % spec.every === 0 && step >= begin && step <= end;
    },
    update(context: UpdateContext): MaskChange {
      const { begin, end } = window(context.totalSteps);
      const fraction = dropFraction(spec.drop, end > begin ? (context.step - begin) / (end - begin) : 1);
      const masks: [string, Mask][] = [];
      const reset: [string, Mask][] = [];
      const dropped = new Map<string, number>();
      for (const [name, mask] of context.masks.entries) {
        // A dense layer has nothing inactive to grow into: dropping would only reset weights.
        const count = mask.kept === mask.total ? 0 : Math.min(method.round(fraction * mask.kept), mask.kept);
        const { next, grown } = dropAndGrow(name, mask, count, context, method.grow);
        masks.push([name, next]);
        reset.push([name, grown]);
        dropped.set(name, count);
      }
      return { masks: MaskSet.from(masks), dropped, grown: new Map(dropped), reset: MaskSet.from(reset) };
    },
    toJSON: () => spec,
  };
}

/**
 * Drops the `count` smallest-|w| active weights of one tensor and grows `count` inactive ones
 * (the just-dropped included). Ties are broken at random, so equal magnitudes carry no index bias.
 */
function dropAndGrow(name: string, mask: Mask, count: number, context: UpdateContext, grow: "random" | "gradient"): { next: Mask; grown: Mask } {
  if (count === 0) return { next: mask, grown: Mask.fromBits(mask.shape, new Uint8Array(mask.total)) };
  const weights = context.net.params.get(name)!.dataSync();
  const keepScores = new Float32Array(mask.total);
  for (let i = 0; i < mask.total; i++) keepScores[i] = mask.bits[i] ? Math.abs(weights[i]) : -Infinity;
  const afterDrop = Mask.topK(mask.shape, keepScores, mask.kept - count, { rng: context.rng });

  const gradient = context.denseGradients?.get(name);
  if (grow === "gradient" && !gradient) throw new Error(`regrow: no dense gradient for ${name}; the loop must provide it`);
  const growScores = new Float32Array(mask.total);
  for (let i = 0; i < mask.total; i++) {
    growScores[i] = afterDrop.bits[i] ? -Infinity : grow === "random" ? context.rng.next() : Math.abs(gradient![i]);
  }
  const grown = Mask.topK(mask.shape, growScores, count, { rng: context.rng });
  return { next: afterDrop.or(grown), grown };
}
