import { createRequire } from "node:module";
import type { DataFrame } from "danfojs-node";
import { DISPLAY, htmlTable, type MimeBundle } from "../display.js";
import type { Recipe } from "../io/recipe.js";
import { lotteryLevels, type LotteryLevel, type LotteryRow } from "./lottery.js";
import type { GreedyStep, SoupRow } from "./soup.js";
import type { SoupMerge } from "./spec.js";

/** Where one seed's run lives and how much of it was reused. */
export interface ExperimentRunInfo {
  readonly seed: number;
  /** The recipe hash prefix naming the run directory. */
  readonly key: string;
  readonly dir: string;
  /** Units loaded from the directory, trained now, and trained again because the stored one was bad. */
  readonly units: { readonly loaded: number; readonly computed: number; readonly recomputed: number };
}

/** What an experiment produced: one row per trained (or merged) model, over all seeds. */
abstract class ExperimentResultBase<Row extends object> {
  readonly recipe: Recipe;
  readonly runs: readonly ExperimentRunInfo[];
  readonly rows: readonly Row[];
  #frame?: DataFrame;

  constructor(recipe: Recipe, runs: readonly ExperimentRunInfo[], rows: readonly Row[]) {
    this.recipe = recipe;
    this.runs = runs;
    this.rows = rows;
  }

  get seeds(): number[] {
    return this.runs.map((r) => r.seed);
  }

  /** The rows as a danfo DataFrame (danfo loads on first use: it takes seconds). */
  get frame(): DataFrame {
    if (!this.#frame) {
      const dfd = createRequire(import.meta.url)("danfojs-node") as typeof import("danfojs-node");
      this.#frame = new dfd.DataFrame(this.rows.map((r) => ({ ...r })));
    }
    return this.#frame;
  }

  protected seedOf(seed: number | undefined, call: string): number {
    const chosen = seed ?? this.runs[0].seed;
    if (!this.runs.some((r) => r.seed === chosen)) throw new Error(`${call}(seed): expected one of ${this.seeds.join(", ")}, received ${chosen}`);
    return chosen;
  }
}

/** The result of a lottery-ticket experiment (`net.sparsify().lottery({...}).train(t).run()`). */
export class LotteryResult extends ExperimentResultBase<LotteryRow> {
  /** Per level for one seed (default the first): remaining fraction, test accuracy, early-stop iteration, controls. */
  levels(seed?: number): LotteryLevel[] {
    const s = this.seedOf(seed, "levels");
    return lotteryLevels(this.rows.filter((r) => r.seed === s));
  }

  toJSON() {
    return { kind: "lottery" as const, runs: this.runs.map((run) => ({ ...run, levels: this.levels(run.seed) })) };
  }

  [DISPLAY](): MimeBundle {
    const levels = this.levels();
    const controls = [...new Set(levels.flatMap((l) => Object.keys(l.controls)))];
    const text = `LotteryResult: ${levels.length} levels × ${this.runs.length} seed(s); last level ${(levels.at(-1)!.remaining * 100).toFixed(2)}% remaining, ` +
      `test accuracy ${levels.at(-1)!.testAccuracy.toFixed(4)} (level 0: ${levels[0].testAccuracy.toFixed(4)})`;
    return {
      "text/plain": text,
      "text/html": `<p>${text} — seed ${this.runs[0].seed}, run ${this.runs[0].key}</p>` + htmlTable(
        ["level", "remaining", "test acc", "early-stop iter", ...controls.map((c) => `${c} test acc`)],
        levels.map((l) => [l.level, l.remaining, l.testAccuracy, l.earlyStopIteration, ...controls.map((c) => l.controls[c as keyof typeof l.controls]?.testAccuracy ?? "")]),
      ),
    };
  }
}

interface SoupModelSummary {
  readonly testAccuracy: number;
  readonly valAccuracy: number;
  readonly density: number;
}

/** Per phase as the CLI prints it. */
export interface SoupPhase {
  readonly phase: number;
  readonly targetSparsity: number;
  readonly density: number;
  readonly kept: number;
  readonly total: number;
  readonly ingredients: readonly (SoupModelSummary & { readonly index: number; readonly value: number | null })[];
  /** The soup the next phase starts from (`merge`), and both soups. */
  readonly soup: SoupModelSummary & { readonly merge: SoupMerge; readonly members: string };
  readonly uniformSoup: SoupModelSummary & { readonly members: string };
  readonly greedySoup: SoupModelSummary & { readonly members: string };
  /** The ingredient with the best validation accuracy (a fair pick: test accuracy is not looked at). */
  readonly bestIngredient: SoupModelSummary & { readonly index: number };
  readonly imp?: SoupModelSummary;
}

