import * as tf from "@tensorflow/tfjs";
import { Rng, synthetic } from "@sparselab/datasets";
import { afterEach, describe, expect, it } from "vitest";
import { buildNet, parseNetSpec } from "../nets/index.js";
import { MaskSet } from "../masks/index.js";
import { trainMasked } from "../train/loop.js";
import { sgd } from "../train/optimizers.js";
import { validateTrainSpec } from "../train/spec.js";
import { activeBackend, useBackend } from "./index.js";

const saved = process.env.SPARSELAB_BACKEND;
afterEach(() => {
  if (saved === undefined) delete process.env.SPARSELAB_BACKEND;
  else process.env.SPARSELAB_BACKEND = saved;
});

describe("useBackend", () => {
  it("picks wasm here: tfjs-node is not installed", async () => {
    delete process.env.SPARSELAB_BACKEND;
    const info = await useBackend();
    expect(info).toEqual({ name: "wasm", reason: "best available", skipped: ["tensorflow: @tensorflow/tfjs-node is not installed"] });
    expect(tf.getBackend()).toBe("wasm");
    expect(activeBackend()).toBe(info);
    // Asking again changes nothing.
    expect(await useBackend()).toBe(info);
    // The wasm backend ships no Conv2DBackpropFilter; useBackend registers one.
    expect(tf.getKernel("Conv2DBackpropFilter", "wasm")).toBeDefined();
  });

  it("SPARSELAB_BACKEND=cpu forces cpu", async () => {
    process.env.SPARSELAB_BACKEND = "cpu";
    expect(await useBackend()).toEqual({ name: "cpu", reason: "SPARSELAB_BACKEND", skipped: [] });
    expect(tf.getBackend()).toBe("cpu");
  });

  it("{ backend } forces a backend and wins over the environment", async () => {
    process.env.SPARSELAB_BACKEND = "cpu";
    expect(await useBackend({ backend: "wasm" })).toEqual({ name: "wasm", reason: "requested", skipped: [] });
    expect(tf.getBackend()).toBe("wasm");
    expect(await useBackend({ backend: "cpu" })).toEqual({ name: "cpu", reason: "requested", skipped: [] });
    expect(tf.getBackend()).toBe("cpu");
  });

  it("an unknown name is an error naming where it came from", async () => {
    await expect(useBackend({ backend: "gpu" as never })).rejects.toThrow(/^useBackend\(backend\): expected one of "tensorflow" \| "wasm" \| "cpu", received "gpu"$/);
    process.env.SPARSELAB_BACKEND = "webgl";
    await expect(useBackend()).rejects.toThrow(/^useBackend\(SPARSELAB_BACKEND\): expected one of "tensorflow" \| "wasm" \| "cpu", received "webgl"$/);
  });

  it("a forced backend that cannot start is an error, not a silent fallback", async () => {
    await expect(useBackend({ backend: "tensorflow" })).rejects.toThrow(/^useBackend\(backend\): "tensorflow" could not start: @tensorflow\/tfjs-node is not installed$/);
  });
});

describe("wasm Conv2DBackpropFilter", () => {
  /** d/dfilter of Σ conv2d(x, filter) ⊙ r on `backend`, from the same input arrays. */
  async function filterGradient(backend: "cpu" | "wasm", xShape: number[], fShape: number[], strides: number | [number, number], pad: "same" | "valid", seed: number) {
    await useBackend({ backend });
    const rng = new Rng(seed);
    const values = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
    const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
    return tf.tidy(() => {
      const x = tf.tensor4d(values(size(xShape)), xShape as [number, number, number, number]);
      const filter = tf.tensor4d(values(size(fShape)), fShape as [number, number, number, number]);
      const outShape = tf.conv2d(x, filter, strides, pad).shape;
      const r = tf.tensor(values(size(outShape)), outShape);
      const grad = tf.grad((f: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, f as tf.Tensor4D, strides, pad), r)))(filter);
      expect(grad.shape).toEqual(fShape);
      return grad.dataSync() as Float32Array;
    });
  }

  const cases: [string, number[], number[], number | [number, number], "same" | "valid"][] = [
    ["3×3, stride 1, same", [2, 8, 8, 3], [3, 3, 3, 4], 1, "same"],
    ["3×3, stride 1, valid", [2, 8, 8, 3], [3, 3, 3, 4], 1, "valid"],
    ["3×3, stride 2, same (symmetric padding)", [2, 9, 9, 2], [3, 3, 2, 5], 2, "same"],
    ["3×3, stride 2, same (padding only after)", [2, 10, 10, 2], [3, 3, 2, 5], 2, "same"],
    ["3×3, stride 2, valid (last row and column unused)", [2, 10, 10, 2], [3, 3, 2, 5], 2, "valid"],
    ["non-square input and filter, stride 2, same", [3, 11, 7, 2], [5, 2, 2, 3], 2, "same"],
    ["non-square input and filter, stride 2, valid", [3, 11, 7, 2], [5, 2, 2, 3], 2, "valid"],
    ["stride [2, 1], same (asymmetric padding: rows 1 + 2, columns 0 + 1)", [1, 11, 9, 4], [4, 2, 4, 2], [2, 1], "same"],
    ["1×1 kernel, stride 2, valid", [2, 7, 6, 3], [1, 1, 3, 6], 2, "valid"],
  ];

  for (const [label, xShape, fShape, strides, pad] of cases) {
    it(`${label}: agrees with cpu to 1e-4`, async () => {
      const cpu = await filterGradient("cpu", xShape, fShape, strides, pad, 1);
      const wasm = await filterGradient("wasm", xShape, fShape, strides, pad, 1);
      let worst = 0;
      let scale = 0;
      for (let i = 0; i < cpu.length; i++) {
        worst = Math.max(worst, Math.abs(wasm[i] - cpu[i]));
        scale = Math.max(scale, Math.abs(cpu[i]));
      }
      expect(worst / scale).toBeLessThanOrEqual(1e-4);
    });
  }

  it("does not leak tensors", async () => {
    await useBackend({ backend: "wasm" });
    const x = tf.randomNormal([2, 9, 7, 3]) as tf.Tensor4D;
    const f = tf.randomNormal([3, 3, 3, 4]) as tf.Tensor4D;
    const before = tf.memory().numBytes;
    for (let i = 0; i < 3; i++) tf.dispose(tf.grad((g: tf.Tensor) => tf.sum(tf.conv2d(x, g as tf.Tensor4D, 2, "same")))(f));
    expect(tf.memory().numBytes).toBe(before);
    tf.dispose([x, f]);
  });

  it("a small ConvNet trains on wasm", async () => {
    await useBackend({ backend: "wasm" });
    const data = synthetic({ train: 120, validation: 0, test: 40, inputShape: [8, 8, 1], numClasses: 3, seed: 2, noise: 0.2 });
    const net = buildNet(parseNetSpec("conv:8x8x1:4-pool-6/16-3", 1));
    const outcome = await trainMasked({
      net, data, masks: MaskSet.dense(net.prunable),
      train: validateTrainSpec({ epochs: 3, batchSize: 20, optimizer: sgd(0.05, { momentum: 0.9 }), seed: 1 }),
    });
    expect(outcome.history[2].trainLoss).toBeLessThan(outcome.history[0].trainLoss);
    expect(outcome.test.accuracy).toBeGreaterThan(0.6);
    net.dispose();
  });
});
