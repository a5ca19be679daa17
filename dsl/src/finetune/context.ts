/** What every fine-tuning method shares: its inputs, its outcome, and small tensor helpers. */
import * as tf from "@tensorflow/tfjs";
import type { Net, PrunableTensor, Weights } from "../nets/index.js";
import { SparseDelta, type DeltaMeta } from "./delta.js";
import type { Task } from "./tasks.js";
import type { FinetuneTrain } from "./train.js";

export const HEAD = ["head.kernel", "head.bias"] as const;

/** Progress of a fine-tuning run (the DSL prints nothing; a display subscribes). */
export type FinetuneEvent =
  | { readonly type: "start"; readonly method: string; readonly totalSteps: number }
  | { readonly type: "step"; readonly method: string; readonly phase: string; readonly step: number; readonly loss: number }
  | { readonly type: "phase"; readonly method: string; readonly phase: string; readonly detail?: Readonly<Record<string, unknown>> }
  | { readonly type: "end"; readonly method: string; readonly testAccuracy: number };

export interface MethodContext {
  readonly pre: Net;
  readonly task: Task;
  readonly train: FinetuneTrain;
  readonly onEvent?: (event: FinetuneEvent) => void;
}

export interface LoraFactors {
  readonly a: Float32Array;
  readonly b: Float32Array;
  readonly shape: readonly [number, number];
}

/** A LoRA adapter kept unmerged: per adapted kernel, A [in, r] and B [r, out], with W' = W + scale·A·B. */
export interface LoraAdapter {
  readonly rank: number;
  readonly scale: number;
  readonly factors: ReadonlyMap<string, LoraFactors>;
  /** Dense head weights trained alongside (when the head trains). */
  readonly head: Weights;
}

export interface MethodOutcome {
  readonly delta: SparseDelta;
  /** Parameters the optimizer updated (the largest phase, for multi-phase methods). */
  readonly trainableParameters: number;
  /** Float32 optimizer-slot bytes held (the largest phase). */
  readonly optimizerStateBytes: number;
  /** Wall-clock ms of every step of the method's characteristic phase (LT-SFT: the sparse one). */
  readonly stepMs: readonly number[];
  /** Optimizer steps over all phases. */
  readonly steps: number;
  readonly losses: readonly number[];
  readonly details: Readonly<Record<string, unknown>>;
  readonly adapter?: LoraAdapter;
}

/** The tensors sparse methods choose entries in: the prunable kernels except the classifier head. */
export function bodyTensors(net: Net): PrunableTensor[] {
  return net.prunable.filter((t) => t.name !== "head.kernel");
}

export function variableOf(values: tf.Tensor | Float32Array, shape?: readonly number[], name?: string): tf.Variable {
  const t = values instanceof Float32Array ? tf.tensor(values, shape as number[], "float32") : tf.clone(values);
  const v = tf.variable(t, true, name ? `${name}#ft${nextId++}` : undefined);
  t.dispose();
  return v;
}
let nextId = 0;

/** Fresh trainable copies of the head (empty when the head is frozen). */
export function headVariables(ctx: MethodContext): Map<string, tf.Variable> {
  const out = new Map<string, tf.Variable>();
  if (ctx.train.head === "freeze") return out;
  for (const name of HEAD) {
    const v = ctx.pre.params.get(name);
    if (v) out.set(name, variableOf(v, undefined, name));
  }
  return out;
}

/** The net's parameters (as frozen tensors) with some replaced. */
export function paramsWith(net: Net, overrides: ReadonlyMap<string, tf.Tensor>): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>(net.params);
  for (const [name, t] of overrides) out.set(name, t);
  return out;
}

export function snapshotOf(variables: ReadonlyMap<string, tf.Variable>): Map<string, Float32Array> {
  return new Map([...variables].map(([name, v]) => [name, Float32Array.from(v.dataSync() as Float32Array)]));
}

/** The head's change as a delta (entries that changed). */
export function headDelta(ctx: MethodContext, head: ReadonlyMap<string, tf.Variable>): SparseDelta {
  if (head.size === 0) return SparseDelta.empty(ctx.pre.family);
  return SparseDelta.difference(ctx.pre, ctx.pre.snapshot(), snapshotOf(head), { names: [...head.keys()] });
}

export function sizeOf(variables: ReadonlyMap<string, tf.Variable>): number {
  let n = 0;
  for (const v of variables.values()) n += v.size;
  return n;
}

export function disposeAll(...maps: ReadonlyMap<string, tf.Tensor>[]): void {
  for (const m of maps) for (const t of m.values()) t.dispose();
}

export function withMeta(delta: SparseDelta, meta: DeltaMeta): SparseDelta {
  return delta.withMeta({ ...delta.meta, ...meta });
}

/** Rows the step hook reports: one event per step. */
export function stepReporter(ctx: MethodContext, method: string, phase: string) {
  return ctx.onEvent ? (step: number, loss: number) => ctx.onEvent!({ type: "step", method, phase, step, loss }) : undefined;
}
