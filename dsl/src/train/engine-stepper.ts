import type { Split } from "@sparselab/datasets";
import { createConvEngine, createMlpEngine, type Engine } from "../engine/index.js";
import { argError } from "../errors.js";
import type { Kernels } from "../kernels/index.js";
import type { MaskSet } from "../masks/index.js";
import type { Net } from "../nets/index.js";
import type { OptimizerSpec } from "./optimizers.js";
import type { Stepper } from "./stepper.js";

/**
 * Masked training of an MLP or a ConvNet on the typed-array kernels engine: layers below the
 * sparse break-even density run through the sparse kernels, the rest through the dense gemm; no
 * tfjs on the hot path. The net's tf variables are written back when algorithms or callers need them.
 */
export class EngineStepper implements Stepper {
  readonly name: string;
  readonly #net: Net;
  readonly #engine: Engine;
  #masks: MaskSet;

  constructor(net: Net, masks: MaskSet, optimizer: OptimizerSpec, kernels: Kernels) {
    const spec = net.spec;
    if (spec.kind === "vit") throw argError("EngineStepper", "net", "an MLP or a ConvNet", "a vit net");
    this.#net = net;
    this.#masks = masks;
    this.name = `kernels-${kernels.name}`;
    const options = {
      weights: net.snapshot(), optimizer, kernels,
      masks: new Map(masks.entries.map(([name, m]) => [name, m.density < 1 ? m.bits : undefined])),
    };
    this.#engine = spec.kind === "mlp" ? createMlpEngine({ ...options, sizes: spec.sizes }) : createConvEngine({ ...options, spec });
  }

  step(x: Float32Array, y: Int32Array, lr: number, _step: number, options: { denseGradients: boolean; skipUpdate: boolean }) {
    if (!options.denseGradients && !options.skipUpdate) return { loss: this.#engine.step(x, y, lr) };
    const { loss, grads } = this.#engine.gradients(x, y);
    // RigL replaces the update on its mask-update steps; GraNet steps as usual.
    if (!options.skipUpdate) this.#engine.step(x, y, lr);
    return { loss, denseGradients: options.denseGradients ? new Map(this.#net.prunable.map((t) => [t.name, grads.get(t.name)!])) : undefined };
  }

  setMasks(masks: MaskSet, reset?: MaskSet): void {
    for (const [name, mask] of masks.entries) {
      const resetHere = reset?.get(name);
      // Pruning a position zeroes its weight and slots; growing it back leaves them at 0: a reset.
      if (resetHere && resetHere.kept > 0) this.#engine.setMask(name, mask.minus(resetHere).bits);
      if (!mask.equals(this.#masks.get(name)) || (resetHere && resetHere.kept > 0)) {
        this.#engine.setMask(name, mask.density < 1 ? mask.bits : undefined);
      }
    }
    this.#masks = masks;
  }

  evaluate(split: Split, _step: number) {
    if (split.size === 0) return { loss: NaN, accuracy: NaN };
    const { loss, correct } = this.#engine.evaluate(split.x, split.y);
    return { loss, accuracy: correct / split.size };
  }

  syncNet(): void {
    this.#net.load(this.#engine.weights());
  }

  finish(): void {
    this.syncNet();
  }

  dispose(): void {
    this.#engine.dispose();
  }
}
