import * as tf from "@tensorflow/tfjs";
import { checkNonNegativeInt, checkPositiveInt } from "../validate.js";
import { argError } from "../errors.js";
import { Net, heNormal, zeros, type NetDefinition } from "./net.js";
import { matMul } from "./ops.js";
import type { MlpSpec } from "./spec.js";

/** An MLP, e.g. LeNet-300-100: `mlp([784, 300, 100, 10], { seed: 1 })`. Parameters fc{i}.kernel / fc{i}.bias. */
export function mlp(sizes: readonly number[], options: { seed?: number } = {}): Net {
  if (!Array.isArray(sizes) || sizes.length < 2) throw argError("mlp", "sizes", "an array of at least 2 layer widths", sizes);
  sizes.forEach((s, i) => checkPositiveInt("mlp", `sizes[${i}]`, s));
  const seed = checkNonNegativeInt("mlp", "options.seed", options.seed ?? 0);
  return new Net(defineMlp({ kind: "mlp", sizes: [...sizes], seed }));
}

export function defineMlp(spec: MlpSpec): NetDefinition {
  const layers = spec.sizes.slice(1).map((out, i) => ({ name: `fc${i + 1}`, in: spec.sizes[i], out }));
  return {
    spec,
    parameters: layers.flatMap((l) => [
      { name: `${l.name}.kernel`, shape: [l.in, l.out], init: heNormal(l.in), prunable: "dense" as const },
      { name: `${l.name}.bias`, shape: [l.out], init: zeros },
    ]),
    forward: (p, x) => {
      let h: tf.Tensor2D = x;
      layers.forEach((l, i) => {
        h = tf.add(matMul(h, p.get(`${l.name}.kernel`) as tf.Tensor2D), p.get(`${l.name}.bias`)!);
        if (i < layers.length - 1) h = tf.relu(h);
      });
      return h;
    },
  };
}
