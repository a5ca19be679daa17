import type { Net } from "../nets/index.js";
import type { Criterion } from "./criterion.js";
import { selectTopK, type Scores } from "./select.js";

/** |w| of every prunable tensor. */
export function magnitudeScores(net: Net): Scores {
  return new Map(net.prunable.map((t) => [t.name, (net.params.get(t.name)!.dataSync() as Float32Array).map(Math.abs)]));
}

/** Keep the largest |w|. */
export const magnitude: Criterion = {
  name: "magnitude",
  needsData: false,
  prune: ({ net, budget, rng }) => selectTopK(net.prunable, magnitudeScores(net), budget, rng),
};
