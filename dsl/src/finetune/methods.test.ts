import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../backend/index.js";
import { mlp } from "../nets/index.js";
import { vitGeometry } from "../nets/vit.js";
import { adam, sgd } from "../train/optimizers.js";
import { bodyTensors } from "./context.js";
import { chosenFirst, invertPermutation, permuteVit, type VitPermutation } from "./permute.js";
import { tinyTask, tinyVit } from "./testing.js";
import { colSliceMatMul, frozenMatMul, rowSliceMatMul } from "./train.js";
import type { VitSpec } from "../nets/index.js";

beforeAll(async () => {
  await useBackend({ backend: "cpu" });
});

const task = tinyTask();
const train = { task, steps: 6, batchSize: 16, optimizer: adam(0.01), seed: 1 } as const;

/** Max |a − b| over the logits of `net` before and after loading `weights`. */
function logits(net: ReturnType<typeof tinyVit>, x: tf.Tensor2D): Float32Array {
  return tf.tidy(() => net.apply(x).dataSync() as Float32Array).slice();
}

describe("S²FT co-permutation", () => {
  it("the permuted net computes the same function (to float tolerance), and the inverse restores the weights exactly", () => {
    const net = tinyVit(2);
    const spec = net.spec as VitSpec;
    const x = tf.randomNormal([5, 64], 0, 1, "float32", 3) as tf.Tensor2D;
    const before = logits(net, x);
    const base = net.snapshot();
    const perm: VitPermutation = { heads: [Int32Array.from([1, 0]), Int32Array.from([1, 0])], channels: [chosenFirst([5, 2, 7], 8), chosenFirst([3], 8)] };
    const permuted = permuteVit(spec, base, perm);
    expect(permuted.get("block1.ffn.down.kernel")).not.toEqual(base.get("block1.ffn.down.kernel"));
    net.load(permuted);
    const after = logits(net, x);
    after.forEach((v, i) => expect(Math.abs(v - before[i])).toBeLessThan(1e-5));
    const back = permuteVit(spec, permuted, invertPermutation(perm));
    for (const [name, w] of back) expect(w).toEqual(base.get(name));
    // A head moves as a block: new column 0…3 of q is old column 4…7 (head 1).
    const q = permuted.get("block1.attn.q.kernel")!;
    expect(q[0]).toBe(base.get("block1.attn.q.kernel")![4]);
    expect(() => permuteVit(spec, base, { ...perm, channels: [Int32Array.from([0, 0, 1, 2, 3, 4, 5, 6]), perm.channels[1]] }))
      .toThrow(/^permuteVit\(perm\.channels\[0\]\): expected a permutation of 0…7/);
    net.dispose();
    x.dispose();
  });

  it("slice matmuls give the same values and gradients as the dense product", () => {
    const x = tf.randomNormal([4, 6], 0, 1, "float32", 1) as tf.Tensor2D;
    const w = tf.randomNormal([6, 5], 0, 1, "float32", 2) as tf.Tensor2D;
    const dy = tf.randomNormal([4, 5], 0, 1, "float32", 3) as tf.Tensor2D;
    const close = (a: tf.Tensor, b: tf.Tensor) => Array.from(a.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(b.dataSync()[i], 4));
    const [dxRef, dwRef] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D), dy)))([x, w]);
    const restRows = tf.slice(w, [2, 0], [-1, -1]) as tf.Tensor2D;
    const restCols = tf.slice(w, [0, 3], [-1, -1]) as tf.Tensor2D;
    const rows = tf.grads((a: tf.Tensor, s: tf.Tensor) => tf.sum(tf.mul(rowSliceMatMul(a as tf.Tensor2D, s as tf.Tensor2D, restRows), dy)));
    const [dxRows, dsRows] = rows([x, tf.slice(w, [0, 0], [2, -1])]);
    close(dxRows, dxRef);
    close(dsRows, tf.slice(dwRef, [0, 0], [2, -1]));
    close(rowSliceMatMul(x, tf.slice(w, [0, 0], [2, -1]), tf.slice(w, [2, 0], [-1, -1])), tf.matMul(x, w));
    const cols = tf.grads((a: tf.Tensor, s: tf.Tensor) => tf.sum(tf.mul(colSliceMatMul(a as tf.Tensor2D, s as tf.Tensor2D, restCols), dy)));
    const [dxCols, dsCols] = cols([x, tf.slice(w, [0, 0], [-1, 3])]);
    close(dxCols, dxRef);
    close(dsCols, tf.slice(dwRef, [0, 0], [-1, 3]));
    const [dxFrozen] = tf.grads((a: tf.Tensor) => tf.sum(tf.mul(frozenMatMul(a as tf.Tensor2D, w), dy)))([x]);
    close(dxFrozen, dxRef);
  });
});

