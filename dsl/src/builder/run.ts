import { createRequire } from "node:module";
import { loadDataset, Rng, type Dataset } from "@sparselab/datasets";
import type { DataFrame } from "danfojs-node";
import { composeAlgorithms } from "../algorithms/compose.js";
import { gmpAlgorithm } from "../algorithms/gmp.js";
import { nmAlgorithm, nmMasks } from "../algorithms/nm.js";
import { regrowAlgorithm } from "../algorithms/regrow.js";
import { useBackend, type BackendName } from "../backend/index.js";
import { criterion, magnitudeScores, type Budget } from "../criteria/index.js";
import { distributions, type Allocation } from "../distributions/index.js";
import { validateRecipe, type Recipe } from "../io/recipe.js";
import { MaskSet, type MaskSetReport } from "../masks/index.js";
import { buildNet, Net } from "../nets/index.js";
import type { EventListener, HistoryRecord } from "../train/events.js";
import { trainMasked } from "../train/loop.js";
import type { PlanProps } from "./plan.js";
import { DISPLAY, htmlTable, type MimeBundle } from "../display.js";
import { saveCheckpoint } from "../io/checkpoint.js";

export interface RunOptions {
  /** Receives start / step / mask / epoch / end events. */
  readonly onEvent?: EventListener;
  /** Forces a tfjs backend (else SPARSELAB_BACKEND, else the best available). */
  readonly backend?: BackendName;
  /** "auto" (default): MLPs and ConvNets train on the kernels engine when fast kernels load; "tfjs" forces tfjs (else SPARSELAB_ENGINE). */
  readonly engine?: "auto" | "tfjs" | "kernels";
}

export interface RunMetrics {
  readonly testAccuracy: number;
  readonly testLoss: number;
  readonly valAccuracy: number;
  readonly valLoss: number;
  /** Fraction of prunable weights that were active at some point of training. */
  readonly explorationRate: number;
}

/** What the constructor takes: the result's own fields and its history. */
type RunParts = Pick<RunResult, "recipe" | "net" | "masks" | "records" | "metrics" | "backend" | "engine" | "steps" | "seconds" | "dropped" | "grown">;

/** What a run produced: the trained net and its masks, the history and the final metrics. */
export class RunResult {
  readonly recipe: Recipe;
  readonly net: Net;
  readonly masks: MaskSet;
  readonly metrics: RunMetrics;
  readonly backend: BackendName;
  /** What did the arithmetic: "kernels-addon", "kernels-wasm" or "tfjs-<backend>". */
  readonly engine: string;
  readonly steps: number;
  readonly seconds: number;
  /** Per layer, weights removed and added by mask updates over the run. */
  readonly dropped: ReadonlyMap<string, number>;
  readonly grown: ReadonlyMap<string, number>;
  readonly #records: readonly HistoryRecord[];
  #frame?: DataFrame;

  constructor(parts: RunParts) {
    ({ recipe: this.recipe, net: this.net, masks: this.masks, metrics: this.metrics, backend: this.backend, engine: this.engine,
      steps: this.steps, seconds: this.seconds, dropped: this.dropped, grown: this.grown } = parts);
    this.#records = parts.records;
  }

  /** Per-epoch records as plain objects. */
  get records(): readonly HistoryRecord[] {
    return this.#records;
  }

  /** Per-epoch history as a danfo DataFrame (danfo loads on first use: it takes seconds). */
  get history(): DataFrame {
    if (!this.#frame) {
      const dfd = createRequire(import.meta.url)("danfojs-node") as typeof import("danfojs-node");
      this.#frame = new dfd.DataFrame(this.#records.map((r) => ({ ...r })));
    }
    return this.#frame;
  }

  /** Realised density per prunable tensor and overall. */
  get report(): MaskSetReport {
    return this.masks.report();
  }

