import type { Kernels } from "../kernels/types.js";
import type { WeightLayer } from "./weight-layer.js";

/**
 * Fully connected layers in a chain (ReLU on all but the last): the whole MLP, or a ConvNet's
 * head after the flatten. Activation and gradient buffers are sized for the largest batch seen.
 */
export class DenseStack {
  readonly #k: Kernels;
  readonly #layers: readonly WeightLayer[];
  /** acts[i]: layer i's output; deltas[i]: dLoss/d(pre-activation of layer i). */
  readonly #acts: Float32Array[] = [];
  readonly #deltas: Float32Array[] = [];
  #capacity = 0;

  constructor(k: Kernels, layers: readonly WeightLayer[]) {
    this.#k = k;
    this.#layers = layers;
  }

  reserve(batch: number): void {
    if (batch <= this.#capacity) return;
    this.#free();
    for (const l of this.#layers) {
      this.#acts.push(this.#k.allocFloat32(batch * l.out));
      this.#deltas.push(this.#k.allocFloat32(batch * l.out));
    }
    this.#capacity = batch;
  }

  /** Logits of the batch for inputs h0 [batch, in] (in kernel memory); reserve(batch) first. */
  forward(h0: Float32Array, batch: number): { logits: Float32Array; dLogits: Float32Array } {
    let h = h0;
    const last = this.#layers.length - 1;
    this.#layers.forEach((l, i) => {
      l.forward(batch, h, this.#acts[i], i < last);
      h = this.#acts[i];
    });
    return { logits: h, dLogits: this.#deltas[last] };
  }

  /**
   * Backward from dLogits, for the inputs h0 of the last forward (see `Network.backward`); with
   * `dInput`, also dLoss/dh0 gated by h0 > 0 (h0 being a ReLU output).
   */
  backward(h0: Float32Array, batch: number, denseGrads: boolean, visit: (l: WeightLayer) => void, dInput?: Float32Array): void {
    for (let i = this.#layers.length - 1; i >= 0; i--) {
      const l = this.#layers[i], g = this.#deltas[i], h = i === 0 ? h0 : this.#acts[i - 1];
      l.weightGrads(batch, h, g, denseGrads, false);
      const dh = i > 0 ? this.#deltas[i - 1] : dInput;
      if (dh) l.inputGrad(batch, g, dh, h);
      visit(l);
    }
  }

  dispose(): void {
    this.#free();
  }

  #free(): void {
    for (const a of [...this.#acts, ...this.#deltas]) this.#k.free(a);
    this.#acts.length = 0;
    this.#deltas.length = 0;
  }
}