describe("S²FT", () => {
  it("changes only the selected slices (o rows of the chosen heads, down rows of the chosen channels) and the head", async () => {
    const pre = tinyVit(2);
    const spec = pre.spec as VitSpec;
    const result = await pre.finetune(train).s2ft({ heads: 1, channels: 3, select: "random", seed: 4 }).run();
    const units = result.details.units as { heads: number[][]; channels: number[][] };
    expect(units.heads.map((h) => h.length)).toEqual([1, 1]);
    expect(units.channels.map((c) => c.length)).toEqual([3, 3]);
    const dh = vitGeometry(spec).headDim;
    for (const [name, t] of result.delta.tensors) {
      const block = Number(/^block(\d)/.exec(name)?.[1]) - 1;
      const rows = [...t.indices].map((i) => Math.floor(i / t.shape[t.shape.length - 1]));
      if (name.endsWith("attn.o.kernel")) expect(rows.every((r) => units.heads[block].includes(Math.floor(r / dh)))).toBe(true);
      else if (name.endsWith("ffn.down.kernel")) expect(rows.every((r) => units.channels[block].includes(r))).toBe(true);
      else expect(["head.kernel", "head.bias"]).toContain(name);
    }
    expect(result.delta.count(["block1.attn.o.kernel"])).toBeGreaterThan(0);
    expect(result.delta.count(["block1.ffn.down.kernel"])).toBeGreaterThan(0);
    // Trainable: per block one head's dh rows of o and 3 rows of down (d wide each), plus the head.
    expect(result.trainableParameters).toBe(2 * (dh * 8 + 3 * 8) + 8 * 4 + 4);
    expect(result.optimizerStateBytes).toBe(2 * 4 * result.trainableParameters);
    // The base is untouched; the tuned net differs from it.
    expect(pre.snapshot().get("block1.attn.o.kernel")).toEqual(tinyVit(2).snapshot().get("block1.attn.o.kernel"));
    pre.dispose();
  });

  it("selects by weight norm (largest output-side norms) and by gradient; trains the input side with train: \"both\"", async () => {
    const pre = tinyVit(2);
    const w = pre.snapshot();
    const o = w.get("block1.attn.o.kernel")!;
    const norms = [0, 1].map((h) => o.slice(h * 32, (h + 1) * 32).reduce((s, v) => s + v * v, 0));
    const r = await pre.finetune({ ...train, steps: 2 }).s2ft({ heads: 1, channels: 0.25, select: "norm", train: "both" }).run();
    expect((r.details.units as { heads: number[][] }).heads[0]).toEqual([norms[0] > norms[1] ? 0 : 1]);
    expect((r.details.units as { channels: number[][] }).channels[0]).toHaveLength(2);
    expect([...r.delta.tensors.keys()]).toEqual(expect.arrayContaining(["block1.attn.q.kernel", "block1.ffn.up.kernel"]));
    const g = await pre.finetune({ ...train, steps: 2 }).s2ft({ heads: 1, channels: 2, select: "gradient" }).run();
    expect((g.details.units as { heads: number[][] }).heads).toHaveLength(2);
    pre.dispose();
  });

  it("fuse and unfuse: switching S²FT deltas on one base restores it exactly", async () => {
    const pre = tinyVit(2);
    const base = pre.snapshot();
    const a = await pre.finetune({ ...train, steps: 2 }).s2ft({ heads: 1, channels: 2, seed: 1 }).run();
    const b = await pre.finetune({ ...train, steps: 2, task: tinyTask({ seed: 5 }) }).s2ft({ heads: 1, channels: 2, seed: 2 }).run();
    const x = tf.randomNormal([3, 64], 0, 1, "float32", 1) as tf.Tensor2D;
    const tunedA = a.tuned();
    const fused = a.delta.apply(pre);
    expect(logits(pre, x)).toEqual(logits(tunedA, x));
    fused.revert();
    const fusedB = b.delta.apply(pre);
    fusedB.revert();
    for (const [name, v] of pre.snapshot()) expect(v).toEqual(base.get(name));
    pre.dispose();
    tunedA.dispose();
  });
});

