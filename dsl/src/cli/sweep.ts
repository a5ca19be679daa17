import { argError } from "../errors.js";
import { checkSweepRecipes } from "../sweep/recipes.js";
import { DEFAULT_SWEEP_DIR, defaultWorkers, sweep } from "../sweep/sweep.js";
import type { SweepEvent, SweepOutcome } from "../sweep/types.js";
import { numberFlag, parseFlags, readJson } from "./args.js";

const CALL = "sparselab sweep";
const FLAGS = { runs: { type: "string" }, workers: { type: "string" }, retries: { type: "string" }, json: { type: "boolean" } } as const;

function countFlag(flag: "workers" | "retries", value: string | undefined, min: number): number | undefined {
  const n = numberFlag("sweep", flag, value);
  if (n !== undefined && (!Number.isInteger(n) || n < min)) throw argError(CALL, `--${flag}`, min === 1 ? "a positive integer" : "a non-negative integer", value);
  return n;
}

/** `[i] hash-prefix` — how progress lines name a run. */
const runLabel = (e: { index: number; hash: string }) => `[${e.index}] ${e.hash.slice(0, 16)}`;

function progressLine(e: SweepEvent): string {
  switch (e.type) {
    case "loaded":
      return `${runLabel(e)} loaded: test acc ${e.outcome.summary.testAccuracy.toFixed(4)}`;
    case "started":
      return `${runLabel(e)} started in worker ${e.pid}${e.attempt > 1 ? ` (attempt ${e.attempt})` : ""}${e.recomputing ? ` (result.json set aside: ${e.recomputing})` : ""}`;
    case "epoch":
      return `${runLabel(e)} epoch ${e.epoch}/${e.epochs}  loss ${e.record.trainLoss.toFixed(4)}  val acc ${e.record.valAccuracy.toFixed(4)}  density ${e.record.density.toFixed(4)}`;
    case "finished":
      return `${runLabel(e)} finished: test acc ${e.outcome.summary.testAccuracy.toFixed(4)} in ${e.outcome.seconds.toFixed(1)}s`;
    case "failed":
      return `${e.error}${e.retrying ? " (retrying)" : ""}`;
  }
}

const status = (o: SweepOutcome) => (o.ok ? (o.loaded ? "loaded" : "computed") : "failed");

/** Columns padded, the last (a failure's message) left whole. */
const row = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(i === 1 ? 18 : 10))).join("");

function table(outcomes: readonly SweepOutcome[], dir: string): string {
  const count = (s: string) => outcomes.filter((o) => status(o) === s).length;
  return [
    row(["index", "run", "status", "test acc", "density", "seconds"]),
    ...outcomes.map((o) => row([String(o.index), o.hash.slice(0, 16), status(o),
      ...(o.ok ? [o.summary.testAccuracy.toFixed(4), o.summary.overall.density.toFixed(4), o.seconds.toFixed(1)] : [o.error])])),
    `${outcomes.length} runs in ${dir}: ${count("computed")} computed, ${count("loaded")} loaded, ${count("failed")} failed`,
  ].join("\n");
}

/** Runs a JSON array of recipes on a worker pool; the output is a table (or JSON) and how many runs failed. */
export async function sweepCommand(argv: string[], progress: (line: string) => void): Promise<{ output: string; failed: number }> {
  const { values, positionals } = parseFlags("sweep", argv, FLAGS);
  if (positionals.length !== 1) throw argError(CALL, "RECIPES", "one JSON file holding an array of recipes", positionals);
  const recipes = checkSweepRecipes(readJson("sweep", positionals[0]), CALL, "RECIPES");
  const workers = countFlag("workers", values.workers as string | undefined, 1) ?? defaultWorkers();
  const retries = countFlag("retries", values.retries as string | undefined, 0) ?? 0;
  const dir = (values.runs as string | undefined) ?? DEFAULT_SWEEP_DIR;
  const outcomes = await sweep(recipes, { dir, workers, retries, onEvent: (e) => progress(progressLine(e)) });
  return {
    output: values.json ? JSON.stringify(outcomes) : table(outcomes, dir),
    failed: outcomes.filter((o) => !o.ok).length,
  };
}
