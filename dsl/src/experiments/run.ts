/**
 * Runs a lottery or soup recipe for one or many seeds, each in its own run directory named by the
 * hash of the seed's recipe (plus the starting weights when a live, already-changed net was given):
 * rerunning the same call resumes every seed where it stopped.
 */
import { createHash } from "node:crypto";
import { loadDataset, type Dataset } from "@sparselab/datasets";
import { useBackend } from "../backend/index.js";
import { argError, SparselabError } from "../errors.js";
import { validateRecipe, type Recipe } from "../io/recipe.js";
import { buildNet, type Net, type Weights } from "../nets/index.js";
import { checkNonNegativeInt } from "../validate.js";
import type { ExperimentEvent, ExperimentRunOptions } from "./events.js";
import { checkLottery, runLotterySeed, type LotteryRow } from "./lottery.js";
import { LotteryResult, SoupResult, type ExperimentRunInfo } from "./result.js";
import { checkSoup, runSoupSeed, type GreedyStep, type SoupRow } from "./soup.js";
import { RunStore } from "./store.js";

export const DEFAULT_RUNS_DIR = ".runs";

/** The recipe with every seed (net init, batch order, criterion) set to `seed`. */
export function withSeed(recipe: Recipe, seed: number): Recipe {
  return validateRecipe({
    ...recipe, net: { ...recipe.net, seed }, train: { ...recipe.train, seed },
    ...(recipe.criterion && { criterion: { ...recipe.criterion, seed } }),
  }, "run");
}

function sameWeights(a: Weights, b: Weights): boolean {
  for (const [name, w] of a) {
    const v = b.get(name);
    if (!v || v.length !== w.length) return false;
    for (let i = 0; i < w.length; i++) if (!Object.is(v[i], w[i])) return false;
  }
  return true;
}

function weightsHash(weights: Weights): string {
  const hash = createHash("sha256");
  for (const [name, w] of [...weights].sort(([a], [b]) => (a < b ? -1 : 1))) {
    hash.update(name);
    hash.update(new Uint8Array(w.buffer, w.byteOffset, w.byteLength));
  }
  return hash.digest("hex");
}

/**
 * The weights a seed's run starts from: a live net's own weights for its own seed (or for every
 * seed when it is a pretrained start, soup `pretrain: 0`), else the recipe's initialisation.
 * Returned only when they differ from what the recipe would build, with their hash for the run key.
 */
function initialWeights(live: Net | undefined, recipe: Recipe): { weights?: Weights; hash?: string } {
  if (!live) return {};
  const pretrained = recipe.soup !== undefined && recipe.soup.pretrain === 0;
  if (!pretrained && live.spec.seed !== recipe.net.seed) return {};
  const weights = live.snapshot();
  const built = buildNet(recipe.net);
  const same = sameWeights(built.snapshot(), weights);
  built.dispose();
  return same ? {} : { weights, hash: weightsHash(weights) };
}

export interface ExperimentInput {
  /** A live net whose weights start the run (see `initialWeights`). */
  readonly net?: Net;
  readonly data?: Dataset;
}

export function runLottery(input: ExperimentInput, recipe: Recipe, options?: ExperimentRunOptions): Promise<LotteryResult> {
  return runExperiment(input, recipe, options ?? {}, "lottery") as Promise<LotteryResult>;
}

export function runSoup(input: ExperimentInput, recipe: Recipe, options?: ExperimentRunOptions): Promise<SoupResult> {
  return runExperiment(input, recipe, options ?? {}, "soup") as Promise<SoupResult>;
}

async function runExperiment(input: ExperimentInput, recipe: Recipe, options: ExperimentRunOptions, kind: "lottery" | "soup"): Promise<LotteryResult | SoupResult> {
  if (kind === "lottery" && !recipe.lottery) throw new SparselabError("run(): this recipe has no lottery section");
  if (kind === "soup" && !recipe.soup) throw new SparselabError("run(): this recipe has no soup section");
  const seeds = options.seeds;
  if (seeds !== undefined) {
    if (!Array.isArray(seeds) || seeds.length === 0) throw argError("run", "seeds", "a non-empty array of non-negative integers", seeds);
    seeds.forEach((s, i) => checkNonNegativeInt("run", `seeds[${i}]`, s));
    if (new Set(seeds).size !== seeds.length) throw argError("run", "seeds", "distinct seeds", seeds);
  }
  const root = options.dir ?? DEFAULT_RUNS_DIR;
  const backend = await useBackend({ backend: options.backend });
  const data = input.data ?? await loadDataset(recipe.data);
  const ran = validateRecipe({ ...recipe, data: data.spec }, "run");
  if (kind === "lottery") checkLottery(ran, data);
  else checkSoup(ran);

  const runs: ExperimentRunInfo[] = [];
  const lotteryRows: LotteryRow[] = [];
  const soupRows: SoupRow[] = [];
  const greedy = new Map<number, GreedyStep[][]>();
  // Without `seeds` the recipe runs as it is (its seeds may differ from each other).
  for (const seeded of seeds ? seeds.map((s) => withSeed(ran, s)) : [ran]) {
    const seed = seeded.train.seed;
    const initial = initialWeights(input.net, seeded);
    const emit = (event: ExperimentEvent) => options.onEvent?.(event);
    const store = await RunStore.open(root, { ...seeded, ...(initial.hash && { initialWeights: initial.hash }) }, backend.name,
      (event) => emit({ ...event, seed }));
    if (kind === "lottery") {
      const rows = await runLotterySeed(seeded, data, store, emit, initial.weights);
      lotteryRows.push(...rows);
      await store.writeResults({ recipe: seeded, rows });
    } else {
      const out = await runSoupSeed(seeded, data, store, emit, initial.weights);
      soupRows.push(...out.rows);
      greedy.set(seed, out.greedy);
      await store.writeResults({ recipe: seeded, rows: out.rows, greedy: out.greedy });
    }
    runs.push({ seed, key: store.key, dir: store.dir, units: { ...store.counts } });
  }
  return kind === "lottery" ? new LotteryResult(ran, runs, lotteryRows) : new SoupResult(ran, runs, soupRows, greedy);
}