describe("SaRA", () => {
  it("changes only entries under the threshold; optimizer state holds exactly one slot entry per trainable entry", async () => {
    const pre = tinyVit(3);
    const threshold = 0.05;
    const base = pre.snapshot();
    const body = bodyTensors(pre);
    const under = body.reduce((n, t) => n + base.get(t.name)!.filter((v) => Math.abs(v) < threshold).length, 0);
    const r = await pre.finetune({ ...train, head: "freeze" }).sara({ threshold, lambda: 0.01, reselectAt: 0.5 }).run();
    expect(r.trainableParameters).toBe(under);
    for (const [name, t] of r.delta.tensors) {
      const w = base.get(name)!;
      expect(body.map((b) => b.name)).toContain(name);
      for (const i of t.indices) expect(Math.abs(w[i])).toBeLessThan(threshold);
    }
    expect(r.delta.nnz).toBe(under);
    expect([...r.delta.tensors.values()].some((t) => t.values.some((v) => v !== 0))).toBe(true);
    // Adam: two slots per variable, each exactly as long as the tensor's trainable entries.
    const slots = r.details.optimizerSlotSizes as Record<string, number[]>;
    for (const [name, sizes] of Object.entries(slots)) {
      const count = base.get(name)!.filter((v) => Math.abs(v) < threshold).length;
      expect(sizes).toEqual([count, count]);
    }
    expect(r.optimizerStateBytes).toBe(2 * 4 * under);
    expect(r.details.reselectStep).toBe(3);
    expect(r.details.reselected).toBeLessThanOrEqual(under);
    expect((r.details.nuclearNorm as unknown[]).length).toBeGreaterThan(0);
    // The tuned net changes exactly there: every other entry is bit-identical to the base.
    const tuned = r.tuned();
    const after = tuned.snapshot();
    for (const [name, w] of base) {
      const t = r.delta.tensors.get(name);
      const touched = new Set(t ? t.indices : []);
      after.get(name)!.forEach((v, i) => { if (!touched.has(i)) expect(v).toBe(w[i]); });
    }
    tuned.dispose();
    pre.dispose();
  });

  it("refuses thresholds ≤ 0 and thresholds no entry is below", () => {
    const pre = tinyVit(3);
    const plan = pre.finetune(train);
    expect(() => plan.sara({ threshold: 0 })).toThrow(/^sara\(threshold\): expected a positive number, received 0$/);
    expect(() => plan.sara({ threshold: -1e-3 })).toThrow(/^sara\(threshold\): expected a positive number, received -0\.001$/);
    expect(() => plan.sara({ threshold: 0.01, reselectAt: 0 })).toThrow(/^sara\(reselectAt\): expected a number in \(0, 1\], received 0$/);
    expect(() => plan.sara({ threshold: 0.01, lambda: -1 })).toThrow(/^sara\(lambda\): expected a number in \[0, Infinity\), received -1$/);
    expect(() => plan.sara({ threshold: 0.01, svdEvery: 0 })).toThrow(/^sara\(svdEvery\): expected a positive integer, received 0$/);
    return expect(plan.sara({ threshold: 1e-12 }).run()).rejects.toThrow(/^sara\(threshold\): expected a threshold above the smallest body \|w\| \(.*\), received 1e-12: no entry is below it$/);
  });
});

