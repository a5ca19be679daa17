/**
 * The serialisable parts of the iterative experiments, as they appear in a recipe: `lottery`
 * (iterative magnitude pruning with rewinding, open_lth semantics) and `soup` (sparse model soups).
 */
import { argError } from "../errors.js";
import { checkKnownKeys, checkNonNegativeInt, checkNumberIn, checkOneOf, checkPlainObject, checkPositiveInt } from "../validate.js";

export const LOTTERY_CONTROLS = ["reinit", "random-mask"] as const;
/** `reinit`: the ticket's mask with a fresh random init; `random-mask`: the ticket's per-layer counts at random positions. */
export type LotteryControl = (typeof LOTTERY_CONTROLS)[number];

/** Iterative magnitude pruning / lottery tickets, as it appears in a recipe. */
export interface LotterySpec {
  /** Pruning levels after the dense level 0 (levels 0 … rounds are trained). */
  readonly rounds: number;
  /** Fraction of the *remaining* weights pruned at each level, in (0, 1). */
  readonly rate: number;
  /** Per-tensor rates overriding `rate` (scope "layer"), e.g. { "fc3.kernel": 0.1 } for the paper's output layer. */
  readonly layerRates?: Readonly<Record<string, number>>;
  /** Rank all weights together (open_lth's sparse_global) or each layer on its own. */
  readonly scope: "global" | "layer";
  /** Surviving weights restart from their values after `step` optimizer steps of level 0 (0 = init). */
  readonly rewind: { readonly step: number };
  /** Control arms trained at every level ≥ 1 next to the ticket. */
  readonly controls: readonly LotteryControl[];
  /** Steps between validation evaluations (the early-stop iteration is the one of minimum validation loss); default ¼ epoch. */
  readonly evalEvery?: number;
}

const LOTTERY_KEYS = ["rounds", "rate", "layerRates", "scope", "rewind", "controls", "evalEvery"] as const;

function checkRate(call: string, arg: string, value: unknown): number {
  return checkNumberIn(call, arg, value, 0, 1, { minOpen: true, maxOpen: true });
}

export function validateLottery(value: unknown, call = "lottery"): LotterySpec {
  const o = checkPlainObject(call, "options", value);
  checkKnownKeys(call, "options", o, LOTTERY_KEYS);
  checkPositiveInt(call, "rounds", o.rounds);
  checkRate(call, "rate", o.rate);
  let layerRates: Record<string, number> | undefined;
  if (o.layerRates !== undefined) {
    const rates = checkPlainObject(call, "layerRates", o.layerRates);
    layerRates = {};
    for (const [name, rate] of Object.entries(rates)) layerRates[name] = checkRate(call, `layerRates["${name}"]`, rate);
  }
  const scope = checkOneOf(call, "scope", o.scope, ["global", "layer"]);
  if (layerRates && scope !== "layer") throw argError(call, "layerRates", 'scope "layer" to go with per-layer rates', o.layerRates);
  const rewind = checkPlainObject(call, "rewind", o.rewind);
  checkKnownKeys(call, "rewind", rewind, ["step"]);
  checkNonNegativeInt(call, "rewind.step", rewind.step);
  if (!Array.isArray(o.controls)) throw argError(call, "controls", `an array of ${LOTTERY_CONTROLS.map((c) => `"${c}"`).join(" | ")}`, o.controls);
  const controls = o.controls.map((c, i) => checkOneOf(call, `controls[${i}]`, c, LOTTERY_CONTROLS));
  if (new Set(controls).size !== controls.length) throw argError(call, "controls", "each control at most once", o.controls);
  if (o.evalEvery !== undefined) checkPositiveInt(call, "evalEvery", o.evalEvery);
  return Object.freeze({
    rounds: o.rounds as number, rate: o.rate as number, ...(layerRates && { layerRates: Object.freeze(layerRates) }), scope,
    rewind: Object.freeze({ step: rewind.step as number }), controls: Object.freeze(controls),
    ...(o.evalEvery !== undefined && { evalEvery: o.evalEvery as number }),
  });
}

/** What the options of `.lottery({...})` may leave out (the recipe records every value). */
export interface LotteryOptions {
  readonly rounds: number;
  readonly rate: number;
  readonly layerRates?: Readonly<Record<string, number>>;
  /** Default "global", or "layer" when `layerRates` are given. */
  readonly scope?: "global" | "layer";
  /** Rewind point: a step count or `{ step }` (default 0: the initialisation). */
  readonly rewind?: number | { readonly step: number };
  readonly controls?: readonly LotteryControl[];
  readonly evalEvery?: number;
}

