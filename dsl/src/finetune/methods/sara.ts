/**
 * SaRA (Hu et al. 2024): fine-tune only the "ineffective" entries — those with |θ₀| below a
 * threshold — with a nuclear-norm penalty λ‖ΔW‖_* on each kernel's sparse update (pushing it
 * towards low rank), re-selecting the trainable set once during training.
 *
 * Here: the update of every body kernel is ΔW = scatter(values) on the selected entries (so the
 * optimizer holds state for exactly those entries); the penalty's subgradient λ·U·Vᵀ (over the
 * singular triplets past the first `rank`, i.e. the truncated nuclear norm when `rank` > 0) comes
 * from a warm-started Jacobi SVD in JS (recomputed every `svdEvery` steps, reused in between: ΔW
 * moves slowly) and is added to the values' gradients. Progressive
 * re-selection at `reselectAt`·steps: entries whose fine-tuned |w| has reached the threshold
 * become fixed (they are "effective" now), the rest keep training with fresh optimizer state.
 * Entries above the threshold in θ₀ are never touched.
 */
import * as tf from "@tensorflow/tfjs";
import { SparselabError } from "../../errors.js";
import { Optimizer } from "../../train/optimizers.js";
import { SparseDelta, type TensorDelta } from "../delta.js";
import { bodyTensors, disposeAll, headDelta, headVariables, paramsWith, sizeOf, stepReporter, type MethodContext, type MethodOutcome } from "../context.js";
import { SparseEntries } from "../sparse-entries.js";
import { nuclearNorm, nuclearSubgradientAt, svd } from "../svd.js";
import { fitSteps, optimizerStateBytes } from "../train.js";

export interface SaraConfig {
  /** Entries with |θ₀| < threshold train. */
  readonly threshold: number;
  /** Weight of the nuclear-norm penalty (0 disables it). */
  readonly lambda: number;
  /** Leave the `rank` largest singular values unpenalised (truncated nuclear norm); default 0. */
  readonly rank: number;
  /** Fraction of the steps after which the trainable set is re-selected (1 = never). */
  readonly reselectAt: number;
  /** Recompute the SVD (and so the subgradient) every this many steps, reusing it in between. */
  readonly svdEvery: number;
}

interface Selected {
  readonly name: string;
  readonly shape: readonly number[];
  /** Every entry selected at the start (the delta's support). */
  readonly indices: Int32Array;
}

