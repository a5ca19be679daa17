export { createMlpEngine, SPARSE_BREAK_EVEN, type MlpEngine, type MlpEngineOptions, type LayerMode } from "./mlp-engine.js";
export { TypedOptimizer } from "./optimizer.js";
export { benchEngine, formatEngineBench, type EngineBenchOptions, type EngineBenchResult, type EngineBenchRow } from "./bench.js";
