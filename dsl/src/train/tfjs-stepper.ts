import * as tf from "@tensorflow/tfjs";
import type { Split } from "@sparselab/datasets";
import type { SparsityAlgorithm } from "../algorithms/base.js";
import type { MaskSet } from "../masks/index.js";
import type { Net } from "../nets/index.js";
import { crossEntropy, softMask } from "../nets/ops.js";
import { evaluate } from "./evaluate.js";
import { lossAndGradients } from "./gradients.js";
import { Optimizer, type OptimizerSpec } from "./optimizers.js";
import type { Stepper } from "./stepper.js";
import { activeBackend } from "../backend/index.js";

/** 0/1 tensors for the layers that are actually sparse; dense layers need no masking work. */
function maskTensors(masks: MaskSet): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const [name, mask] of masks.entries) if (mask.density < 1) out.set(name, tf.tensor(mask.bits, mask.shape as number[], "float32"));
  return out;
}

/**
 * Masked training on tfjs variables. Gradients are masked before the optimizer (so momentum and
 * Adam moments stay exactly 0 at pruned positions) and weights re-masked after it. With a
 * soft-masking algorithm (N:M) the weights stay dense and the forward pass sees them through the
 * mask (`softMask`); they are hard-masked at the end.
 */
export class TfjsStepper implements Stepper {
  readonly name = `tfjs-${activeBackend()?.name ?? "default"}`;
  readonly #net: Net;
  readonly #optimizer: Optimizer;
  readonly #ownsOptimizer: boolean;
  readonly #soft: SparsityAlgorithm["soft"];
  readonly #totalSteps: number;
  #live: Map<string, tf.Tensor>;

  constructor(net: Net, masks: MaskSet, options: { optimizer: OptimizerSpec | Optimizer; soft?: SparsityAlgorithm["soft"]; totalSteps: number }) {
    this.#net = net;
    this.#ownsOptimizer = !(options.optimizer instanceof Optimizer);
    this.#optimizer = options.optimizer instanceof Optimizer ? options.optimizer : new Optimizer(options.optimizer);
    this.#soft = options.soft;
    this.#totalSteps = options.totalSteps;
    this.#live = maskTensors(masks);
    if (!this.#soft) this.#applyMasks(true);
  }

  /** Soft masking: the weights as the forward pass sees them at `step` (built inside tapes and tidies). */
  #view(step: number): (() => Map<string, tf.Tensor>) | undefined {
    const soft = this.#soft;
    if (!soft) return undefined;
    return () => new Map([...this.#net.params].map(([name, w]) => {
      const m = this.#live.get(name);
      return [name, m ? softMask(w, m, soft.scale(step, this.#totalSteps), soft.gradScale(step, this.#totalSteps), soft.refine) : w];
    }));
  }

  step(xs: Float32Array, ys: Int32Array, lr: number, step: number, options: { denseGradients: boolean; skipUpdate: boolean }) {
    const net = this.#net;
    const x = tf.tensor2d(xs, [ys.length, xs.length / ys.length]);
    const y = tf.tensor1d(ys, "int32");
    const { loss, grads } = lossAndGradients(net, x, y, crossEntropy, this.#view(step));
    const denseGradients = options.denseGradients
      ? new Map(net.prunable.map((t) => [t.name, grads.get(t.name)!.dataSync() as Float32Array]))
      : undefined;
    if (!options.skipUpdate) {
      // Soft masks already shaped the gradient; hard masks cut it at pruned positions.
      const masked = new Map([...grads].map(([name, g]) => [name, !this.#soft && this.#live.has(name) ? tf.mul(g, this.#live.get(name)!) : g]));
      this.#optimizer.step(net.params, masked, lr);
      tf.dispose([...masked.values()]);
      if (!this.#soft) this.#applyMasks(false);
    }
    tf.dispose([...grads.values(), x, y]);
    const value = loss.dataSync()[0];
    loss.dispose();
    return { loss: value, denseGradients };
  }

  setMasks(masks: MaskSet, reset?: MaskSet): void {
    tf.dispose([...this.#live.values()]);
    this.#live = maskTensors(masks);
    if (this.#soft) return;
    this.#applyMasks(true);
    if (reset) this.#reset(reset);
  }

  evaluate(split: Split, step: number) {
    return evaluate(this.#net, split, this.#view(step));
  }

  syncNet(): void {
    // The variables are the weights.
  }

  finish(): void {
    if (this.#soft) this.#applyMasks(true);
  }

  dispose(): void {
    tf.dispose([...this.#live.values()]);
    if (this.#ownsOptimizer) this.#optimizer.dispose();
  }

  /** w ← w ⊙ m for every sparse layer; with `slots`, the optimizer state too (after a mask change). */
  #applyMasks(slots: boolean): void {
    tf.tidy(() => {
      for (const [name, m] of this.#live) {
        const w = this.#net.params.get(name)!;
        w.assign(tf.mul(w, m));
        if (slots) this.#optimizer.maskSlots(name, m);
      }
    });
  }

  /** Weights and optimizer slots at `positions` restart from 0 (regrown connections). */
  #reset(positions: MaskSet): void {
    tf.tidy(() => {
      for (const [name, mask] of positions.entries) {
        if (mask.kept === 0) continue;
        const keep = tf.sub(1, tf.tensor(mask.bits, mask.shape as number[], "float32"));
        const w = this.#net.params.get(name)!;
        w.assign(tf.mul(w, keep));
        this.#optimizer.maskSlots(name, keep);
      }
    });
  }
}
