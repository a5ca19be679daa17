import type { Dataset } from "@sparselab/datasets";
import { validateGmp, type GmpSpec } from "../algorithms/gmp.js";
import { nm, type NmSpec } from "../algorithms/nm.js";
import { regrow, type RegrowMethod } from "../algorithms/regrow.js";
import type { CriterionName } from "../criteria/index.js";
import { custom, er, erk, global, uniform, type Distribution } from "../distributions/index.js";
import { argError, SparselabError } from "../errors.js";
import { RECIPE_VERSION, validateRecipe, type Recipe } from "../io/recipe.js";
import { Net } from "../nets/index.js";
import { validateTrainSpec } from "../train/spec.js";
import { checkKnownKeys, checkNonNegativeInt, checkOneOf, checkPlainObject } from "../validate.js";
import type {
  CriterionPlan, DistributedPlan, LotteryPlan, LotteryTrainingPlan, MagnitudePlan, NmPlan, PlanProps, RegrowOptions, SoupPlan, SoupTrainingPlan,
  SparsifyPlan, TrainOptions, TrainingPlan,
} from "./plan.js";
import { runPlan, type RunOptions, type RunResult } from "./run.js";
import { lotterySpec, soupSpec, type LotteryOptions, type SoupOptions } from "../experiments/spec.js";
import { runLottery, runSoup } from "../experiments/run.js";
import type { ExperimentRunOptions } from "../experiments/events.js";

/**
 * The one implementation behind every builder stage (kysely's pattern): immutable props, each
 * call returns a new frozen instance; the public interfaces decide which calls each stage offers.
 */
class PlanImpl implements SparsifyPlan, DistributedPlan, CriterionPlan, NmPlan, MagnitudePlan, TrainingPlan {
  readonly #props: PlanProps;

  constructor(props: PlanProps) {
    this.#props = Object.freeze(props);
    Object.freeze(this);
  }

  #with(change: Partial<PlanProps>): PlanImpl {
    return new PlanImpl({ ...this.#props, ...change });
  }

  #distribution(distribution: Distribution): PlanImpl {
    return this.#with({ sparsity: distribution.toJSON() });
  }

  uniform(sparsity: number, options: { denseFirst?: boolean; denseLast?: boolean } = {}): PlanImpl {
    return this.#distribution(uniform(sparsity, options));
  }
  er(sparsity: number): PlanImpl {
    return this.#distribution(er(sparsity));
  }
  erk(sparsity: number): PlanImpl {
    return this.#distribution(erk(sparsity));
  }
  global(sparsity: number): PlanImpl {
    return this.#distribution(global(sparsity));
  }
  custom(densities: Readonly<Record<string, number>>): PlanImpl {
    return this.#distribution(custom(densities));
  }

