import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../backend/index.js";
import { buildNet, conv2, conv4, mlp, netSpecToString, parseNetSpec, prunableTensors } from "./index.js";
import { matMul } from "./ops.js";

beforeAll(async () => {
  await useBackend({ backend: "cpu" });
});

describe("prunable tensors: stable names in network order, kernels only", () => {
  it("MLP", () => {
    const net = mlp([784, 300, 100, 10], { seed: 1 });
    expect(net.prunable).toEqual([
      { name: "fc1.kernel", shape: [784, 300], kind: "dense" },
      { name: "fc2.kernel", shape: [300, 100], kind: "dense" },
      { name: "fc3.kernel", shape: [100, 10], kind: "dense" },
    ]);
    expect([...net.params.keys()]).toEqual(["fc1.kernel", "fc1.bias", "fc2.kernel", "fc2.bias", "fc3.kernel", "fc3.bias"]);
    expect(net.parameterCount()).toBe(784 * 300 + 300 + 300 * 100 + 100 + 100 * 10 + 10);
    expect(net.family).toBe("mlp:784-300-100-10");
    expect(net.features).toBe(784);
    expect(prunableTensors(net.spec)).toEqual(net.prunable);
    net.dispose();
  });

  it("Conv-2 and Conv-4 (3×3 same convs, 2×2 pools, then dense)", () => {
    const c2 = conv2({ seed: 1 });
    expect(c2.prunable).toEqual([
      { name: "conv1.kernel", shape: [3, 3, 1, 64], kind: "conv" },
      { name: "conv2.kernel", shape: [3, 3, 64, 64], kind: "conv" },
      { name: "fc1.kernel", shape: [14 * 14 * 64, 256], kind: "dense" },
      { name: "fc2.kernel", shape: [256, 256], kind: "dense" },
      { name: "fc3.kernel", shape: [256, 10], kind: "dense" },
    ]);
    expect(c2.family).toBe("conv:28x28x1:64-64-pool/256-256-10");
    c2.dispose();
    const c4 = conv4({ seed: 1, width: 0.25, input: [32, 32, 3] });
    expect(c4.prunable.map((t) => [t.name, t.shape])).toEqual([
      ["conv1.kernel", [3, 3, 3, 16]],
      ["conv2.kernel", [3, 3, 16, 16]],
      ["conv3.kernel", [3, 3, 16, 32]],
      ["conv4.kernel", [3, 3, 32, 32]],
      ["fc1.kernel", [8 * 8 * 32, 64]],
      ["fc2.kernel", [64, 64]],
      ["fc3.kernel", [64, 10]],
    ]);
    expect(c4.params.has("conv3.bias")).toBe(true);
    expect(c4.features).toBe(32 * 32 * 3);
    const logits = tf.tidy(() => c4.apply(tf.zeros([2, 32 * 32 * 3]) as tf.Tensor2D).shape);
    expect(logits).toEqual([2, 10]);
    c4.dispose();
  });
});

describe("initial weights", () => {
  it("same seed → identical, different seed → different; biases start at 0", () => {
    const [a, b, c] = [1, 1, 2].map((seed) => mlp([20, 30, 5], { seed }));
    const [wa, wb, wc] = [a, b, c].map((n) => n.snapshot());
    for (const [name, w] of wa) expect(wb.get(name)).toEqual(w);
    expect(wc.get("fc1.kernel")).not.toEqual(wa.get("fc1.kernel"));
    expect(wc.get("fc2.kernel")).not.toEqual(wa.get("fc2.kernel"));
    expect(Array.from(wa.get("fc1.bias")!).every((v) => v === 0)).toBe(true);
    [a, b, c].forEach((n) => n.dispose());
  });

  it("He-normal: std ≈ √(2 / fan-in)", () => {
    const net = mlp([400, 300, 10], { seed: 3 });
    const w = net.snapshot().get("fc1.kernel")!;
    const mean = w.reduce((s, v) => s + v, 0) / w.length;
    const std = Math.sqrt(w.reduce((s, v) => s + (v - mean) ** 2, 0) / w.length);
    expect(Math.abs(mean)).toBeLessThan(0.002);
    expect(std).toBeCloseTo(Math.sqrt(2 / 400), 3);
    net.dispose();
  });

  it("a spec rebuilds the same net; clone copies the current weights into independent variables", () => {
    const net = conv2({ seed: 4, width: 0.125 });
    const rebuilt = buildNet(JSON.parse(JSON.stringify(net.spec)));
    for (const [name, w] of net.snapshot()) expect(rebuilt.snapshot().get(name)).toEqual(w);
    const clone = net.clone();
    net.params.get("fc3.bias")!.assign(tf.onesLike(net.params.get("fc3.bias")!));
    expect(Array.from(clone.params.get("fc3.bias")!.dataSync())).toEqual(new Array(10).fill(0));
    [net, rebuilt, clone].forEach((n) => n.dispose());
  });

  it("Net.load checks what it is given", () => {
    const net = mlp([4, 3, 2], { seed: 0 });
    expect(() => net.load(new Map([["fc1.kernel", new Float32Array(12)]]))).toThrow(/^Net\.load\(weights\): missing parameter fc1\.bias$/);
    net.dispose();
  });
});