describe("LT-SFT", () => {
  it("the delta has exactly k entries (and they are the ones that trained)", async () => {
    const pre = tinyVit(4);
    const k = 37;
    const r = await pre.finetune({ ...train, head: "freeze" }).ltsft({ budget: k }).run();
    expect(r.delta.nnz).toBe(k);
    const nonzero = [...r.delta.tensors.values()].reduce((n, t) => n + t.values.filter((v) => v !== 0).length, 0);
    expect(nonzero).toBe(k);
    expect(r.steps).toBe(2 * train.steps);
    expect(r.details.sparsePhaseTrainable).toBe(k);
    expect(r.details.sparsePhaseOptimizerBytes).toBe(2 * 4 * k);
    // With the head training, the body still holds exactly k entries.
    const withHead = await pre.finetune(train).ltsft({ budget: 0.05 }).run();
    const bodyNames = bodyTensors(pre).map((t) => t.name);
    const bodySize = bodyTensors(pre).reduce((n, t) => n + t.shape[0] * t.shape[1], 0);
    expect(withHead.delta.count(bodyNames)).toBe(Math.round(0.05 * bodySize));
    expect(withHead.delta.count(["head.kernel", "head.bias"])).toBeGreaterThan(0);
    pre.dispose();
  });

  it("refuses a budget above the parameter count", () => {
    const pre = tinyVit(4);
    const body = bodyTensors(pre).reduce((n, t) => n + t.shape[0] * t.shape[1], 0);
    expect(() => pre.finetune(train).ltsft({ budget: body + 1 }))
      .toThrow(new RegExp(`^ltsft\\(budget\\): expected a fraction in \\(0, 1\\) or a whole count in \\[1, ${body}\\] \\(the body's fine-tunable parameters\\), received ${body + 1}$`));
    expect(() => pre.finetune(train).ltsft({ budget: 0 })).toThrow(/^ltsft\(budget\): expected a fraction in \(0, 1\)/);
    expect(() => pre.finetune(train).ltsft({ budget: 2.5 })).toThrow(/received 2\.5$/);
    expect(() => pre.finetune(train).ltsft({ budget: 10, l1: -1 })).toThrow(/^ltsft\(l1\): expected a number in \[0, Infinity\), received -1$/);
    pre.dispose();
  });
});

describe("full fine-tuning and LoRA", () => {
  it("full trains every parameter; LoRA trains r·(in + out) per adapted kernel plus the head", async () => {
    const pre = tinyVit(5);
    const full = await pre.finetune({ ...train, optimizer: sgd(0.05, { momentum: 0.9 }) }).full().run();
    expect(full.trainableParameters).toBe(pre.parameterCount());
    expect(full.optimizerStateBytes).toBe(4 * pre.parameterCount());
    expect(full.metrics.testAccuracy).toBeGreaterThanOrEqual(0);
    const lora = await pre.finetune(train).lora({ rank: 2, targets: ["q", "v", "up"] }).run();
    expect(lora.trainableParameters).toBe(2 * (2 * (8 + 8) + 2 * (8 + 8) + 2 * (8 + 8)) + 8 * 4 + 4);
    expect(lora.adapter.rank).toBe(2);
    expect([...lora.adapter.factors.keys()]).toEqual(["block1.attn.q.kernel", "block1.attn.v.kernel", "block1.ffn.up.kernel", "block2.attn.q.kernel", "block2.attn.v.kernel", "block2.ffn.up.kernel"]);
    // The merged delta reproduces the adapter: W + scale·A·B.
    const f = lora.adapter.factors.get("block1.attn.q.kernel")!;
    const t = lora.delta.tensors.get("block1.attn.q.kernel")!;
    const j = t.indices[0];
    const [row, col] = [Math.floor(j / 8), j % 8];
    let ab = 0;
    for (let r = 0; r < 2; r++) ab += f.a[row * 2 + r] * f.b[r * 8 + col];
    expect(t.values[0]).toBeCloseTo(lora.adapter.scale * ab, 5);
    pre.dispose();
  });

  it("training lowers the loss on a learnable task", async () => {
    const pre = tinyVit(6);
    const r = await pre.finetune({ ...train, steps: 30 }).full().run();
    const first = r.losses.slice(0, 5).reduce((a, b) => a + b) / 5;
    const last = r.losses.slice(-5).reduce((a, b) => a + b) / 5;
    expect(last).toBeLessThan(first);
    expect(r.metrics.testAccuracy).toBeGreaterThan(0.5);
    pre.dispose();
  });
});

