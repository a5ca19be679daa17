export { sweep, defaultWorkers, DEFAULT_SWEEP_DIR } from "./sweep.js";
export type { SweepOptions, SweepEvent, SweepOutcome, SweepRun, SweepFailure, RunSummary } from "./types.js";
