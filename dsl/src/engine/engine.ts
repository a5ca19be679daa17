import { argError, SparselabError } from "../errors.js";
import { defaultKernels } from "../kernels/load.js";
import type { KernelName, Kernels } from "../kernels/types.js";
import type { OptimizerSpec } from "../train/optimizers.js";
import { TypedOptimizer } from "./optimizer.js";
import { WeightLayer, type LayerMode, type WeightLayerInit } from "./weight-layer.js";

/**
 * Density below which a masked layer runs on the sparse kernels (forward, dX and dW together
 * faster than dense gemm), per implementation: `measureBreakEven` on a 2-core AVX2 machine gave
 * 0.46–0.48 on 128×784×300 and 0.74–0.75 on 128×300×100 for the addon (whose sddmm splits the
 * batch over threads), 0.45–0.49 on both for WASM, and 0.7–0.8 for JS (runs on a machine loaded by
 * other work). Near the break-even both routes cost about the same, so the exact value matters little.
 */
export const SPARSE_BREAK_EVEN: Readonly<Record<KernelName, number>> = Object.freeze({ addon: 0.5, wasm: 0.5, js: 0.75 });

/** What every engine is built from, besides its architecture. */
export interface EngineOptions {
  /** Parameters by name (`fc{i}.kernel`, `conv{i}.bias` …, as the net names them); copied in. */
  readonly weights: ReadonlyMap<string, Float32Array>;
  /** 0/1 masks of kernels by name (undefined or absent: dense). Pruned weights are zeroed. */
  readonly masks?: ReadonlyMap<string, Uint8Array | undefined>;
  readonly optimizer: OptimizerSpec;
  /** Default: `defaultKernels()` (the fastest implementation that loads). */
  readonly kernels?: Kernels;
  /**
   * Masked layers with density below this use the sparse kernels (default: SPARSE_BREAK_EVEN[kernels.name]
   * for dense layers, the conv engine's measured break-evens for its convs).
   */
  readonly sparseBelow?: number;
}

/**
 * A typed-array trainer: forward, backward and optimizer step on the kernels, no tfjs, with the
 * semantics of `train/loop.ts` + `train/optimizers.ts` (masked gradients; pruned weights and
 * their slots exactly 0). Inputs are flat rows [b, features], labels class indices.
 */
export interface Engine {
  readonly kernels: Kernels;
  readonly optimizer: OptimizerSpec;
  /** One optimizer step on the batch (x [b, features], y [b] class indices); returns the mean loss before it. */
  step(x: Float32Array, y: Int32Array, lr?: number): number;
  /** Loss and the dense gradient of every parameter (copies; pruned positions included, as RigL needs). */
  gradients(x: Float32Array, y: Int32Array): { loss: number; grads: Map<string, Float32Array> };
  /** Logits [b, classes] for x [b, features] (a fresh array). */
  predict(x: Float32Array, batch?: number): Float32Array;
  /** Mean loss and number of correct argmax predictions. */
  evaluate(x: Float32Array, y: Int32Array): { loss: number; correct: number };
  /**
   * Changes a kernel's mask (undefined: dense). Weights and optimizer slots at pruned positions
   * become 0; the sparse format is updated incrementally (only the changed positions when the
   * layer stays sparse). Grown weights keep the value in `weights()` (normally 0).
   */
  setMask(name: string, bits: Uint8Array | undefined): void;
  /**
   * Call after writing into the arrays of a `weights()` taken since the last step: the written
   * dense arrays become the truth (pruned positions are re-zeroed).
   */
  syncWeights(name?: string): void;
  /**
   * The parameters by name: the engine's own arrays (views, not copies), current as of this call.
   * Dense layers stay live. A sparse-routed kernel trains on its compact copy alone (so it holds
   * memory in proportion to its nonzeros): its view is made by this call and valid until the next
   * step or mask change, after which `weights()` makes a new one.
   */
  weights(): Map<string, Float32Array>;
  /** Copies the given parameters in (any subset, same shapes); pruned positions are re-zeroed. */
  setWeights(weights: ReadonlyMap<string, Float32Array>): void;
  /** Zeroes every optimizer slot and the step count (a fresh optimizer on the same weights). */
  resetOptimizer(): void;
  /** A parameter's optimizer slots (views, as `weights()`'s): [] for SGD, [velocity] with momentum, [m, v] for Adam. */
  slots(name: string): readonly Float32Array[];
  /** Steps taken. */
  readonly steps: number;
  layers(): LayerMode[];
  dispose(): void;
}

