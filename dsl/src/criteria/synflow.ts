import * as tf from "@tensorflow/tfjs";
import type { MaskSet } from "../masks/index.js";
import { lossAndGradients } from "../train/gradients.js";
import type { Criterion } from "./criterion.js";
import { selectTopK, type Budget } from "./select.js";

const ITERATIONS = 100;

/** The budget after iteration k of n: each count shrinks geometrically towards its target. */
function intermediateBudget(budget: Budget, sizes: ReadonlyMap<string, number>, k: number): Budget {
  const shrink = (target: number, total: number) => (k === ITERATIONS ? target : Math.round(total * (target / total) ** (k / ITERATIONS)));
  if (budget.kind === "global") {
    const total = [...sizes.values()].reduce((a, b) => a + b, 0);
    return { kind: "global", kept: shrink(budget.kept, total) };
  }
  return { kind: "layerwise", kept: new Map([...budget.kept].map(([n, kept]) => [n, shrink(kept, sizes.get(n)!)])) };
}

/**
 * SynFlow (Tanaka et al. 2020): data-free iterative pruning by synaptic saliency |w ⊙ ∂R/∂w|,
 * where R is the summed output of the net with |w| on an all-ones input; 100 rounds with an
 * exponential schedule avoid layer collapse.
 */
export const synflow: Criterion = {
  name: "synflow",
  needsData: false,
  prune: ({ net, budget, rng }) => {
    const original = net.snapshot();
    const absolute = new Map([...original].map(([n, w]) => [n, w.map(Math.abs)]));
    const sizes = new Map(net.prunable.map((t) => [t.name, absolute.get(t.name)!.length]));
    const ones = tf.ones([1, net.features]) as tf.Tensor2D;
    const sum = (logits: tf.Tensor2D) => tf.sum(logits) as tf.Scalar;
    let masks: MaskSet | undefined;
    try {
      for (let k = 1; k <= ITERATIONS; k++) {
        const masked = new Map(absolute);
        if (masks) for (const [name, m] of masks.entries) masked.set(name, absolute.get(name)!.map((w, i) => w * m.bits[i]));
        net.load(masked);
        const { loss, grads } = lossAndGradients(net, ones, tf.zeros([1], "int32"), sum);
        loss.dispose();
        const scores = new Map(net.prunable.map((t) => {
          const g = grads.get(t.name)!.dataSync();
          return [t.name, masked.get(t.name)!.map((w, i) => Math.abs(w * g[i]))];
        }));
        grads.forEach((g) => g.dispose());
        masks = selectTopK(net.prunable, scores, intermediateBudget(budget, sizes, k), rng);
      }
    } finally {
      net.load(original);
      ones.dispose();
    }
    return masks!;
  },
};

