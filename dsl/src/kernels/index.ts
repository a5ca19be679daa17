export { KERNEL_NAMES, heapMemory, type KernelName, type Kernels, type KernelMemory, type KernelInfo, type Epilogue, type GemmOptions, type SpmmOptions, type SddmmOptions, type UpdateRule, type UpdateOptions } from "./types.js";
export { SparseMatrix } from "./sparse-matrix.js";
export { loadKernels, defaultKernels, type LoadKernelsOptions } from "./load.js";
export { createAddonKernels, DEFAULT_ADDON_PATH, type AddonKernelOptions } from "./addon.js";
export { createWasmKernels, DEFAULT_WASM_PATH, DEFAULT_WASM_MT_PATH, type WasmKernelOptions } from "./wasm.js";
export { createJsKernels } from "./js.js";
export { benchKernels, formatKernelBench, measureBreakEven, measureConvBreakEven, type ConvLayerShape, type BreakEven, type BreakEvenOptions, medianTime, sampleTimes, median, type SampleTimes, createImplementations, ALL_CHOICES, BENCH_SHAPES, type KernelChoice, type KernelBenchOptions, type KernelBenchRow, type KernelBenchResult, type KernelOp, type LayerShape } from "./bench.js";
