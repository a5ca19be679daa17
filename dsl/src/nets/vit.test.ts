import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../backend/index.js";
import { decodeCheckpoint, encodeCheckpoint } from "../io/checkpoint.js";
import { MaskSet } from "../masks/index.js";
import { buildNet, netSpecToString, parseNetSpec, prunableTensors, vit } from "./index.js";

beforeAll(async () => {
  await useBackend({ backend: "cpu" });
});

describe("tiny ViT", () => {
  it("named parameters: per-block q/k/v/o and FFN projections; kernels prunable, norms and biases not", () => {
    const net = vit({ seed: 1 });
    expect(net.family).toBe("vit:28x28x1:p7-d32-h4-f64-l2-c10");
    expect(net.features).toBe(784);
    const shapes = Object.fromEntries([...net.params].map(([name, v]) => [name, v.shape]));
    expect(shapes["patch.kernel"]).toEqual([49, 32]);
    expect(shapes["pos.embedding"]).toEqual([16, 32]);
    expect(shapes["block1.attn.q.kernel"]).toEqual([32, 32]);
    expect(shapes["block2.attn.o.bias"]).toEqual([32]);
    expect(shapes["block1.ffn.up.kernel"]).toEqual([32, 64]);
    expect(shapes["block1.ffn.down.kernel"]).toEqual([64, 32]);
    expect(shapes["block2.ln2.gamma"]).toEqual([32]);
    expect(shapes["head.kernel"]).toEqual([32, 10]);
    expect(net.prunable.map((t) => t.name)).toEqual([
      "patch.kernel",
      ...[1, 2].flatMap((b) => ["q", "k", "v", "o"].map((m) => `block${b}.attn.${m}.kernel`).concat([`block${b}.ffn.up.kernel`, `block${b}.ffn.down.kernel`])),
      "head.kernel",
    ]);
    expect(net.prunable.every((t) => t.kind === "dense")).toBe(true);
    expect(prunableTensors(net.spec)).toEqual(net.prunable);
    expect(net.parameterCount()).toBe(19594);
    const logits = tf.tidy(() => net.apply(tf.randomNormal([3, 784]) as tf.Tensor2D).shape);
    expect(logits).toEqual([3, 10]);
    net.dispose();
  });

  it("the spec round-trips through text, buildNet and a checkpoint", () => {
    const net = vit({ seed: 3, input: [8, 8, 1], patch: 4, dim: 8, heads: 2, mlp: 12, depth: 1, classes: 4 });
    const text = netSpecToString(net.spec);
    expect(text).toBe("vit:8x8x1:p4-d8-h2-f12-l1-c4");
    expect(parseNetSpec(text, 3)).toEqual(net.spec);
    const rebuilt = buildNet(JSON.parse(JSON.stringify(net.spec)));
    for (const [name, w] of net.snapshot()) expect(rebuilt.snapshot().get(name)).toEqual(w);
    const restored = decodeCheckpoint(encodeCheckpoint(net, MaskSet.dense(net.prunable))).net;
    const x = tf.randomNormal([2, 64]) as tf.Tensor2D;
    expect(Array.from(restored.apply(x).dataSync())).toEqual(Array.from(net.apply(x).dataSync()));
    [net, rebuilt, restored].forEach((n) => n.dispose());
  });

  it("refuses sizes that do not fit together", () => {
    expect(() => vit({ heads: 3 })).toThrow(/^vit\(heads\): expected a divisor of dim 32, received 3$/);
    expect(() => vit({ patch: 5 })).toThrow(/^vit\(patch\): expected a divisor of the image size 28×28, received 5$/);
    expect(() => vit({ depth: 0 })).toThrow(/^vit\(depth\): expected a positive integer, received 0$/);
    expect(() => parseNetSpec("vit:28x28x1:p7-d32-h3-f64-l2-c10", 0)).toThrow(/^parseNetSpec\(net\): expected a net like .*, received "vit:28x28x1:p7-d32-h3-f64-l2-c10"$/);
    expect(() => parseNetSpec("vit:28x28x1:d32-p7-h4-f64-l2-c10", 0)).toThrow(/received "vit:28x28x1:d32-p7/);
  });
});
