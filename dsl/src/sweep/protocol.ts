/** Messages between a sweep and its worker processes (over the child_process IPC channel). */
import type { Recipe } from "../io/recipe.js";
import type { HistoryRecord } from "../train/events.js";
import type { StoredRun } from "./store.js";

/** One run for a worker: train `recipe` and store its result in `dir`. */
export interface RunRequest {
  readonly hash: string;
  readonly dir: string;
  readonly recipe: Recipe;
}

export type WorkerMessage =
  | { readonly type: "epoch"; readonly epoch: number; readonly record: HistoryRecord }
  | { readonly type: "done"; readonly run: StoredRun }
  | { readonly type: "error"; readonly message: string };