/** An architecture's part of an engine: its weight layers and its forward and backward passes. */
export interface Network {
  readonly features: number;
  readonly classes: number;
  readonly layers: readonly WeightLayer[];
  /** Examples per predict / evaluate pass (bounds activation memory). */
  readonly evalChunk: number;
  /** Logits of the batch (rows [0, batch) of `logits`), and where backward reads dLoss/dlogits. */
  forward(x: Float32Array, batch: number): { logits: Float32Array; dLogits: Float32Array };
  /**
   * Backward from dLogits of the last forward. Calls `visit` once per layer, as soon as its
   * gradients are ready and its weights are no longer needed (so it may update them).
   */
  backward(batch: number, denseGrads: boolean, visit: (layer: WeightLayer) => void): void;
  dispose(): void;
}

export interface EngineSetup {
  readonly kernels: Kernels;
  readonly optimizer: TypedOptimizer;
  readonly layers: WeightLayer[];
}

/** Options shared by every engine, checked, and its weight layers (masks applied). */
export function setupEngine(call: string, options: EngineOptions, layers: readonly WeightLayerInit[]): EngineSetup {
  const kernels = options.kernels ?? defaultKernels();
  const optimizer = new TypedOptimizer(options.optimizer, call);
  const chosen = options.sparseBelow;
  if (chosen !== undefined && (typeof chosen !== "number" || !(chosen >= 0 && chosen <= 1))) throw argError(call, "sparseBelow", "a density in [0, 1]", chosen);
  const names = layers.map((l) => `${l.name}.kernel`);
  for (const name of options.masks?.keys() ?? []) {
    if (!names.includes(name)) throw argError(call, "masks", `masks of ${names.join(", ")}`, name);
  }
  const built: WeightLayer[] = [];
  try {
    for (const init of layers) {
      const threshold = chosen ?? (init.sparseBelow ?? SPARSE_BREAK_EVEN)[kernels.name];
      built.push(new WeightLayer(kernels, init, optimizer.slotCount, threshold, options.weights, options.masks?.get(`${init.name}.kernel`), call));
    }
  } catch (error) {
    built.forEach((l) => l.dispose());
    throw error;
  }
  return { kernels, optimizer, layers: built };
}