/** `lottery({ rounds: 10, rate: 0.2 })` with the defaults filled in. */
export function lotterySpec(options: LotteryOptions, call = "lottery"): LotterySpec {
  const o = checkPlainObject(call, "options", options) as unknown as LotteryOptions;
  const rewind = o.rewind === undefined ? { step: 0 } : typeof o.rewind === "number" ? { step: o.rewind } : o.rewind;
  return validateLottery({ controls: [], scope: o.layerRates ? "layer" : "global", ...o, rewind }, call);
}

export const SOUP_KNOBS = ["seed", "weightDecay", "lr", "epochs"] as const;
/** The one training setting that differs between a phase's ingredients. */
export type SoupKnob = (typeof SOUP_KNOBS)[number];
export const SOUP_MERGES = ["uniform", "greedy"] as const;
export type SoupMerge = (typeof SOUP_MERGES)[number];

/** Sparse model soups (Zimmer et al. 2023), as they appear in a recipe. */
export interface SoupSpec {
  /** Models retrained per phase from the same pruned start and mask (m). */
  readonly ingredients: number;
  /** Prune-and-retrain phases to reach the goal sparsity (each removes q = 1 − (1 − goal)^(1/phases) of what remains). */
  readonly phases: number;
  /** The knob the ingredients differ in: "seed" (batch order), "weightDecay", "lr" or "epochs" (retrain length). */
  readonly vary: SoupKnob;
  /** One value per ingredient for the knob (absent for "seed": seeds are derived from the train seed). */
  readonly values?: readonly number[];
  /** Which soup the next phase continues from; both are always evaluated. */
  readonly merge: SoupMerge;
  /** Dense training epochs before phase 1 (0: the net is already trained). */
  readonly pretrain: number;
  /** Also run IMP alone: one model per phase, pruned from its own previous phase (the baseline). */
  readonly baseline: boolean;
}

const SOUP_KEYS = ["ingredients", "phases", "vary", "values", "merge", "pretrain", "baseline"] as const;

export function validateSoup(value: unknown, call = "soup"): SoupSpec {
  const o = checkPlainObject(call, "options", value);
  checkKnownKeys(call, "options", o, SOUP_KEYS);
  const ingredients = checkPositiveInt(call, "ingredients", o.ingredients);
  checkPositiveInt(call, "phases", o.phases);
  const vary = checkOneOf(call, "vary", o.vary, SOUP_KNOBS);
  let values: number[] | undefined;
  if (vary === "seed") {
    if (o.values !== undefined) throw argError(call, "values", 'no values with vary "seed" (ingredient seeds derive from the train seed)', o.values);
  } else {
    if (!Array.isArray(o.values) || o.values.length !== ingredients) {
      throw argError(call, "values", `${ingredients} ${vary} values (one per ingredient)`, o.values);
    }
    values = o.values.map((v, i) => vary === "epochs" ? checkPositiveInt(call, `values[${i}]`, v)
      : vary === "lr" ? checkNumberIn(call, `values[${i}]`, v, 0, Number.MAX_VALUE, { minOpen: true })
        : checkNumberIn(call, `values[${i}]`, v, 0, 1));
  }
  const merge = checkOneOf(call, "merge", o.merge, SOUP_MERGES);
  const pretrain = checkNonNegativeInt(call, "pretrain", o.pretrain);
  if (typeof o.baseline !== "boolean") throw argError(call, "baseline", "a boolean", o.baseline);
  return Object.freeze({
    ingredients, phases: o.phases as number, vary, ...(values && { values: Object.freeze(values) }), merge, pretrain, baseline: o.baseline,
  });
}

export interface SoupOptions {
  readonly ingredients: number;
  readonly phases: number;
  /** Default "seed". */
  readonly vary?: SoupKnob;
  readonly values?: readonly number[];
  /** Default "greedy". */
  readonly merge?: SoupMerge;
  /** Dense pretraining epochs (default: the train epochs; 0 when the net is already trained). */
  readonly pretrain?: number;
  /** Default true. */
  readonly baseline?: boolean;
}

/** `soup({ ingredients: 4, phases: 3 })` with the defaults filled in; `epochs` is the retrain length. */
export function soupSpec(options: SoupOptions, epochs: number | undefined, call = "soup"): SoupSpec {
  const o = checkPlainObject(call, "options", options) as unknown as SoupOptions;
  return validateSoup({ vary: "seed", merge: "greedy", baseline: true, ...o, pretrain: o.pretrain ?? epochs ?? 0 }, call);
}

/** Per-phase prune rate: q = 1 − (1 − goal)^(1/phases). */
export function phaseRate(goal: number, phases: number): number {
  return 1 - (1 - goal) ** (1 / phases);
}
