import * as tf from "@tensorflow/tfjs";
import { argError } from "../errors.js";
import { checkKnownKeys, checkNumberIn, checkPlainObject, checkPositive } from "../validate.js";

/** Serialisable optimizer configuration (the `optimizer` of a recipe). */
export type OptimizerSpec =
  | { readonly name: "sgd"; readonly lr: number; readonly momentum?: number; readonly nesterov?: boolean; readonly weightDecay?: number }
  | { readonly name: "adam" | "adamw"; readonly lr: number; readonly beta1?: number; readonly beta2?: number; readonly epsilon?: number; readonly weightDecay?: number };

/** SGD, optionally with (Nesterov) momentum and L2 weight decay added to the gradient. */
export function sgd(lr: number, options: { momentum?: number; nesterov?: boolean; weightDecay?: number } = {}): OptimizerSpec {
  return validateOptimizer({ name: "sgd", lr, ...options }, "sgd");
}

/** Adam (L2 decay in the gradient) — use `adamw` for decoupled weight decay. */
export function adam(lr: number, options: { beta1?: number; beta2?: number; epsilon?: number; weightDecay?: number } = {}): OptimizerSpec {
  return validateOptimizer({ name: "adam", lr, ...options }, "adam");
}

/** AdamW: Adam with decoupled weight decay (default 0.01). */
export function adamw(lr: number, options: { beta1?: number; beta2?: number; epsilon?: number; weightDecay?: number } = {}): OptimizerSpec {
  return validateOptimizer({ name: "adamw", lr, weightDecay: 0.01, ...options }, "adamw");
}

export function validateOptimizer(value: unknown, call = "optimizer"): OptimizerSpec {
  const o = checkPlainObject(call, "optimizer", value);
  if (o.name !== "sgd" && o.name !== "adam" && o.name !== "adamw") throw argError(call, "optimizer.name", '"sgd" | "adam" | "adamw"', o.name);
  checkPositive(call, "lr", o.lr);
  if (o.weightDecay !== undefined) checkNumberIn(call, "weightDecay", o.weightDecay, 0, 1);
  if (o.name === "sgd") {
    checkKnownKeys(call, "optimizer", o, ["name", "lr", "momentum", "nesterov", "weightDecay"]);
    if (o.momentum !== undefined) checkNumberIn(call, "momentum", o.momentum, 0, 1, { maxOpen: true });
    if (o.nesterov !== undefined && typeof o.nesterov !== "boolean") throw argError(call, "nesterov", "a boolean", o.nesterov);
    if (o.nesterov && !o.momentum) throw argError(call, "nesterov", "momentum > 0 to go with it", o.nesterov);
  } else {
    checkKnownKeys(call, "optimizer", o, ["name", "lr", "beta1", "beta2", "epsilon", "weightDecay"]);
    if (o.beta1 !== undefined) checkNumberIn(call, "beta1", o.beta1, 0, 1, { maxOpen: true });
    if (o.beta2 !== undefined) checkNumberIn(call, "beta2", o.beta2, 0, 1, { maxOpen: true });
    if (o.epsilon !== undefined) checkPositive(call, "epsilon", o.epsilon);
  }
  return Object.freeze({ ...o }) as OptimizerSpec;
}

/**
 * An optimizer whose per-parameter state ("slots") is explicit, so sparse training can keep the
 * slots of pruned weights at zero and reset the slots of regrown ones.
 */
export class Optimizer {
  readonly spec: OptimizerSpec;
  readonly #slots = new Map<string, tf.Variable[]>();
  #t = 0;

  constructor(spec: OptimizerSpec) {
    this.spec = validateOptimizer(spec);
  }

  /** Applies one update with learning rate `lr` to every parameter that has a gradient. */
  step(params: ReadonlyMap<string, tf.Variable>, grads: ReadonlyMap<string, tf.Tensor>, lr: number): void {
    this.#t += 1;
    tf.tidy(() => {
      for (const [name, g] of grads) {
        const w = params.get(name)!;
        const update = this.spec.name === "sgd" ? this.#sgd(name, w, g) : this.#adam(name, w, g);
        w.assign(tf.sub(w, tf.mul(update, lr)));
      }
    });
  }

  #sgd(name: string, w: tf.Tensor, g: tf.Tensor): tf.Tensor {
    const s = this.spec as Extract<OptimizerSpec, { name: "sgd" }>;
    const grad = s.weightDecay ? tf.add(g, tf.mul(w, s.weightDecay)) : g;
    if (!s.momentum) return grad;
    const [v] = this.#slotsFor(name, w, 1);
    v.assign(tf.add(tf.mul(v, s.momentum), grad));
    return s.nesterov ? tf.add(grad, tf.mul(v, s.momentum)) : v;
  }

  #adam(name: string, w: tf.Tensor, g: tf.Tensor): tf.Tensor {
    const s = this.spec as Extract<OptimizerSpec, { name: "adam" | "adamw" }>;
    const [beta1, beta2, eps, wd] = [s.beta1 ?? 0.9, s.beta2 ?? 0.999, s.epsilon ?? 1e-8, s.weightDecay ?? 0];
    const grad = s.name === "adam" && wd ? tf.add(g, tf.mul(w, wd)) : g;
    const [m, v] = this.#slotsFor(name, w, 2);
    m.assign(tf.add(tf.mul(m, beta1), tf.mul(grad, 1 - beta1)));
    v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(grad), 1 - beta2)));
    const mHat = tf.div(m, 1 - beta1 ** this.#t);
    const vHat = tf.div(v, 1 - beta2 ** this.#t);
    const step = tf.div(mHat, tf.add(tf.sqrt(vHat), eps));
    // Decoupled decay joins the step after the adaptive scaling (and so is scaled by lr, as in PyTorch).
    return s.name === "adamw" && wd ? tf.add(step, tf.mul(w, wd)) : step;
  }

  #slotsFor(name: string, w: tf.Tensor, count: number): tf.Variable[] {
    let slots = this.#slots.get(name);
    if (!slots) {
      slots = Array.from({ length: count }, () => tf.variable(tf.zerosLike(w), false));
      this.#slots.set(name, slots);
    }
    return slots;
  }

  /** The state tensors of one parameter (empty for plain SGD). */
  slots(name: string): readonly tf.Variable[] {
    return this.#slots.get(name) ?? [];
  }

  /** Multiplies the slots of `name` by `keep` (0/1): zeroes state at pruned or regrown positions. */
  maskSlots(name: string, keep: tf.Tensor): void {
    tf.tidy(() => {
      for (const slot of this.#slots.get(name) ?? []) slot.assign(tf.mul(slot, keep));
    });
  }

  dispose(): void {
    for (const slots of this.#slots.values()) slots.forEach((s) => s.dispose());
    this.#slots.clear();
  }
}
