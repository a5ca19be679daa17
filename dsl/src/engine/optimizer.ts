import type { UpdateRule } from "../kernels/types.js";
import { validateOptimizer, type OptimizerSpec } from "../train/optimizers.js";

/**
 * The optimizer of train/optimizers.ts as kernel update rules: it counts steps (Adam's bias
 * correction) and says how many slots a parameter needs. The update itself is `kernels.update`,
 * applied to the kept weights of masked tensors only: that is exactly what the tfjs path computes
 * there (a masked gradient of 0 on a weight of 0 with zero slots leaves all three at 0), so
 * pruned weights and their slots stay exactly 0 without a re-masking pass.
 */
export class TypedOptimizer {
  readonly spec: OptimizerSpec;
  #t = 0;

  constructor(spec: OptimizerSpec, call = "TypedOptimizer") {
    this.spec = validateOptimizer(spec, call);
  }

  get steps(): number {
    return this.#t;
  }

  /** Back to step 0 (the caller zeroes the slots). */
  reset(): void {
    this.#t = 0;
  }

  /** Slots a parameter needs: 0 (plain SGD), 1 (momentum) or 2 (Adam's m and v). */
  get slotCount(): number {
    const s = this.spec;
    return s.name === "sgd" ? (s.momentum ? 1 : 0) : 2;
  }

  /** Starts a step and returns its rule (every parameter of the step shares it). */
  begin(lr: number = this.spec.lr): UpdateRule {
    this.#t += 1;
    const s = this.spec;
    if (s.name === "sgd") return { kind: "sgd", lr, momentum: s.momentum ?? 0, nesterov: s.nesterov ?? false, weightDecay: s.weightDecay ?? 0 };
    return {
      kind: "adam", lr, beta1: s.beta1 ?? 0.9, beta2: s.beta2 ?? 0.999, epsilon: s.epsilon ?? 1e-8,
      weightDecay: s.weightDecay ?? 0, decoupled: s.name === "adamw", step: this.#t,
    };
  }
}