/** The public engine around a network: argument checks, losses, chunked evaluation, parameter access. */
export function assembleEngine<Extra extends object>(label: string, setup: EngineSetup, network: Network, extra: Extra): Engine & Extra {
  const { kernels, optimizer } = setup;
  const { layers, features, classes } = network;
  const byKernel = new Map(layers.map((l) => [l.kernelName, l]));
  let disposed = false;

  function checkInput(call: string, x: Float32Array, batch: number): void {
    if (disposed) throw new SparselabError(`${label}.${call}: the engine was disposed`);
    if (!(x instanceof Float32Array) || x.length !== batch * features) {
      throw argError(`${label}.${call}`, "x", `a Float32Array of ${batch}×${features} values`, x);
    }
  }

  function labels(call: string, y: Int32Array): number {
    if (!(y instanceof Int32Array) || y.length === 0) throw argError(`${label}.${call}`, "y", "a non-empty Int32Array of class indices", y);
    for (let i = 0; i < y.length; i++) {
      if (!(y[i] >= 0 && y[i] < classes)) throw argError(`${label}.${call}`, `y[${i}]`, `a class index in [0, ${classes})`, y[i]);
    }
    return y.length;
  }

  /** Forward and backward on a checked batch; returns the loss. */
  function pass(call: string, x: Float32Array, y: Int32Array, denseGrads: boolean, visit: (l: WeightLayer) => void): number {
    const batch = labels(call, y);
    checkInput(call, x, batch);
    const { logits, dLogits } = network.forward(x, batch);
    const { loss } = softmaxCrossEntropy(logits, y, batch, classes, dLogits);
    network.backward(batch, denseGrads, visit);
    return loss;
  }

  /** Calls `each(logits, first, n)` for the input in chunks of at most `evalChunk` examples. */
  function chunked(x: Float32Array, batch: number, each: (logits: Float32Array, first: number, n: number) => void): void {
    for (let r = 0; r < batch; r += network.evalChunk) {
      const n = Math.min(network.evalChunk, batch - r);
      each(network.forward(x.subarray(r * features, (r + n) * features), n).logits, r, n);
    }
  }

  const engine: Engine = {
    kernels,
    optimizer: optimizer.spec,
    get steps() {
      return optimizer.steps;
    },

    step(x, y, lr = optimizer.spec.lr) {
      if (typeof lr !== "number" || !(lr >= 0) || !Number.isFinite(lr)) throw argError(`${label}.step`, "lr", "a finite number ≥ 0", lr);
      // begin() counts the step (Adam's bias correction): only once the inputs passed their checks.
      let rule: ReturnType<TypedOptimizer["begin"]> | undefined;
      return pass("step", x, y, false, (l) => l.update((rule ??= optimizer.begin(lr))));
    },

    gradients(x, y) {
      const loss = pass("gradients", x, y, true, () => {});
      const grads = new Map<string, Float32Array>();
      for (const l of layers) {
        grads.set(l.kernelName, Float32Array.from(l.denseGrad));
        grads.set(l.biasName, Float32Array.from(l.gBias));
      }
      return { loss, grads };
    },

    predict(x, batch = x?.length / features) {
      if (!Number.isInteger(batch) || batch < 1) throw argError(`${label}.predict`, "x", `a Float32Array of b×${features} values`, x);
      checkInput("predict", x, batch);
      const out = new Float32Array(batch * classes);
      chunked(x, batch, (logits, first, n) => out.set(logits.subarray(0, n * classes), first * classes));
      return out;
    },

    evaluate(x, y) {
      const batch = labels("evaluate", y);
      checkInput("evaluate", x, batch);
      let loss = 0, correct = 0;
      chunked(x, batch, (logits, first, n) => {
        const part = softmaxCrossEntropy(logits, y.subarray(first, first + n), n, classes);
        loss += part.loss * n;
        correct += part.correct;
      });
      return { loss: loss / batch, correct };
    },

    setMask(name, bits) {
      const l = byKernel.get(name);
      if (!l) throw argError(`${label}.setMask`, "name", `one of ${[...byKernel.keys()].join(", ")}`, name);
      l.setMask(bits, `${label}.setMask`);
    },

    syncWeights(name) {
      for (const l of layers) if (name === undefined || name === l.kernelName) l.syncWeights();
    },

    setWeights(weights) {
      for (const [name, values] of weights) {
        const l = layers.find((x) => x.kernelName === name || x.biasName === name);
        if (!l) throw argError(`${label}.setWeights`, "weights", `parameters among ${[...byKernel.keys()].join(", ")} and their biases`, name);
        const target = name === l.kernelName ? l.w : l.b;
        if (!(values instanceof Float32Array) || values.length !== target.length) {
          throw argError(`${label}.setWeights`, name, `a Float32Array of ${target.length} values`, values);
        }
        target.set(values);
        if (name === l.kernelName) l.syncWeights();
      }
    },

    resetOptimizer() {
      optimizer.reset();
      for (const l of layers) l.resetSlots();
    },

    weights() {
      return new Map(layers.flatMap((l) => [[l.kernelName, l.w], [l.biasName, l.b]] as [string, Float32Array][]));
    },

    slots(name) {
      for (const l of layers) {
        if (name === l.kernelName) return l.wSlots;
        if (name === l.biasName) return l.bSlots;
      }
      throw argError(`${label}.slots`, "name", "a parameter name", name);
    },

    layers() {
      return layers.map((l) => l.mode);
    },

    dispose() {
      if (disposed) return;
      disposed = true;
      network.dispose();
      for (const l of layers) l.dispose();
    },
  };
  return Object.defineProperties(extra, Object.getOwnPropertyDescriptors(engine)) as Engine & Extra;
}

/** Mean softmax cross-entropy of logits [batch, classes]; with `delta`, also dLoss/dlogits = (softmax − onehot)/batch. */
export function softmaxCrossEntropy(z: Float32Array, y: Int32Array, batch: number, classes: number, delta?: Float32Array): { loss: number; correct: number } {
  const c = classes;
  let loss = 0, correct = 0;
  for (let i = 0; i < batch; i++) {
    const o = i * c;
    let max = -Infinity, arg = 0;
    for (let j = 0; j < c; j++) if (z[o + j] > max) { max = z[o + j]; arg = j; }
    let sum = 0;
    for (let j = 0; j < c; j++) sum += Math.exp(z[o + j] - max);
    const lse = max + Math.log(sum);
    loss += lse - z[o + y[i]];
    if (arg === y[i]) correct++;
    if (delta) {
      for (let j = 0; j < c; j++) delta[o + j] = (Math.exp(z[o + j] - lse) - (j === y[i] ? 1 : 0)) / batch;
    }
  }
  return { loss: loss / batch, correct };
}