describe("the plan", () => {
  it("is immutable: frozen, and every call returns a new plan", () => {
    const pre = tinyVit(1);
    const plan = pre.finetune(train);
    expect(Object.isFrozen(plan)).toBe(true);
    const a = plan.ltsft({ budget: 10 });
    const b = plan.ltsft({ budget: 20 });
    expect(a).not.toBe(b);
    expect(a.config).toEqual({ budget: 10, l1: 0 });
    expect(Object.isFrozen(a) && Object.isFrozen(a.config)).toBe(true);
    expect(a.toJSON()).toMatchObject({ kind: "finetune", net: pre.family, method: "ltsft", config: { budget: 10, l1: 0 }, task: { classes: [0, 1, 2, 3], sizes: { train: 64 } } });
    expect(plan.s2ft({ heads: 0.5, channels: 0.1 }).config).toMatchObject({ heads: 1, channels: 1, select: "random", train: "output" });
    pre.dispose();
  });

  it("validates every input with the call, the argument and the value received", () => {
    const pre = tinyVit(1);
    const other = mlp([64, 8, 4], { seed: 1 });
    expect(() => pre.finetune({ ...train, task: undefined as never })).toThrow(/^finetune\(task\): expected a Task/);
    expect(() => pre.finetune({ task, batchSize: 8 } as never)).toThrow(/^finetune\(steps\): expected exactly one of steps or epochs/);
    expect(() => pre.finetune({ ...train, steps: 0 })).toThrow(/^finetune\(steps\): expected a positive integer, received 0$/);
    expect(() => pre.finetune({ ...train, head: "drop" as never })).toThrow(/^finetune\(head\): expected one of "train" \| "freeze", received "drop"$/);
    expect(() => pre.finetune({ ...train, lr: 1 } as never)).toThrow(/^finetune\(options\.lr\): expected no such option/);
    expect(() => pre.finetune(train).s2ft({ heads: 3, channels: 1 })).toThrow(/^s2ft\(heads\): expected a fraction in \(0, 1\) or a whole count in \[1, 2\] \(heads per block\), received 3$/);
    expect(() => pre.finetune(train).s2ft({ heads: 1, channels: 1, select: "best" as never })).toThrow(/^s2ft\(select\): expected one of "random" \| "norm" \| "gradient", received "best"$/);
    expect(() => pre.finetune(train).lora({ rank: 9 })).toThrow(/^lora\(rank\): expected at most 8 \(the smaller side of the adapted kernels\), received 9$/);
    expect(() => pre.finetune(train).lora({ rank: 1, targets: ["qq" as never] })).toThrow(/^lora\(targets\[0\]\): expected one of "q"/);
    expect(() => other.finetune(train).s2ft({ heads: 1, channels: 1 })).toThrow(/^s2ft\(\): expected a ViT net \(it needs attention heads and FFN channels\), received "mlp:64-8-4"$/);
    expect(() => other.finetune(train).lora({ rank: 1 })).toThrow(/^lora\(\): expected a ViT net/);
    expect(() => pre.finetune({ ...train, task: { ...task, features: 784 } })).toThrow(/^finetune\(task\): expected a task with 64 input features \(as the net takes\), received 784$/);
    pre.dispose();
    other.dispose();
  });

  it("LT-SFT and SaRA work on any net family (here an MLP)", async () => {
    const net = mlp([64, 16, 4], { seed: 2 });
    const r = await net.finetune({ ...train, steps: 3 }).ltsft({ budget: 20 }).run();
    expect(r.delta.nnz).toBe(20);
    expect(r.delta.family).toBe("mlp:64-16-4");
    net.dispose();
  });
});
