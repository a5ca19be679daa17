import * as tf from "@tensorflow/tfjs";
import type { Net } from "../nets/index.js";
import { lossAndGradients } from "../train/gradients.js";
import type { Criterion } from "./criterion.js";
import { sampleBatch } from "./sample.js";
import { selectTopK } from "./select.js";

/**
 * Hessian-gradient product H·g over the prunable weights (as GraSP does: biases are neither
 * scored nor moved) by central differences of the gradient along g:
 * (∇L(w + εg) − ∇L(w − εg)) / 2ε. Two extra gradient evaluations, no second-order autodiff.
 */
export function hessianGradient(net: Net, x: tf.Tensor2D, y: tf.Tensor1D): { g: Map<string, Float32Array>; hg: Map<string, Float32Array> } {
  const grads = (): Map<string, Float32Array> => {
    const { loss, grads } = lossAndGradients(net, x, y);
    loss.dispose();
    const out = new Map([...grads].map(([n, t]) => [n, t.dataSync() as Float32Array]));
    grads.forEach((t) => t.dispose());
    return out;
  };
  const prunable = new Set(net.prunable.map((t) => t.name));
  const original = net.snapshot();
  const g = new Map([...grads()].filter(([name]) => prunable.has(name)));
  let norm = 0;
  for (const v of g.values()) for (const gi of v) norm += gi * gi;
  let weightNorm = 0;
  for (const name of prunable) for (const wi of original.get(name)!) weightNorm += wi * wi;
  // Step size relative to the weights so the perturbation is small but far above float32 noise.
  const eps = (1e-3 * Math.sqrt(weightNorm)) / Math.max(Math.sqrt(norm), 1e-12);
  const shifted = (sign: number) => new Map([...original].map(([n, w]) => [n, g.has(n) ? w.map((wi, i) => wi + sign * eps * g.get(n)![i]) : w]));
  net.load(shifted(1));
  const plus = grads();
  net.load(shifted(-1));
  const minus = grads();
  net.load(original);
  const hg = new Map([...g.keys()].map((n) => [n, plus.get(n)!.map((pi, i) => (pi - minus.get(n)![i]) / (2 * eps))]));
  return { g, hg };
}

/**
 * GraSP (Wang et al. 2020): keeps the weights whose removal would most reduce gradient flow.
 * The paper removes the largest −w ⊙ Hg, i.e. keeps the largest w ⊙ Hg.
 */
export const grasp: Criterion = {
  name: "grasp",
  needsData: true,
  prune: ({ net, budget, rng, data }) => {
    const { x, y } = sampleBatch(data, 256, rng, "grasp");
    const { hg } = hessianGradient(net, x, y);
    tf.dispose([x, y]);
    const scores = new Map(net.prunable.map((t) => {
      const w = net.params.get(t.name)!.dataSync();
      return [t.name, hg.get(t.name)!.map((h, i) => w[i] * h)];
    }));
    return selectTopK(net.prunable, scores, budget, rng);
  },
};
