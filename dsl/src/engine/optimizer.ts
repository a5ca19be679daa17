import { validateOptimizer, type OptimizerSpec } from "../train/optimizers.js";

/**
 * The update rules of `train/optimizers.ts` (SGD with momentum / Nesterov / L2 decay, Adam,
 * AdamW), in place on Float32Array parameters and slots, restricted to an index set: the kept
 * weights of a masked tensor. Skipping pruned positions is exactly what the tfjs path computes
 * there (a masked gradient of 0 on a weight of 0 with zero slots leaves all three at 0), so
 * pruned weights and their slots stay exactly 0 without a re-masking pass.
 */
export class TypedOptimizer {
  readonly spec: OptimizerSpec;
  /** Number of steps taken (Adam's bias correction uses it, as the tfjs optimizer does). */
  #t = 0;
  #c1 = 1;
  #c2 = 1;

  constructor(spec: OptimizerSpec) {
    this.spec = validateOptimizer(spec, "createMlpEngine");
  }

  get steps(): number {
    return this.#t;
  }

  /** Slots a parameter needs: 0 (plain SGD), 1 (momentum) or 2 (Adam's m and v). */
  get slotCount(): number {
    const s = this.spec;
    return s.name === "sgd" ? (s.momentum ? 1 : 0) : 2;
  }

  /** Starts a step: every `update` until the next `begin` shares its step number. */
  begin(): void {
    this.#t += 1;
    if (this.spec.name !== "sgd") {
      this.#c1 = 1 - (this.spec.beta1 ?? 0.9) ** this.#t;
      this.#c2 = 1 - (this.spec.beta2 ?? 0.999) ** this.#t;
    }
  }

  /**
   * w[i] -= lr · update(g, slots) for i = index[j] (j < count), or i = j when `index` is null.
   * The gradient is read at j when `compact` (CSR-ordered sparse gradients), else at i.
   * With `values`, also writes values[j] = w[i] (a sparse format's CSR values).
   */
  update(w: Float32Array, g: Float32Array, slots: readonly Float32Array[], lr: number,
    index: Int32Array | null, count: number, compact: boolean, values?: Float32Array): void {
    const s = this.spec;
    if (s.name === "sgd") {
      const wd = s.weightDecay ?? 0, mu = s.momentum ?? 0, nesterov = s.nesterov === true;
      const v = slots[0];
      for (let j = 0; j < count; j++) {
        const i = index ? index[j] : j;
        const wi = w[i];
        const grad = wd ? g[compact ? j : i] + wd * wi : g[compact ? j : i];
        let u = grad;
        if (mu) {
          const vi = Math.fround(mu * v[i] + grad);
          v[i] = vi;
          u = nesterov ? grad + mu * vi : vi;
        }
        const next = Math.fround(wi - lr * u);
        w[i] = next;
        if (values) values[j] = next;
      }
      return;
    }
    const b1 = s.beta1 ?? 0.9, b2 = s.beta2 ?? 0.999, eps = s.epsilon ?? 1e-8, wd = s.weightDecay ?? 0;
    const l2 = s.name === "adam" ? wd : 0, decoupled = s.name === "adamw" ? wd : 0;
    const c1 = this.#c1, c2 = this.#c2;
    const m = slots[0], v = slots[1];
    for (let j = 0; j < count; j++) {
      const i = index ? index[j] : j;
      const wi = w[i];
      const grad = l2 ? g[compact ? j : i] + l2 * wi : g[compact ? j : i];
      const mi = Math.fround(b1 * m[i] + (1 - b1) * grad);
      const vi = Math.fround(b2 * v[i] + (1 - b2) * grad * grad);
      m[i] = mi;
      v[i] = vi;
      let u = mi / c1 / (Math.sqrt(vi / c2) + eps);
      if (decoupled) u += decoupled * wi;
      const next = Math.fround(wi - lr * u);
      w[i] = next;
      if (values) values[j] = next;
    }
  }
}
