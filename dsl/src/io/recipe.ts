import { DATASET_NAMES, DATASET_SPEC_KEYS, loadDataset, type DatasetSpec } from "@sparselab/datasets";
import { validateGmp, type GmpSpec } from "../algorithms/gmp.js";
import { validateNm, type NmSpec } from "../algorithms/nm.js";
import { validateRegrow, type RegrowSpec } from "../algorithms/regrow.js";
import { CRITERIA, type CriterionName } from "../criteria/index.js";
import { distributions, type DistributionConfig } from "../distributions/index.js";
import { argError } from "../errors.js";
import { validateLottery, validateSoup, type LotterySpec, type SoupSpec } from "../experiments/spec.js";
import type { NetSpec } from "../nets/index.js";
import { parseNetSpec, netSpecToString } from "../nets/index.js";
import { validateTrainSpec, type TrainSpec } from "../train/spec.js";
import { checkKnownKeys, checkNonNegativeInt, checkOneOf, checkPlainObject } from "../validate.js";

export const RECIPE_VERSION = 1;

/**
 * A plan as JSON: the same recipe runs from a notebook, a script and the CLI.
 * `sparsity` is absent for dense training; `criterion` defaults to random.
 */
export interface Recipe {
  readonly version: typeof RECIPE_VERSION;
  readonly net: NetSpec;
  readonly data: DatasetSpec;
  readonly sparsity?: DistributionConfig;
  readonly criterion?: { readonly name: CriterionName; readonly seed: number };
  readonly train: TrainSpec;
  readonly prune?: GmpSpec;
  readonly regrow?: RegrowSpec;
  readonly nm?: NmSpec;
  /** Iterative magnitude pruning with rewinding (lottery tickets): starts dense, prunes by itself. */
  readonly lottery?: LotterySpec;
  /** Sparse model soups towards the goal `sparsity` (magnitude pruning each phase). */
  readonly soup?: SoupSpec;
}

const RECIPE_KEYS = ["version", "net", "data", "sparsity", "criterion", "train", "prune", "regrow", "nm", "lottery", "soup"] as const;

/** The keys each dataset spec accepts (their values are checked when the data loads). */
function validateData(value: unknown, call: string): DatasetSpec {
  const o = checkPlainObject(call, "recipe.data", value);
  const name = checkOneOf(call, "recipe.data.name", o.name, DATASET_NAMES);
  checkKnownKeys(call, "recipe.data", o, DATASET_SPEC_KEYS[name]);
  return o as unknown as DatasetSpec;
}

/** The keys of each net kind's spec, as a recipe holds them. */
const NET_KEYS = {
  mlp: ["kind", "sizes", "seed"],
  conv: ["kind", "input", "convs", "dense", "seed"],
  vit: ["kind", "input", "patch", "dim", "heads", "mlp", "depth", "classes", "seed"],
} as const;

function validateNet(value: unknown, call: string): NetSpec {
  const o = checkPlainObject(call, "net", value);
  const kind = checkOneOf(call, "net.kind", o.kind, Object.keys(NET_KEYS) as (keyof typeof NET_KEYS)[]);
  const seed = checkNonNegativeInt(call, "net.seed", o.seed);
  checkKnownKeys(call, "net", o, NET_KEYS[kind]);
  // Sizes are JSON numbers ("300" would pass the text parser below).
  const size = (v: unknown) => typeof v === "number" && Number.isInteger(v) && v > 0;
  const keys: readonly string[] = NET_KEYS[kind];
  for (const key of keys.filter((k) => k !== "kind" && k !== "seed")) {
    const values = Array.isArray(o[key]) ? (o[key] as unknown[]) : [o[key]];
    if (!values.every((v) => size(v) || (key === "convs" && v === "pool"))) {
      throw argError(call, `net.${key}`, key === "convs" ? 'positive integers and "pool"' : "positive integers", o[key]);
    }
  }
  // The text form has one parser with all the structural checks; round-trip through it.
  return parseNetSpec(netSpecToString(o as unknown as NetSpec), seed, call);
}

/** Checks a recipe read from JSON; unknown keys and wrong types are errors naming the key and value. */
export function validateRecipe(value: unknown, call = "plan"): Recipe {
  const o = checkPlainObject(call, "recipe", value);
  checkKnownKeys(call, "recipe", o, RECIPE_KEYS);
  if (o.version !== RECIPE_VERSION) throw argError(call, "recipe.version", String(RECIPE_VERSION), o.version);
  const net = validateNet(o.net, call);
  const data = validateData(o.data, call);
  const sparsity = o.sparsity === undefined ? undefined : distributions.fromConfig(o.sparsity).toJSON();
  let criterion: Recipe["criterion"];
  if (o.criterion !== undefined) {
    const c = checkPlainObject(call, "recipe.criterion", o.criterion);
    checkKnownKeys(call, "recipe.criterion", c, ["name", "seed"]);
    criterion = { name: checkOneOf(call, "recipe.criterion.name", c.name, CRITERIA), seed: checkNonNegativeInt(call, "recipe.criterion.seed", c.seed) };
  }
  if (criterion && !sparsity) throw argError(call, "recipe.criterion", "a recipe.sparsity for the criterion to prune to", o.criterion);
  const train = validateTrainSpec(checkPlainObject(call, "recipe.train", o.train), call);
  const prune = o.prune === undefined ? undefined : validateGmp(o.prune, call);
  const regrow = o.regrow === undefined ? undefined : validateRegrow(o.regrow, call);
  const nm = o.nm === undefined ? undefined : validateNm(o.nm, call);
  if (nm && (sparsity || prune || regrow)) {
    throw argError(call, "recipe.nm", "no sparsity, prune or regrow alongside it (N:M masks manage themselves)", o.nm);
  }
  if (regrow && !sparsity && !prune) throw argError(call, "recipe.regrow", "a recipe.sparsity or recipe.prune to make the net sparse", o.regrow);
  const lottery = o.lottery === undefined ? undefined : validateLottery(o.lottery, call);
  if (lottery && (sparsity || prune || regrow || nm)) {
    throw argError(call, "recipe.lottery", "no sparsity, prune, regrow or nm alongside it (IMP starts dense and prunes by itself)", o.lottery);
  }
  const soup = o.soup === undefined ? undefined : validateSoup(o.soup, call);
  if (soup) {
    if (!sparsity) throw argError(call, "recipe.soup", "a recipe.sparsity: the goal the phases prune to", o.soup);
    if (criterion && criterion.name !== "magnitude") throw argError(call, "recipe.criterion.name", '"magnitude" with a soup (each phase prunes by magnitude)', criterion.name);
    if (prune || regrow || nm || lottery) throw argError(call, "recipe.soup", "no prune, regrow, nm or lottery alongside it", o.soup);
  }
  return deepFreeze({
    version: RECIPE_VERSION, net, data, ...(sparsity && { sparsity }), ...(criterion && { criterion }), train, ...(prune && { prune }),
    ...(regrow && { regrow }), ...(nm && { nm }), ...(lottery && { lottery }), ...(soup && { soup }),
  });
}

/** Loads the dataset a recipe names (validating its spec). */
export function recipeData(recipe: Recipe) {
  return loadDataset(recipe.data);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}
