import * as tf from "@tensorflow/tfjs";
import type { Rng } from "@sparselab/datasets";
import { argError } from "../errors.js";
import { checkNonNegativeInt, checkPositiveInt } from "../validate.js";
import { Net, zeros, type NetDefinition } from "./net.js";
import { matMul } from "./ops.js";
import type { VitSpec } from "./spec.js";

/**
 * A tiny Vision Transformer written with tf variables (pre-LN, mean-pooled tokens, ReLU FFN).
 *
 * Parameters, in network order (T = tokens = (H/p)·(W/p), P = p·p·C, d = dim, f = mlp):
 *
 * | name                               | shape    | prunable |
 * |------------------------------------|----------|----------|
 * | `patch.kernel` / `patch.bias`       | [P, d] / [d] | kernel |
 * | `pos.embedding`                     | [T, d]   | no       |
 * | `block{i}.ln1.gamma` / `.beta`      | [d]      | no       |
 * | `block{i}.attn.{q,k,v,o}.kernel`    | [d, d]   | yes      |
 * | `block{i}.attn.{q,k,v,o}.bias`      | [d]      | no       |
 * | `block{i}.ln2.gamma` / `.beta`      | [d]      | no       |
 * | `block{i}.ffn.up.kernel` / `.bias`  | [d, f] / [f] | kernel |
 * | `block{i}.ffn.down.kernel` / `.bias`| [f, d] / [d] | kernel |
 * | `norm.gamma` / `norm.beta`          | [d]      | no       |
 * | `head.kernel` / `head.bias`         | [d, classes] / [classes] | kernel |
 *
 * **Head layout** (what S²FT permutes): with dh = d / heads, head h owns the *columns*
 * h·dh … (h+1)·dh − 1 of `q`, `k`, `v` (and those entries of their biases) and the *rows*
 * h·dh … (h+1)·dh − 1 of `o`. FFN channel c is column c of `up` (and `up.bias[c]`) and row c of
 * `down`. Permuting heads (in blocks of dh) or channels on both sides of such a pair leaves the
 * function unchanged.
 *
 * Blocks are numbered from 1. Patches are taken row-major over the image (top-left first), each
 * flattened row-major over (y, x, channel).
 */
export interface VitOptions {
  readonly seed?: number;
  readonly input?: readonly [number, number, number];
  /** Patch side in pixels (default 7: 28×28 → 16 tokens). */
  readonly patch?: number;
  /** Token width d (default 32). */
  readonly dim?: number;
  /** Attention heads per block (default 4); must divide `dim`. */
  readonly heads?: number;
  /** FFN hidden width f (default 64). */
  readonly mlp?: number;
  /** Transformer blocks (default 2). */
  readonly depth?: number;
  readonly classes?: number;
}

/** A tiny ViT: `vit({ seed: 1 })` is 28×28×1, 7×7 patches, d 32, 4 heads, FFN 64, 2 blocks, 10 classes. */
export function vit(options: VitOptions = {}): Net {
  const call = "vit";
  const seed = checkNonNegativeInt(call, "options.seed", options.seed ?? 0);
  const spec: VitSpec = {
    kind: "vit",
    input: options.input ?? [28, 28, 1],
    patch: options.patch ?? 7,
    dim: options.dim ?? 32,
    heads: options.heads ?? 4,
    mlp: options.mlp ?? 64,
    depth: options.depth ?? 2,
    classes: options.classes ?? 10,
    seed,
  };
  checkVitSpec(spec, call);
  return new Net(defineVit(spec));
}

/** Throws unless the spec's sizes fit together (patch divides the image, heads divide dim). */
export function checkVitSpec(spec: VitSpec, call: string): void {
  if (!Array.isArray(spec.input) || spec.input.length !== 3) throw argError(call, "input", "[height, width, channels]", spec.input);
  spec.input.forEach((v, i) => checkPositiveInt(call, `input[${i}]`, v));
  for (const key of ["patch", "dim", "heads", "mlp", "depth", "classes"] as const) checkPositiveInt(call, key, spec[key]);
  const [h, w] = spec.input;
  if (h % spec.patch !== 0 || w % spec.patch !== 0) throw argError(call, "patch", `a divisor of the image size ${h}×${w}`, spec.patch);
  if (spec.dim % spec.heads !== 0) throw argError(call, "heads", `a divisor of dim ${spec.dim}`, spec.heads);
}

/** Sizes derived from a spec. */
export function vitGeometry(spec: VitSpec) {
  const [h, w, c] = spec.input;
  const gridH = h / spec.patch;
  const gridW = w / spec.patch;
  return {
    tokens: gridH * gridW, gridH, gridW, patchSize: spec.patch * spec.patch * c,
    headDim: spec.dim / spec.heads, blocks: Array.from({ length: spec.depth }, (_, i) => `block${i + 1}`),
  };
}

const normal = (std: number) => (rng: Rng, size: number) => {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = rng.normal() * std;
  return out;
};
const ones = (_rng: Rng, size: number) => new Float32Array(size).fill(1);

