import type { MaskChange, SparsityAlgorithm } from "./base.js";

/**
 * Runs several algorithms in one loop, in order, each on the masks the previous one left — GraNet
 * is gradual magnitude pruning followed by gradient regeneration at the same steps.
 */
export function composeAlgorithms(algorithms: readonly SparsityAlgorithm[]): SparsityAlgorithm | undefined {
  if (algorithms.length <= 1) return algorithms[0];
  return {
    name: algorithms.map((a) => a.name).join("+"),
    needsDenseGradients: algorithms.some((a) => a.needsDenseGradients),
    skipsOptimizerStep: algorithms.some((a) => a.skipsOptimizerStep),
    updatesAt: (step, totalSteps) => algorithms.some((a) => a.updatesAt(step, totalSteps)),
    update(context): MaskChange {
      let masks = context.masks;
      let reset: MaskChange["reset"];
      const dropped = new Map<string, number>();
      const grown = new Map<string, number>();
      const add = (into: Map<string, number>, from: ReadonlyMap<string, number>) => from.forEach((n, k) => into.set(k, (into.get(k) ?? 0) + n));
      for (const algorithm of algorithms) {
        if (!algorithm.updatesAt(context.step, context.totalSteps)) continue;
        const change = algorithm.update({ ...context, masks });
        masks = change.masks;
        // A later pruning step may remove what an earlier one regrew: only still-active resets count.
        reset = change.reset ? (reset ? reset.or(change.reset) : change.reset) : reset;
        add(dropped, change.dropped);
        add(grown, change.grown);
      }
      return { masks, dropped, grown, ...(reset && { reset: reset.and(masks) }) };
    },
    toJSON: () => algorithms.map((a) => a.toJSON()),
  };
}
