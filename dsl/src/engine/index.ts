export { SPARSE_BREAK_EVEN, type Engine, type EngineOptions } from "./engine.js";
export { createMlpEngine, type MlpEngine, type MlpEngineOptions } from "./mlp-engine.js";
export { createConvEngine, type ConvEngine, type ConvEngineOptions } from "./conv-engine.js";
export type { LayerMode } from "./weight-layer.js";
export { TypedOptimizer } from "./optimizer.js";
export { benchEngine, formatEngineBench, type EngineBenchOptions, type EngineBenchResult, type EngineBenchRow } from "./bench.js";
