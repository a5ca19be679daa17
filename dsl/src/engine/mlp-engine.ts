import { argError } from "../errors.js";
import { DenseStack } from "./dense-stack.js";
import { assembleEngine, setupEngine, type Engine, type EngineOptions, type Network } from "./engine.js";

export interface MlpEngineOptions extends EngineOptions {
  /** Layer widths, e.g. [784, 300, 100, 10]: ReLU hidden layers, softmax cross-entropy on the logits. */
  readonly sizes: readonly number[];
}

/** An MLP on the kernels (parameters `fc{i}.kernel` [in, out], y = x·W, and `fc{i}.bias`, as in nets/mlp.ts). */
export interface MlpEngine extends Engine {
  readonly sizes: readonly number[];
}

/** predict / evaluate run in batches of at most this many rows (bounded activation memory). */
const EVAL_CHUNK = 1024;

export function createMlpEngine(options: MlpEngineOptions): MlpEngine {
  const call = "createMlpEngine";
  const sizes = checkSizes(call, options.sizes);
  const setup = setupEngine(call, options, sizes.slice(1).map((out, l) => ({ name: `fc${l + 1}`, shape: [sizes[l], out], in: sizes[l], out })));
  const k = setup.kernels;
  const stack = new DenseStack(k, setup.layers);
  // WASM kernels work in place only on their own memory: a foreign batch is copied into `staged`.
  let staged: Float32Array = new Float32Array(0), h0 = staged;
  const network: Network = {
    features: sizes[0],
    classes: sizes[sizes.length - 1],
    layers: setup.layers,
    evalChunk: EVAL_CHUNK,
    forward(x, batch) {
      stack.reserve(batch);
      if (k.owns(x)) h0 = x;
      else {
        if (staged.length < x.length) {
          k.free(staged);
          staged = k.allocFloat32(x.length);
        }
        staged.set(x);
        h0 = staged;
      }
      return stack.forward(h0, batch);
    },
    backward: (batch, denseGrads, visit) => stack.backward(h0, batch, denseGrads, visit),
    dispose() {
      stack.dispose();
      k.free(staged);
    },
  };
  return assembleEngine("MlpEngine", setup, network, { sizes });
}

function checkSizes(call: string, sizes: unknown): number[] {
  if (!Array.isArray(sizes) || sizes.length < 2 || !sizes.every((s) => Number.isInteger(s) && s >= 1)) {
    throw argError(call, "sizes", "an array of at least 2 positive integer layer widths", sizes);
  }
  return [...sizes];
}
