import { createHash } from "node:crypto";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "@sparselab/datasets";
import { SparselabError } from "../errors.js";
import type { NetSpec } from "./spec.js";
import { sparsify } from "../builder/impl.js";
import type { SparsifyPlan } from "../builder/plan.js";
import { netSpecToString } from "./spec.js";
import { finetune, type FinetunePlan } from "../finetune/plan.js";
import type { FinetuneOptions } from "../finetune/train.js";

/** A tensor the sparsity machinery may mask: dense and conv kernels, never biases or norms. */
export interface PrunableTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly kind: "dense" | "conv";
}

/** Weights by parameter name, as plain arrays: a snapshot that outlives the tensors. */
export type Weights = ReadonlyMap<string, Float32Array>;

export interface NetDefinition {
  readonly spec: NetSpec;
  /** Parameter names, shapes and initial values, in network order. */
  readonly parameters: readonly { name: string; shape: number[]; init: (rng: Rng, size: number) => Float32Array; prunable?: "dense" | "conv" }[];
  /** Logits for a batch of flat inputs [b, features]; `p` holds the current parameters by name. */
  readonly forward: (p: ReadonlyMap<string, tf.Tensor>, x: tf.Tensor2D) => tf.Tensor2D;
}

/**
 * A network whose parameters are tf variables with stable names. Nets are built from a
 * serialisable spec, so a recipe can rebuild the same net (same seed → same initial weights).
 */
export class Net {
  readonly spec: NetSpec;
  readonly params: ReadonlyMap<string, tf.Variable>;
  readonly prunable: readonly PrunableTensor[];
  readonly #definition: NetDefinition;

  constructor(definition: NetDefinition, weights?: Weights) {
    this.#definition = definition;
    this.spec = definition.spec;
    const rng = Rng.derive(definition.spec.seed, "init");
    const params = new Map<string, tf.Variable>();
    const prunable: PrunableTensor[] = [];
    for (const p of definition.parameters) {
      const size = p.shape.reduce((a, b) => a * b, 1);
      const values = weights?.get(p.name) ?? p.init(rng, size);
      if (values.length !== size) {
        throw new SparselabError(`Net(weights): parameter ${p.name} needs ${size} values for shape [${p.shape}], received ${values.length}`);
      }
      // The variable shares the initial tensor's data (reference-counted): drop our handle to it.
      const initial = tf.tensor(values, p.shape, "float32");
      params.set(p.name, tf.variable(initial, true, `${p.name}#${nextId++}`));
      initial.dispose();
      if (p.prunable) prunable.push({ name: p.name, shape: [...p.shape], kind: p.prunable });
    }
    this.params = params;
    this.prunable = prunable;
  }

  /** The architecture as text, e.g. "mlp:784-300-100-10": nets of one family share parameter shapes. */
  get family(): string {
    return netSpecToString(this.spec);
  }

  /** The width of the flat input the net expects. */
  get features(): number {
    const spec = this.spec;
    return spec.kind === "mlp" ? spec.sizes[0] : spec.input[0] * spec.input[1] * spec.input[2]; // conv and vit
  }

  /** Logits for flat inputs [b, features]; `params` replaces some or all weights (e.g. soft-masked views). */
  apply(x: tf.Tensor2D, params: ReadonlyMap<string, tf.Tensor> = this.params): tf.Tensor2D {
    return this.#definition.forward(params, x);
  }

  /** Starts a sparse-training plan for this net: `net.sparsify().erk(0.9).random().train({...}).run()`. */
  sparsify(): SparsifyPlan {
    return sparsify(this);
  }

  /** Starts a fine-tuning plan from this (pretrained) net: `pre.finetune({ task, steps: 300 }).s2ft({ heads: 1, channels: 8 }).run()`. */
  finetune(options: FinetuneOptions): FinetunePlan {
    return finetune(this, options);
  }

  snapshot(): Weights {
    return new Map([...this.params].map(([name, v]) => [name, v.dataSync() as Float32Array]));
  }

  load(weights: Weights): void {
    for (const [name, variable] of this.params) {
      const values = weights.get(name);
      if (!values) throw new SparselabError(`Net.load(weights): missing parameter ${name}`);
      const next = tf.tensor(values, variable.shape, "float32");
      variable.assign(next);
      next.dispose();
    }
  }

  /** SHA-256 (hex) of the parameter names, shapes and current values: which weights a recipe started from. */
  fingerprint(): string {
    const hash = createHash("sha256");
    for (const [name, v] of this.params) {
      const values = v.dataSync() as Float32Array;
      hash.update(`${name}[${v.shape}]`).update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    }
    return hash.digest("hex");
  }

  /** An independent copy with the same spec and current weights. */
  clone(): Net {
    return new Net(this.#definition, this.snapshot());
  }

  parameterCount(): number {
    let n = 0;
    for (const v of this.params.values()) n += v.size;
    return n;
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
  }
}

let nextId = 0;

/** He-normal initialisation for ReLU layers: std = sqrt(2 / fanIn). */
export function heNormal(fanIn: number) {
  const std = Math.sqrt(2 / fanIn);
  return (rng: Rng, size: number) => {
    const out = new Float32Array(size);
    for (let i = 0; i < size; i++) out[i] = rng.normal() * std;
    return out;
  };
}

export const zeros = (_rng: Rng, size: number) => new Float32Array(size);
