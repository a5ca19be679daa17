/**
 * LT-SFT (Ansell et al., composable-sft): fine-tune the body fully, keep the `budget` entries
 * with the largest |θ₁ − θ₀| (globally over the body kernels), reset to θ₀, and fine-tune again
 * with only those entries free. The result is a `SparseDelta` with exactly `budget` body entries
 * (plus the head's change when the head trains).
 */
import * as tf from "@tensorflow/tfjs";
import { selectTopK } from "../../criteria/index.js";
import { SparselabError } from "../../errors.js";
import { Optimizer } from "../../train/optimizers.js";
import { SparseDelta, type TensorDelta } from "../delta.js";
import {
  bodyTensors, disposeAll, headDelta, headVariables, paramsWith, sizeOf, snapshotOf, stepReporter, variableOf, type MethodContext, type MethodOutcome,
} from "../context.js";
import { SparseEntries } from "../sparse-entries.js";
import { fitSteps, optimizerStateBytes } from "../train.js";

export interface LtsftConfig {
  /** Body entries to keep: an exact count (resolved from a fraction by the plan). */
  readonly budget: number;
  /**
   * L1 penalty l1·Σ|Δ| on the sparse phase's differences (the paper regularises the difference
   * towards θ₀ to keep deltas small and composable); 0 disables it.
   */
  readonly l1: number;
}

export async function runLtsft(ctx: MethodContext, config: LtsftConfig): Promise<MethodOutcome> {
  const { pre, train } = ctx;
  const body = bodyTensors(pre);
  const bodySize = body.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
  if (config.budget > bodySize) throw new SparselabError(`ltsft(budget): expected at most ${bodySize} (the body's parameters), received ${config.budget}`);

  // Phase 1: dense fine-tuning of the body kernels (and the head).
  const dense = new Map(body.map((t) => [t.name, variableOf(pre.params.get(t.name)!, undefined, t.name)]));
  let head = headVariables(ctx);
  const phase1 = new Map([...dense, ...head]);
  let optimizer = new Optimizer(train.optimizer);
  let denseBytes = 0;
  let scores: Map<string, Float32Array>;
  let fit1;
  try {
    fit1 = await fitSteps({ forward: (x) => pre.apply(x, paramsWith(pre, phase1)), variables: phase1, task: ctx.task, train, optimizer, onStep: stepReporter(ctx, "ltsft", "dense") });
    denseBytes = optimizerStateBytes(optimizer, phase1.keys());
    const tuned = snapshotOf(dense);
    const base = pre.snapshot();
    scores = new Map(body.map((t) => {
      const a = tuned.get(t.name)!;
      const b = base.get(t.name)!;
      return [t.name, a.map((v, i) => Math.abs(v - b[i]))];
    }));
  } finally {
    optimizer.dispose();
    disposeAll(phase1);
  }
  const masks = selectTopK(body, scores, { kind: "global", kept: config.budget });
  ctx.onEvent?.({ type: "phase", method: "ltsft", phase: "sparse", detail: { kept: config.budget } });

  // Phase 2: reset to θ₀ and train only the selected entries (and a fresh head).
  const entries = body.map((t) => {
    const bits = masks.get(t.name).bits;
    const idx: number[] = [];
    for (let i = 0; i < bits.length; i++) if (bits[i]) idx.push(i);
    return new SparseEntries(t.name, pre.params.get(t.name)!, t.shape, Int32Array.from(idx));
  });
  head = headVariables(ctx);
  const variables = new Map<string, tf.Variable>([...entries.map((e) => [e.name, e.values] as const), ...head]);
  optimizer = new Optimizer(train.optimizer);
  try {
    const fit2 = await fitSteps({
      forward: (x) => pre.apply(x, paramsWith(pre, new Map<string, tf.Tensor>([...entries.map((e) => [e.name, e.weight()] as const), ...head]))),
      variables, task: ctx.task, train, optimizer, onStep: stepReporter(ctx, "ltsft", "sparse"),
      adjust: config.l1 > 0 ? (grads) => {
        for (const e of entries) {
          const g = grads.get(e.name)!;
          grads.set(e.name, tf.tidy(() => tf.add(g, tf.mul(tf.sign(e.values), config.l1))));
          g.dispose();
        }
        return grads;
      } : undefined,
    });
    const sparseBytes = optimizerStateBytes(optimizer, variables.keys());
    const bodyDelta = SparseDelta.from(pre.family, entries.map((e): [string, TensorDelta] => [e.name, { shape: e.shape, indices: e.indices, values: e.read() }]));
    const delta = bodyDelta.add(headDelta(ctx, head)).withMeta({ method: "ltsft", ...config });
    return {
      delta,
      trainableParameters: Math.max(sizeOf(variables), bodySize + sizeOf(head)),
      optimizerStateBytes: Math.max(denseBytes, sparseBytes),
      stepMs: fit2.stepMs, steps: fit1.steps + fit2.steps, losses: [...fit1.losses, ...fit2.losses],
      details: {
        budget: config.budget, bodyParameters: bodySize, sparsePhaseTrainable: sizeOf(variables), sparsePhaseOptimizerBytes: sparseBytes,
        densePhaseOptimizerBytes: denseBytes, densePhaseStepMs: fit1.stepMs,
      },
    };
  } finally {
    optimizer.dispose();
    entries.forEach((e) => e.dispose());
    disposeAll(head);
  }
}
