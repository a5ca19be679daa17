import type { TensorSpec } from "../masks/shape.js";

/** What a distribution gives one prunable tensor. */
export interface LayerAllocation {
  readonly name: string;
  readonly shape: readonly number[];
  readonly total: number;
  /** An exact integer; the kept counts of all layers add up to the allocation's `kept`. */
  readonly kept: number;
  /** Realised density, kept / total. */
  readonly density: number;
  /** The distribution's real-valued density before rounding to whole weights. */
  readonly targetDensity: number;
}

/** Per-tensor kept counts, in network order. */
export interface LayerwiseAllocation {
  readonly kind: "layerwise";
  readonly total: number;
  readonly kept: number;
  readonly density: number;
  readonly layers: readonly LayerAllocation[];
}

/** One budget for all tensors together: the criterion ranks every weight of the net at once. */
export interface GlobalAllocation {
  readonly kind: "global";
  readonly total: number;
  readonly kept: number;
  readonly density: number;
}

export type Allocation = LayerwiseAllocation | GlobalAllocation;

export interface UniformConfig {
  readonly name: "uniform";
  readonly sparsity: number;
  readonly denseFirst?: boolean;
  readonly denseLast?: boolean;
}
export interface ErConfig { readonly name: "er"; readonly sparsity: number }
export interface ErkConfig { readonly name: "erk"; readonly sparsity: number }
export interface GlobalConfig { readonly name: "global"; readonly sparsity: number }
export interface CustomConfig { readonly name: "custom"; readonly densities: Readonly<Record<string, number>> }

/** The JSON form of a distribution, as it appears in a recipe. */
export type DistributionConfig = UniformConfig | ErConfig | ErkConfig | GlobalConfig | CustomConfig;

/**
 * A configured distribution: validated when created (`erk(0.9)`), applied to a net's prunable
 * tensors (in network order) by `allocate`.
 */
export interface Distribution<C extends DistributionConfig = DistributionConfig, A extends Allocation = Allocation> {
  readonly config: C;
  allocate(tensors: readonly TensorSpec[]): A;
  toJSON(): C;
}
