export { sweep, defaultWorkers, DEFAULT_SWEEP_DIR } from "./sweep.js";
export { checkSweepRecipes } from "./recipes.js";
export type { SweepOptions, SweepEvent, SweepOutcome, SweepRun, SweepFailure, RunRef, RunSummary } from "./types.js";