  #criterion(name: CriterionName, options: { seed?: number }): PlanImpl {
    checkKnownKeys(name, "options", checkPlainObject(name, "options", options), ["seed"]);
    const seed = checkNonNegativeInt(name, "seed", options.seed ?? netSeed(this.#props.net));
    return this.#with({ criterion: { name, seed } });
  }
  random(options: { seed?: number } = {}): PlanImpl {
    return this.#criterion("random", options);
  }
  /** On a distributed plan: the criterion (`{ seed }`); on a fresh plan: `magnitude(sparsity, { scope, seed })`. */
  magnitude(sparsityOrOptions: number | { seed?: number } = {}, options: { scope?: "global" | "layer"; seed?: number } = {}): PlanImpl {
    if (typeof sparsityOrOptions !== "number") return this.#criterion("magnitude", sparsityOrOptions);
    if (this.#props.sparsity) throw new SparselabError("magnitude(sparsity): this plan already has a distribution; use .magnitude() without a sparsity");
    checkKnownKeys("magnitude", "options", checkPlainObject("magnitude", "options", options), ["scope", "seed"]);
    const scope = options.scope === undefined ? "global" : checkOneOf("magnitude", "scope", options.scope, ["global", "layer"]);
    const distribution = scope === "global" ? global(sparsityOrOptions) : uniform(sparsityOrOptions);
    return this.#distribution(distribution).#criterion("magnitude", { ...(options.seed !== undefined && { seed: options.seed }) });
  }

  lottery(options: LotteryOptions): LotteryPlan {
    if (this.#props.sparsity || this.#props.nm) throw new SparselabError("lottery(options): a lottery plan starts from the dense net; drop the distribution");
    return this.#with({ lottery: lotterySpec(options, "lottery") }) as unknown as LotteryPlan;
  }

  soup(options: SoupOptions): SoupPlan {
    if (!this.#props.sparsity) throw new SparselabError("soup(options): a soup needs a goal sparsity first, e.g. .magnitude(0.9)");
    soupSpec(options, 1, "soup"); // validates now; the pretraining default follows .train()'s epochs
    const own = checkPlainObject("soup", "options", options) as unknown as SoupOptions;
    return this.#with({ soup: Object.freeze({ ...own, ...(own.values && { values: Object.freeze([...own.values]) }) }) }) as unknown as SoupPlan;
  }
  snip(options: { seed?: number } = {}): PlanImpl {
    return this.#criterion("snip", options);
  }
  grasp(options: { seed?: number } = {}): PlanImpl {
    return this.#criterion("grasp", options);
  }
  synflow(options: { seed?: number } = {}): PlanImpl {
    return this.#criterion("synflow", options);
  }

  train(options: TrainOptions): PlanImpl {
    const o = checkPlainObject("train", "options", options);
    const { data, ...rest } = o as unknown as TrainOptions;
    if (!isDataset(data)) throw argError("train", "data", "a Dataset (e.g. await sl.datasets.fashionMnist())", data);
    const train = validateTrainSpec({ ...rest, seed: rest.seed ?? netSeed(this.#props.net) }, "train");
    return this.#with({ data, train });
  }

  nm(n: number, m: number, options: Partial<Omit<NmSpec, "n" | "m">> = {}): PlanImpl {
    return this.#with({ nm: nm(n, m, options) });
  }

  prune(spec: GmpSpec): PlanImpl {
    if (this.#props.prune) throw new SparselabError("prune(spec): this plan already prunes; a plan takes one pruning schedule");
    if (this.#props.nm) throw new SparselabError("prune(spec): N:M plans keep their own masks; drop .nm() to prune gradually");
    return this.#with({ prune: validateGmp(spec, "prune") });
  }

  regrow(method: RegrowMethod, options: RegrowOptions = {}): PlanImpl {
    if (this.#props.regrow) throw new SparselabError("regrow(method): this plan already regrows; a plan takes one regrowth rule");
    if (this.#props.nm) throw new SparselabError("regrow(method): N:M plans keep their own masks; regrowth does not apply");
    return this.#with({ regrow: regrow(method, options) });
  }

  toJSON(): Recipe {
    const { net, data, sparsity, criterion, train, prune, regrow, nm, lottery, soup } = this.#props;
    if (!train || !data) throw new SparselabError("toJSON(): a plan becomes a recipe once .train({...}) is set");
    return validateRecipe({
      version: RECIPE_VERSION,
      net: net instanceof Net ? net.spec : net,
      data: isDataset(data) ? data.spec : data,
      ...(sparsity && { sparsity }),
      ...(criterion && { criterion }),
      train,
      ...(prune && { prune }),
      ...(regrow && { regrow }),
      ...(nm && { nm }),
      ...(lottery && { lottery }),
      ...(soup && { soup: soupSpec(soup, train.epochs, "soup") }),
    }, "toJSON");
  }

  /** Typed per stage by the public interfaces: a RunResult, or a LotteryResult / SoupResult for experiments. */
  run(options: RunOptions = {}): Promise<RunResult> {
    if (!this.#props.train || !this.#props.data) throw new SparselabError("run(): set .train({ data, epochs, batchSize, optimizer }) first");
    const recipe = this.toJSON();
    if (recipe.lottery || recipe.soup) {
      const input = { net: this.#props.net instanceof Net ? this.#props.net : undefined, data: isDataset(this.#props.data) ? this.#props.data : undefined };
      const run = recipe.lottery ? runLottery : runSoup;
      return run(input, recipe, options as ExperimentRunOptions) as unknown as Promise<RunResult>;
    }
    return runPlan(this.#props, recipe, options);
  }
}

function netSeed(net: PlanProps["net"]): number {
  return net instanceof Net ? net.spec.seed : net.seed;
}

function isDataset(value: unknown): value is Dataset {
  return typeof value === "object" && value !== null && "spec" in value && "train" in value;
}

/** Starts a plan for `net` (same as `net.sparsify()`). */
export function sparsify(net: Net): SparsifyPlan {
  if (!(net instanceof Net)) throw argError("sparsify", "net", "a sparselab Net (e.g. sl.nets.mlp([784, 300, 100, 10]))", net);
  return new PlanImpl({ net });
}

/** Rebuilds a runnable plan from a JSON recipe (as written by `plan.toJSON()`); lottery and soup recipes: `experiment`. */
export function plan(recipe: unknown): TrainingPlan<"prune" | "regrow"> {
  const r = validateRecipe(recipe, "plan");
  if (r.lottery || r.soup) {
    throw argError("plan", r.lottery ? "recipe.lottery" : "recipe.soup", "a training recipe (lottery and soup recipes run through sl.experiment(recipe))", r.lottery ?? r.soup);
  }
  return new PlanImpl({ net: r.net, data: r.data, sparsity: r.sparsity, criterion: r.criterion, train: r.train, prune: r.prune, regrow: r.regrow, nm: r.nm });
}

/**
 * Rebuilds a lottery or soup experiment from its JSON recipe; `run()` resumes it from its run
 * directory. Narrow on the recipe (`"lottery" in recipe`) to get the result type.
 */
export function experiment(recipe: unknown): LotteryTrainingPlan | SoupTrainingPlan {
  const r = validateRecipe(recipe, "experiment");
  if (!r.lottery && !r.soup) throw argError("experiment", "recipe", "a recipe with a lottery or soup section", recipe);
  // The recipe already holds the soup with its defaults filled in: a complete SoupOptions.
  return new PlanImpl({ net: r.net, data: r.data, sparsity: r.sparsity, criterion: r.criterion, train: r.train, lottery: r.lottery, soup: r.soup }) as unknown as LotteryTrainingPlan | SoupTrainingPlan;
}
