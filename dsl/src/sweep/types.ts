import type { RunResult } from "../builder/run.js";
import type { Recipe } from "../io/recipe.js";
import type { HistoryRecord } from "../train/events.js";

/** What `RunResult.toJSON()` gives: metrics, engine, steps, seconds and per-layer densities. */
export type RunSummary = ReturnType<RunResult["toJSON"]>;

export interface SweepOptions {
  /** Root of the run directories (default ".runs/sweep"): each run lives in `<dir>/<hash prefix>/`. */
  readonly dir?: string;
  /**
   * Worker processes, each training one run at a time, each with ⌊cores / workers⌋ kernel threads
   * (`SPARSELAB_KERNEL_THREADS`). Default: one per core.
   */
  readonly workers?: number;
  /**
   * How many more times a run is started when its worker process dies under it (a crash, a kill);
   * default 0. An error the run itself throws is not retried: it would recur.
   */
  readonly retries?: number;
  readonly onEvent?: (event: SweepEvent) => void;
}

/** Which run an event or outcome is about: its place in the input and its recipe's SHA-256. */
export interface RunRef {
  readonly index: number;
  readonly hash: string;
}

/** A run that produced its result now or in an earlier sweep. */
export interface SweepRun extends RunRef {
  readonly ok: true;
  /** The run's directory (`recipe.json`, `result.json`). */
  readonly dir: string;
  /** The recipe as it ran: its data spec resolved (as `RunResult.recipe`). */
  readonly recipe: Recipe;
  readonly summary: RunSummary;
  /** Wall time of the run in its worker (data, training, evaluation), when it was computed. */
  readonly seconds: number;
  /** True when `result.json` was already there and nothing was recomputed. */
  readonly loaded: boolean;
}

/** A run that threw, or whose worker died more often than `retries` allows; the other runs go on. */
export interface SweepFailure extends RunRef {
  readonly ok: false;
  readonly dir: string;
  /** The recipe as given (validated). */
  readonly recipe: Recipe;
  /** One line naming the recipe: `recipes[i]: ` and the run's error, or how its worker ended. */
  readonly error: string;
  readonly attempts: number;
}

export type SweepOutcome = SweepRun | SweepFailure;

export type SweepEvent =
  | (RunRef & { readonly type: "loaded"; readonly outcome: SweepRun })
  | (RunRef & {
    readonly type: "started"; readonly attempt: number; readonly pid: number;
    /** Why a stored `result.json` was set aside (renamed `result.json.corrupt`) for this run. */
    readonly recomputing?: string;
  })
  | (RunRef & { readonly type: "epoch"; readonly epoch: number; readonly epochs: number; readonly record: HistoryRecord })
  | (RunRef & { readonly type: "finished"; readonly outcome: SweepRun })
  | (RunRef & { readonly type: "failed"; readonly error: string; readonly retrying: boolean });
