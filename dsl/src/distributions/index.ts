export { uniform, type UniformOptions } from "./uniform.js";
export { er } from "./er.js";
export { erk } from "./erk.js";
export { global } from "./global.js";
export { custom } from "./custom.js";
export { distributions, type DistributionName } from "./registry.js";
export type {
  Allocation, CustomConfig, Distribution, DistributionConfig, ErConfig, ErkConfig, GlobalAllocation, GlobalConfig,
  LayerAllocation, LayerwiseAllocation, UniformConfig,
} from "./types.js";