/**
 * Multiplies the input of one projection by its kernel: `name` is the kernel's parameter name,
 * `w` the tensor the params map holds for it. A fine-tuning method replaces this to keep frozen
 * kernels out of the backward pass, train only a slice (S²FT) or add adapters (LoRA).
 */
export type LinearHook = (name: string, x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D;

export interface VitForwardOptions {
  readonly linear?: LinearHook;
}

const defaultLinear: LinearHook = (_name, x, w) => matMul(x, w);

function layerNorm(x: tf.Tensor2D, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, 1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), gamma), beta);
}

/** Logits for flat inputs [b, H·W·C]; exported so fine-tuning can pass a `linear` hook. */
export function vitForward(spec: VitSpec, p: ReadonlyMap<string, tf.Tensor>, x: tf.Tensor2D, options: VitForwardOptions = {}): tf.Tensor2D {
  const g = vitGeometry(spec);
  const linearOf = options.linear ?? defaultLinear;
  const get = (name: string) => {
    const t = p.get(name);
    if (!t) throw new Error(`vitForward: missing parameter ${name}`);
    return t;
  };
  const dense = (name: string, h: tf.Tensor2D) => tf.add(linearOf(`${name}.kernel`, h, get(`${name}.kernel`) as tf.Tensor2D), get(`${name}.bias`)) as tf.Tensor2D;
  const b = x.shape[0];
  const [, , c] = spec.input;
  const { dim: d, heads } = spec;
  const dh = g.headDim;
  const n = g.tokens;
  // [b, gh, p, gw, p, c] → [b, gh, gw, p, p, c] → one row per patch.
  const patches = tf.reshape(
    tf.transpose(tf.reshape(x, [b, g.gridH, spec.patch, g.gridW, spec.patch * c]), [0, 1, 3, 2, 4]),
    [b * n, g.patchSize],
  ) as tf.Tensor2D;
  let h = tf.reshape(tf.add(tf.reshape(dense("patch", patches), [b, n, d]), get("pos.embedding")), [b * n, d]) as tf.Tensor2D;
  const splitHeads = (t: tf.Tensor2D) => tf.reshape(tf.transpose(tf.reshape(t, [b, n, heads, dh]), [0, 2, 1, 3]), [b * heads, n, dh]) as tf.Tensor3D;
  for (const block of g.blocks) {
    const a = layerNorm(h, get(`${block}.ln1.gamma`), get(`${block}.ln1.beta`));
    const q = splitHeads(dense(`${block}.attn.q`, a));
    const k = splitHeads(dense(`${block}.attn.k`, a));
    const v = splitHeads(dense(`${block}.attn.v`, a));
    const att = tf.softmax(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh)));
    const heads3 = tf.matMul(att, v); // [b·H, n, dh]
    const merged = tf.reshape(tf.transpose(tf.reshape(heads3, [b, heads, n, dh]), [0, 2, 1, 3]), [b * n, d]) as tf.Tensor2D;
    h = tf.add(h, dense(`${block}.attn.o`, merged));
    const f = layerNorm(h, get(`${block}.ln2.gamma`), get(`${block}.ln2.beta`));
    h = tf.add(h, dense(`${block}.ffn.down`, tf.relu(dense(`${block}.ffn.up`, f))));
  }
  const pooled = tf.mean(tf.reshape(layerNorm(h, get("norm.gamma"), get("norm.beta")), [b, n, d]), 1) as tf.Tensor2D;
  return dense("head", pooled);
}

export function defineVit(spec: VitSpec): NetDefinition {
  const g = vitGeometry(spec);
  const { dim: d, mlp: f } = spec;
  const kernel = (name: string, fanIn: number, fanOut: number, std = Math.sqrt(2 / (fanIn + fanOut))) =>
    ({ name: `${name}.kernel`, shape: [fanIn, fanOut], init: normal(std), prunable: "dense" as const });
  const bias = (name: string, size: number) => ({ name: `${name}.bias`, shape: [size], init: zeros });
  const norm = (name: string) => [
    { name: `${name}.gamma`, shape: [d], init: ones },
    { name: `${name}.beta`, shape: [d], init: zeros },
  ];
  return {
    spec,
    parameters: [
      kernel("patch", g.patchSize, d), bias("patch", d),
      { name: "pos.embedding", shape: [g.tokens, d], init: normal(0.02) },
      ...g.blocks.flatMap((block) => [
        ...norm(`${block}.ln1`),
        ...["q", "k", "v", "o"].flatMap((m) => [kernel(`${block}.attn.${m}`, d, d), bias(`${block}.attn.${m}`, d)]),
        ...norm(`${block}.ln2`),
        kernel(`${block}.ffn.up`, d, f, Math.sqrt(2 / d)), bias(`${block}.ffn.up`, f),
        kernel(`${block}.ffn.down`, f, d), bias(`${block}.ffn.down`, d),
      ]),
      ...norm("norm"),
      kernel("head", d, spec.classes), bias("head", spec.classes),
    ],
    forward: (p, x) => vitForward(spec, p, x),
  };
}