  /** In Jupyter: the metrics and per-layer densities (charts: `show(trainingCurves(result))` from @sparselab/kernel). */
  [DISPLAY](): MimeBundle {
    const { layers, overall } = this.report;
    const m = this.metrics;
    const text = `RunResult: test accuracy ${m.testAccuracy.toFixed(4)}, density ${overall.density.toFixed(4)} ` +
      `(${overall.kept}/${overall.total}), ${this.steps} steps on ${this.engine} in ${this.seconds.toFixed(1)}s`;
    return {
      "text/plain": text,
      "text/html": `<p>${text}</p>` + htmlTable(["tensor", "shape", "kept", "total", "density"],
        [...layers.map((l) => [l.name, l.shape.join("×"), l.kept, l.total, l.density]), ["overall", "", overall.kept, overall.total, overall.density]]),
    };
  }

  /** Writes the trained net, its masks, recipe and metrics as one checkpoint file (atomically). */
  save(path: string): Promise<void> {
    return saveCheckpoint(path, this.net, this.masks, { recipe: this.recipe, metrics: this.metrics, steps: this.steps });
  }

  /** The summary the CLI prints. */
  toJSON() {
    const { layers, overall } = this.report;
    return {
      ...this.metrics, seed: this.recipe.train.seed, backend: this.backend, engine: this.engine, steps: this.steps, seconds: this.seconds, overall,
      layers: layers.map((l) => ({ ...l, dropped: this.dropped.get(l.name) ?? 0, grown: this.grown.get(l.name) ?? 0 })),
    };
  }
}

/** Turns a distribution's allocation into the budget a criterion selects within. */
function budgetOf(allocation: Allocation): Budget {
  return allocation.kind === "global"
    ? { kind: "global", kept: allocation.kept }
    : { kind: "layerwise", kept: new Map(allocation.layers.map((l) => [l.name, l.kept])) };
}

export async function runPlan(props: PlanProps, recipe: Recipe, options: RunOptions): Promise<RunResult> {
  const started = Date.now();
  const backend = await useBackend({ backend: options.backend });
  const data: Dataset = props.data && "spec" in props.data ? props.data : await loadDataset(recipe.data);
  const net = props.net instanceof Net ? props.net.clone() : buildNet(recipe.net);
  let masks = MaskSet.dense(net.prunable);
  if (recipe.nm) {
    masks = nmMasks(net.prunable, magnitudeScores(net), recipe.nm);
  } else if (recipe.sparsity) {
    const chosen = criterion(recipe.criterion?.name ?? "random", "run");
    const seed = recipe.criterion?.seed ?? recipe.net.seed;
    const budget = budgetOf(distributions.fromConfig(recipe.sparsity).allocate(net.prunable));
    masks = chosen.prune({ net, budget, rng: Rng.derive(seed, "criterion"), data });
  }
  const outcome = await trainMasked({
    net, masks, data, train: recipe.train, onEvent: options.onEvent, engine: options.engine,
    algorithm: composeAlgorithms([
      ...(recipe.prune ? [gmpAlgorithm(recipe.prune)] : []),
      ...(recipe.regrow ? [regrowAlgorithm(recipe.regrow)] : []),
      ...(recipe.nm ? [nmAlgorithm(recipe.nm)] : []),
    ]),
  });
  const last = outcome.history[outcome.history.length - 1];
  // Record the data actually used (e.g. "auto" resolved to "full" or "embedded", defaults filled in).
  const ran = validateRecipe({ ...recipe, data: data.spec }, "run");
  return new RunResult({
    recipe: ran, net, masks: outcome.masks, records: outcome.history, backend: backend.name, engine: outcome.engine, steps: outcome.steps,
    seconds: (Date.now() - started) / 1000, dropped: outcome.dropped, grown: outcome.grown,
    metrics: {
      testAccuracy: outcome.test.accuracy, testLoss: outcome.test.loss, valAccuracy: last?.valAccuracy ?? NaN,
      valLoss: last?.valLoss ?? NaN, explorationRate: outcome.explorationRate,
    },
  });
}
