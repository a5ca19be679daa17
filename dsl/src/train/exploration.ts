import type { MaskSet } from "../masks/index.js";

/**
 * In-time over-parameterisation (Liu et al. 2021): how much of the dense net a sparse run has
 * explored, as the fraction of weights that were ever active, and how far the masks moved from
 * where they started (IoU with the initial masks).
 */
export class ExplorationTracker {
  readonly #initial: MaskSet;
  #everActive: MaskSet;

  constructor(initial: MaskSet) {
    this.#initial = initial;
    this.#everActive = initial;
  }

  record(masks: MaskSet): void {
    this.#everActive = this.#everActive.or(masks);
  }

  /** Fraction of all prunable weights that have been active at some point. */
  get explorationRate(): number {
    return this.#everActive.report().overall.density;
  }

  overlapWithInitial(masks: MaskSet): number {
    return masks.overlap(this.#initial).overall;
  }
}
