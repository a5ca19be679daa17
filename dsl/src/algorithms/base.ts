import type { Rng } from "@sparselab/datasets";
import type { MaskSet } from "../masks/index.js";
import type { Net } from "../nets/index.js";

/** What an algorithm sees when it may change the masks. */
export interface UpdateContext {
  /** Optimizer steps done so far (1-based: the update follows step `step`). */
  readonly step: number;
  readonly totalSteps: number;
  readonly net: Net;
  readonly masks: MaskSet;
  readonly rng: Rng;
  /** Dense gradients of the last batch (before masking), when the algorithm asked for them. */
  readonly denseGradients?: ReadonlyMap<string, Float32Array>;
}

export interface MaskChange {
  readonly masks: MaskSet;
  /** Per layer, weights removed from and added to the mask by this update. */
  readonly dropped: ReadonlyMap<string, number>;
  readonly grown: ReadonlyMap<string, number>;
  /**
   * Positions whose weights and optimizer slots restart from 0 (newly grown connections, including
   * ones dropped and regrown in the same update); absent when nothing is regrown.
   */
  readonly reset?: MaskSet;
}

/**
 * A sparsity algorithm in the training loop (jaxpruner's updater shape): the loop owns masking,
 * optimizer slots and events; an algorithm only decides *when* masks change and *what* they become.
 */
export interface SparsityAlgorithm {
  readonly name: string;
  /** Whether masks change after optimizer step `step` (1-based) of `totalSteps`. */
  updatesAt(step: number, totalSteps: number): boolean;
  /** Whether `update` needs the dense gradient of the step's batch (RigL, GraNet). */
  readonly needsDenseGradients: boolean;
  /** Whether an update step replaces that step's optimizer update (RigL) instead of following it. */
  readonly skipsOptimizerStep?: boolean;
  /**
   * Soft masking (N:M with SR-STE or mask decay): weights stay dense and the forward pass sees
   * them through the mask (see `softMask`); only the final weights are hard-masked.
   */
  readonly soft?: {
    readonly scale: (step: number, totalSteps: number) => number;
    readonly gradScale: (step: number, totalSteps: number) => number;
    readonly refine: number;
  };
  update(context: UpdateContext): MaskChange;
  /** The serialisable recipe fragment that rebuilds this algorithm. */
  toJSON(): object;
}