describe("net specs", () => {
  it("text ⇄ spec", () => {
    expect(parseNetSpec("mlp:784-300-100-10", 3)).toEqual({ kind: "mlp", sizes: [784, 300, 100, 10], seed: 3 });
    const conv = parseNetSpec("conv:32x32x3:64-64-pool-128-pool/256-10", 0);
    expect(conv).toEqual({ kind: "conv", input: [32, 32, 3], convs: [64, 64, "pool", 128, "pool"], dense: [256, 10], seed: 0 });
    expect(netSpecToString(conv)).toBe("conv:32x32x3:64-64-pool-128-pool/256-10");
  });

  it("parseNetSpec errors name the caller, the argument and the text", () => {
    const expected = 'expected a net like "mlp:784-300-100-10" or "conv:28x28x1:64-64-pool/256-256-10"';
    const cases = ["mlp:784", "mlp:784-0-10", "mlp:784--10", "mlp:784-3.5-10", "mlp:0784-10", "mlp784-10", "resnet:18", "conv:28x28:64/10", "conv:28x28x1:64-avg/10", "conv:28x28x1:pool-64/10", "conv:28x28x1:64", ""];
    for (const text of cases) {
      expect(() => parseNetSpec(text, 0), text).toThrow(new RegExp(`^parseNetSpec\\(net\\): ${escape(expected)}, received ${escape(JSON.stringify(text))}$`));
    }
    expect(() => parseNetSpec(42 as never, 0, "sparselab density")).toThrow(/^sparselab density\(net\): expected a net like .*, received 42$/);
  });

  it("factory arguments are checked", () => {
    expect(() => mlp([784])).toThrow(/^mlp\(sizes\): expected an array of at least 2 layer widths, received \[784\]$/);
    expect(() => mlp([784, -3, 10])).toThrow(/^mlp\(sizes\[1\]\): expected a positive integer, received -3$/);
    expect(() => mlp([4, 2], { seed: 1.5 })).toThrow(/^mlp\(options\.seed\): expected a non-negative integer, received 1\.5$/);
    expect(() => conv2({ width: 0 })).toThrow(/^conv2\(options\.width\): expected a positive number, received 0$/);
  });
});

describe("the custom matMul gradient", () => {
  it("equals tf's built-in matMul gradient", () => {
    const x = tf.randomNormal([7, 5], 0, 1, "float32", 1) as tf.Tensor2D;
    const w = tf.randomNormal([5, 3], 0, 1, "float32", 2) as tf.Tensor2D;
    const dy = tf.randomNormal([7, 3], 0, 1, "float32", 3);
    // A non-trivial upstream gradient: L = Σ (x·w) ⊙ dy.
    const [customX, customW] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(matMul(a as tf.Tensor2D, b as tf.Tensor2D), dy)))([x, w]);
    const [builtinX, builtinW] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D), dy)))([x, w]);
    expect(customX.shape).toEqual([7, 5]);
    expect(customW.shape).toEqual([5, 3]);
    expectAllClose(customX.dataSync(), builtinX.dataSync());
    expectAllClose(customW.dataSync(), builtinW.dataSync());
    expectAllClose(matMul(x, w).dataSync(), tf.matMul(x, w).dataSync());
    // And against the closed forms dx = dy·wᵀ, dw = xᵀ·dy.
    expectAllClose(customX.dataSync(), tf.matMul(dy, w, false, true).dataSync());
    expectAllClose(customW.dataSync(), tf.matMul(x, dy, true, false).dataSync());
    tf.dispose([x, w, dy, customX, customW, builtinX, builtinW]);
  });
});

function expectAllClose(a: ArrayLike<number>, b: ArrayLike<number>, tolerance = 1e-5): void {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  expect(worst).toBeLessThan(tolerance);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
