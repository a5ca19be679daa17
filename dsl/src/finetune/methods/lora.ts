/**
 * LoRA (Hu et al. 2021) on the ViT's attention and FFN projections: W' = W + (alpha / r)·A·B with
 * A [in, r] (random normal, std 1/√in) and B [r, out] (zeros), W frozen. The frozen product runs
 * through an op that forms no weight gradient, so the backward pass costs what LoRA's does.
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "@sparselab/datasets";
import { SparselabError } from "../../errors.js";
import { matMul } from "../../nets/ops.js";
import { vitForward } from "../../nets/vit.js";
import { Optimizer } from "../../train/optimizers.js";
import { SparseDelta } from "../delta.js";
import { disposeAll, headDelta, headVariables, sizeOf, snapshotOf, stepReporter, variableOf, type LoraFactors, type MethodContext, type MethodOutcome } from "../context.js";
import { fitSteps, frozenMatMul, optimizerStateBytes } from "../train.js";

export const LORA_TARGETS = ["q", "k", "v", "o", "up", "down"] as const;
export type LoraTarget = (typeof LORA_TARGETS)[number];

export interface LoraConfig {
  readonly rank: number;
  readonly alpha: number;
  readonly targets: readonly LoraTarget[];
  readonly seed: number;
}

/** Kernel names LoRA adapts for `targets`. */
export function loraKernels(blocks: readonly string[], targets: readonly LoraTarget[]): string[] {
  return blocks.flatMap((b) => targets.map((t) => (t === "up" || t === "down" ? `${b}.ffn.${t}.kernel` : `${b}.attn.${t}.kernel`)));
}

export async function runLora(ctx: MethodContext, config: LoraConfig): Promise<MethodOutcome> {
  const { pre, train } = ctx;
  if (pre.spec.kind !== "vit") throw new SparselabError(`lora(): expected a ViT (adapters on its attention and FFN projections), received a ${pre.family} net`);
  const spec = pre.spec;
  const blocks = Array.from({ length: spec.depth }, (_, i) => `block${i + 1}`);
  const scale = config.alpha / config.rank;
  const rng = Rng.derive(config.seed, "lora");
  const adapters = new Map(loraKernels(blocks, config.targets).map((name) => {
    const [fanIn, fanOut] = pre.params.get(name)!.shape as [number, number];
    if (config.rank > Math.min(fanIn, fanOut)) throw new SparselabError(`lora(rank): expected at most ${Math.min(fanIn, fanOut)} (the smaller side of ${name} [${fanIn}, ${fanOut}]), received ${config.rank}`);
    const a = new Float32Array(fanIn * config.rank);
    for (let i = 0; i < a.length; i++) a[i] = rng.normal() / Math.sqrt(fanIn);
    return [name, {
      a: variableOf(a, [fanIn, config.rank], `${name}.lora_a`),
      b: variableOf(new Float32Array(config.rank * fanOut), [config.rank, fanOut], `${name}.lora_b`),
      shape: [fanIn, fanOut] as [number, number],
    }];
  }));
  const head = headVariables(ctx);
  const params = new Map<string, tf.Tensor>([...pre.params, ...head]);
  const variables = new Map<string, tf.Variable>([
    ...[...adapters].flatMap(([name, f]) => [[`${name}#a`, f.a], [`${name}#b`, f.b]] as const), ...head,
  ]);
  const linear = (name: string, x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D => {
    const f = adapters.get(name);
    if (f) return tf.add(frozenMatMul(x, w), tf.mul(matMul(matMul(x, f.a as tf.Tensor2D), f.b as tf.Tensor2D), scale));
    return head.has(name) ? matMul(x, w) : frozenMatMul(x, w);
  };
  const optimizer = new Optimizer(train.optimizer);
  try {
    const fit = await fitSteps({
      forward: (x) => vitForward(spec, params, x, { linear }), variables, task: ctx.task, train, optimizer, onStep: stepReporter(ctx, "lora", "train"),
    });
    const factors = new Map<string, LoraFactors>([...adapters].map(([name, f]) => [name, {
      a: Float32Array.from(f.a.dataSync() as Float32Array), b: Float32Array.from(f.b.dataSync() as Float32Array), shape: f.shape,
    }]));
    // The merged update scale·A·B, as a (dense) delta on the adapted kernels.
    const base = pre.snapshot();
    const merged = new Map(base);
    for (const [name, f] of adapters) {
      merged.set(name, tf.tidy(() => tf.add(pre.params.get(name)!, tf.mul(tf.matMul(f.a, f.b), scale)).dataSync() as Float32Array).slice());
    }
    const delta = SparseDelta.difference(pre, base, merged, { names: [...adapters.keys()] }).add(headDelta(ctx, head))
      .withMeta({ method: "lora", ...config });
    return {
      delta, trainableParameters: sizeOf(variables), optimizerStateBytes: optimizerStateBytes(optimizer, variables.keys()),
      stepMs: fit.stepMs, steps: fit.steps, losses: fit.losses,
      adapter: Object.freeze({ rank: config.rank, scale, factors, head: snapshotOf(head) }),
      details: { adapted: [...adapters.keys()], scale },
    };
  } finally {
    optimizer.dispose();
    for (const f of adapters.values()) tf.dispose([f.a, f.b]);
    disposeAll(head);
  }
}