export async function runSara(ctx: MethodContext, config: SaraConfig): Promise<MethodOutcome> {
  const { pre, train } = ctx;
  const base = pre.snapshot();
  const selected: Selected[] = bodyTensors(pre).flatMap((t) => {
    const w = base.get(t.name)!;
    const idx: number[] = [];
    for (let i = 0; i < w.length; i++) if (Math.abs(w[i]) < config.threshold) idx.push(i);
    return idx.length ? [{ name: t.name, shape: t.shape, indices: Int32Array.from(idx) }] : [];
  });
  const count = selected.reduce((n, s) => n + s.indices.length, 0);
  if (count === 0) {
    let smallest = Infinity;
    for (const t of bodyTensors(pre)) for (const v of base.get(t.name)!) smallest = Math.min(smallest, Math.abs(v));
    throw new SparselabError(`sara(threshold): expected a threshold above the smallest body |w| (${smallest.toPrecision(3)}), received ${config.threshold}: no entry is below it`);
  }
  // The full update per tensor (over `selected.indices`), carried across the re-selection.
  const update = new Map(selected.map((s) => [s.name, new Float32Array(s.indices.length)]));
  const warm = new Map<string, Float64Array>();
  const penaltyTrace: { step: number; nuclear: number }[] = [];
  let svds = 0;
  let head = headVariables(ctx);
  const reselectStep = config.reselectAt >= 1 ? train.steps : Math.max(1, Math.min(train.steps, Math.round(config.reselectAt * train.steps)));

  const runPhase = async (phase: "first" | "second", trainable: Map<string, Int32Array>, from: number, steps: number) => {
    // `trainable`: per tensor, positions (into selected.indices) that train in this phase.
    const entries = selected.flatMap((s) => {
      const positions = trainable.get(s.name);
      if (!positions || positions.length === 0) return [];
      const u = update.get(s.name)!;
      // Base for this phase: θ₀ plus the fixed part of the update (entries that no longer train).
      const phaseBase = Float32Array.from(base.get(s.name)!);
      const isTrainable = new Uint8Array(s.indices.length);
      positions.forEach((p) => (isTrainable[p] = 1));
      s.indices.forEach((i, p) => { if (!isTrainable[p]) phaseBase[i] += u[p]; });
      const idx = Int32Array.from(positions, (p) => s.indices[p]);
      const init = Float32Array.from(positions, (p) => u[p]);
      return [{ s, positions, entry: new SparseEntries(s.name, phaseBase, s.shape, idx, init) }];
    });
    const variables = new Map<string, tf.Variable>([...entries.map((e) => [e.s.name, e.entry.values] as const), ...head]);
    const optimizer = new Optimizer(train.optimizer);
    const subgradients = new Map<string, Float32Array>();
    const adjust = config.lambda > 0 ? (grads: Map<string, tf.Tensor>, step: number) => {
      let total = 0;
      const fresh = (step - from) % config.svdEvery === 0;
      for (const { s, positions, entry } of entries) {
        const g = grads.get(s.name)!;
        if (!fresh) {
          const extra = tf.tensor1d(subgradients.get(s.name)!);
          grads.set(s.name, tf.add(g, extra));
          tf.dispose([g, extra]);
          continue;
        }
        const n = s.shape[s.shape.length - 1];
        const m = s.shape.reduce((a, b) => a * b, 1) / n;
        const values = entry.values.dataSync() as Float32Array;
        const u = update.get(s.name)!;
        positions.forEach((p, j) => (u[p] = values[j]));
        const dense = new Float32Array(m * n);
        s.indices.forEach((i, p) => (dense[i] = u[p]));
        const d = svd(dense, m, n, { warm: warm.get(s.name), maxSweeps: 8 });
        warm.set(s.name, d.basis);
        total += nuclearNorm(d, config.rank);
        const sub = nuclearSubgradientAt(d, entry.indices, config.rank).map((v) => v * config.lambda);
        subgradients.set(s.name, sub);
        const extra = tf.tensor1d(sub);
        grads.set(s.name, tf.add(g, extra));
        tf.dispose([g, extra]);
      }
      if (fresh && svds++ % 10 === 0) penaltyTrace.push({ step, nuclear: total });
      return grads;
    } : undefined;
    try {
      const fit = await fitSteps({
        forward: (x) => pre.apply(x, paramsWith(pre, new Map<string, tf.Tensor>([...entries.map((e) => [e.s.name, e.entry.weight()] as const), ...head]))),
        variables, task: ctx.task, train, optimizer, from, count: steps, adjust, onStep: stepReporter(ctx, "sara", phase),
      });
      for (const { s, positions, entry } of entries) {
        const values = entry.read();
        const u = update.get(s.name)!;
        positions.forEach((p, j) => (u[p] = values[j]));
      }
      return { fit, bytes: optimizerStateBytes(optimizer, variables.keys()), trainable: sizeOf(variables), slots: new Map(entries.map((e) => [e.s.name, optimizer.slots(e.s.name).map((v) => v.size)])) };
    } finally {
      optimizer.dispose();
      entries.forEach((e) => e.entry.dispose());
    }
  };

  try {
    const all = new Map(selected.map((s) => [s.name, Int32Array.from(s.indices, (_, p) => p)]));
    const first = await runPhase("first", all, 0, reselectStep);
    let second: Awaited<ReturnType<typeof runPhase>> | undefined;
    let reselected = count;
    if (reselectStep < train.steps) {
      // Progressive re-selection: entries whose tuned |w| reached the threshold are fixed from here on.
      const still = new Map(selected.map((s) => {
        const w = base.get(s.name)!;
        const u = update.get(s.name)!;
        const keep: number[] = [];
        s.indices.forEach((i, p) => { if (Math.abs(w[i] + u[p]) < config.threshold) keep.push(p); });
        return [s.name, Int32Array.from(keep)];
      }));
      reselected = [...still.values()].reduce((n, p) => n + p.length, 0);
      ctx.onEvent?.({ type: "phase", method: "sara", phase: "second", detail: { trainable: reselected, fixed: count - reselected } });
      second = await runPhase("second", still, reselectStep, train.steps - reselectStep);
    }
    const bodyDelta = SparseDelta.from(pre.family, selected.map((s): [string, TensorDelta] => [s.name, { shape: s.shape, indices: s.indices, values: update.get(s.name)! }]));
    const delta = bodyDelta.add(headDelta(ctx, head)).withMeta({ method: "sara", ...config });
    return {
      delta,
      trainableParameters: first.trainable,
      optimizerStateBytes: Math.max(first.bytes, second?.bytes ?? 0),
      stepMs: [...first.fit.stepMs, ...(second?.fit.stepMs ?? [])],
      steps: first.fit.steps + (second?.fit.steps ?? 0),
      losses: [...first.fit.losses, ...(second?.fit.losses ?? [])],
      details: {
        selected: count, reselected, reselectStep, nuclearNorm: penaltyTrace, optimizerSlotSizes: Object.fromEntries(first.slots),
        secondPhaseTrainable: second?.trainable ?? 0, secondPhaseOptimizerBytes: second?.bytes ?? 0,
      },
    };
  } finally {
    disposeAll(head);
    head = new Map();
  }
}
