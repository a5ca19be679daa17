import * as tf from "@tensorflow/tfjs";
import { prunableGradients } from "../train/gradients.js";
import type { Criterion } from "./criterion.js";
import { sampleBatch } from "./sample.js";
import { selectTopK } from "./select.js";

/** SNIP (Lee et al. 2019): connection sensitivity |g ⊙ w| on a batch of training data at init. */
export const snip: Criterion = {
  name: "snip",
  needsData: true,
  prune: ({ net, budget, rng, data }) => {
    const { x, y } = sampleBatch(data, 256, rng, "snip");
    const grads = prunableGradients(net, x, y);
    tf.dispose([x, y]);
    const scores = new Map(net.prunable.map((t) => {
      const w = net.params.get(t.name)!.dataSync();
      return [t.name, grads.get(t.name)!.map((g, i) => Math.abs(g * w[i]))];
    }));
    return selectTopK(net.prunable, scores, budget, rng);
  },
};