const summary = (r: SoupRow): SoupModelSummary => ({ testAccuracy: r.testAccuracy, valAccuracy: r.valAccuracy, density: r.density });

/** The result of a sparse-model-soup experiment (`net.sparsify().magnitude(0.9).soup({...}).train(t).run()`). */
export class SoupResult extends ExperimentResultBase<SoupRow> {
  readonly #greedy: ReadonlyMap<number, readonly (readonly GreedyStep[])[]>;

  constructor(recipe: Recipe, runs: readonly ExperimentRunInfo[], rows: readonly SoupRow[], greedy: ReadonlyMap<number, readonly (readonly GreedyStep[])[]>) {
    super(recipe, runs, rows);
    this.#greedy = greedy;
  }

  /** The greedy soup's decisions per phase (each candidate's soup validation accuracy, and whether it was kept). */
  greedySteps(seed?: number): readonly (readonly GreedyStep[])[] {
    return this.#greedy.get(this.seedOf(seed, "greedySteps")) ?? [];
  }

  /** The dense start (pretrained) for one seed. */
  pretrained(seed?: number): SoupModelSummary {
    const s = this.seedOf(seed, "pretrained");
    return summary(this.rows.find((r) => r.seed === s && r.kind === "pretrained")!);
  }

  phases(seed?: number): SoupPhase[] {
    const s = this.seedOf(seed, "phases");
    const rows = this.rows.filter((r) => r.seed === s && r.phase > 0);
    const merge = this.recipe.soup!.merge;
    return [...new Set(rows.map((r) => r.phase))].sort((a, b) => a - b).map((phase) => {
      const own = rows.filter((r) => r.phase === phase);
      const ingredients = own.filter((r) => r.kind === "ingredient").sort((a, b) => a.index - b.index);
      const uniform = own.find((r) => r.kind === "uniform soup")!;
      const greedy = own.find((r) => r.kind === "greedy soup")!;
      const imp = own.find((r) => r.kind === "imp");
      const best = ingredients.reduce((a, b) => (b.valAccuracy > a.valAccuracy ? b : a));
      const chosen = merge === "uniform" ? uniform : greedy;
      return {
        phase, targetSparsity: uniform.targetSparsity, density: uniform.density, kept: uniform.kept, total: uniform.total,
        ingredients: ingredients.map((r) => ({ index: r.index, value: r.value, ...summary(r) })),
        soup: { merge, members: chosen.members, ...summary(chosen) },
        uniformSoup: { members: uniform.members, ...summary(uniform) },
        greedySoup: { members: greedy.members, ...summary(greedy) },
        bestIngredient: { index: best.index, ...summary(best) },
        ...(imp && { imp: summary(imp) }),
      };
    });
  }

  toJSON() {
    return { kind: "soup" as const, runs: this.runs.map((run) => ({ ...run, pretrained: this.pretrained(run.seed), phases: this.phases(run.seed) })) };
  }

  [DISPLAY](): MimeBundle {
    const phases = this.phases();
    const last = phases.at(-1)!;
    const text = `SoupResult: ${phases.length} phase(s) × ${this.runs.length} seed(s); final density ${last.density.toFixed(4)}: ` +
      `greedy soup ${last.greedySoup.testAccuracy.toFixed(4)}, uniform soup ${last.uniformSoup.testAccuracy.toFixed(4)}, ` +
      `best ingredient ${last.bestIngredient.testAccuracy.toFixed(4)}${last.imp ? `, IMP ${last.imp.testAccuracy.toFixed(4)}` : ""}`;
    return {
      "text/plain": text,
      "text/html": `<p>${text} — seed ${this.runs[0].seed}, run ${this.runs[0].key}</p>` + htmlTable(
        ["phase", "density", "best ingredient", "uniform soup", "greedy soup", "greedy members", "IMP"],
        phases.map((p) => [p.phase, p.density, p.bestIngredient.testAccuracy, p.uniformSoup.testAccuracy, p.greedySoup.testAccuracy, p.greedySoup.members, p.imp?.testAccuracy ?? ""]),
      ),
    };
  }
}
