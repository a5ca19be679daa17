import type { Split } from "@sparselab/datasets";
import type { MaskSet } from "../masks/index.js";
import type { Evaluation } from "./evaluate.js";

export interface StepResult {
  readonly loss: number;
  /** Gradients of the prunable tensors before masking, when asked for (RigL, GraNet). */
  readonly denseGradients?: ReadonlyMap<string, Float32Array>;
}

/**
 * Where the arithmetic of masked training happens. The loop owns batches, schedules, algorithms
 * and events; a stepper owns weights on its device, optimizer state and masking. Two exist: tfjs
 * (any net, any backend) and the typed-array kernels engine (MLPs and ConvNets; sparse layers run sparse).
 */
export interface Stepper {
  /** E.g. "tfjs-wasm" or "kernels-addon": reported with the run's results. */
  readonly name: string;
  /**
   * One step on a batch at `step` (0-based, before it): loss; gradients masked, optimizer step
   * (unless `skipUpdate`), weights re-masked.
   */
  step(x: Float32Array, y: Int32Array, lr: number, step: number, options: { denseGradients: boolean; skipUpdate: boolean }): StepResult;
  /** The masks changed: weights and optimizer slots follow; `reset` positions restart from 0. */
  setMasks(masks: MaskSet, reset?: MaskSet): void;
  /** Loss and accuracy on a split, as the net is seen at `step`. */
  evaluate(split: Split, step: number): Evaluation;
  /** Writes the current weights into the net's variables (algorithms and callers read those). */
  syncNet(): void;
  /** End of training: the net's variables hold the final (hard-masked) weights. */
  finish(): void;
  dispose(): void;
}
