import type { Criterion } from "./criterion.js";
import { selectTopK } from "./select.js";

/** Random pruning: uniformly random positions, with exactly the budgeted count per layer (or overall). */
export const random: Criterion = {
  name: "random",
  needsData: false,
  prune: ({ net, budget, rng }) => {
    const scores = new Map(net.prunable.map((t) => {
      const s = new Float32Array(t.shape.reduce((a, b) => a * b, 1));
      for (let i = 0; i < s.length; i++) s[i] = rng.next();
      return [t.name, s];
    }));
    return selectTopK(net.prunable, scores, budget, rng);
  },
};
