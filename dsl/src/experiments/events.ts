import type { BackendName } from "../backend/index.js";
import type { RunEvent } from "../train/events.js";
import type { UnitEvent } from "./store.js";

/** Progress of an experiment: which unit is where, and the training events of the unit in progress. */
export type ExperimentEvent =
  | (UnitEvent & { readonly seed: number })
  | { readonly type: "train"; readonly seed: number; readonly unit: string; readonly event: RunEvent };

export interface ExperimentRunOptions {
  /** Run the recipe once per seed (net init, batch order, masks); default the recipe's own seed. */
  readonly seeds?: readonly number[];
  /** Root of the run directories (default ".runs"): each run lives in `<dir>/<recipe hash prefix>/`. */
  readonly dir?: string;
  readonly onEvent?: (event: ExperimentEvent) => void;
  /** Forces a tfjs backend (else SPARSELAB_BACKEND, else the best available). */
  readonly backend?: BackendName;
}
