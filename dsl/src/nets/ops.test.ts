import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../backend/index.js";
import { crossEntropy, matMul, softMask } from "./ops.js";

beforeAll(async () => {
  await useBackend();
});

const close = (actual: ArrayLike<number>, expected: number[], digits = 6) => {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => expect(actual[i], `[${i}]`).toBeCloseTo(e, digits));
};

/**
 * w = [1, −2, 3, 4] (2×2), mask m = [1, 0, 1, 0]; the loss Σ c ⊙ softMask(w) with c = [1, 2, 3, 4]
 * makes the incoming gradient dy = c. By hand:
 *   forward  w ⊙ (m + s·(1 − m))
 *   backward dy ⊙ (m + g·(1 − m)) + λ·(1 − m) ⊙ w
 */
function throughSoftMask(scale: number, gradScale: number, refine: number): { forward: Float32Array; grad: Float32Array } {
  const w = tf.tensor2d([1, -2, 3, 4], [2, 2]);
  const mask = tf.tensor2d([1, 0, 1, 0], [2, 2]);
  const c = tf.tensor2d([1, 2, 3, 4], [2, 2]);
  const forward = softMask(w, mask, scale, gradScale, refine);
  const grad = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(softMask(x, mask, scale, gradScale, refine), c)))(w);
  const out = { forward: forward.dataSync() as Float32Array, grad: grad.dataSync() as Float32Array };
  tf.dispose([w, mask, c, forward, grad]);
  return out;
}

describe("softMask", () => {
  it("general case s = 0.5, g = 0.25, λ = 0.1: forward [1, −1, 3, 2], gradient [1, 0.3, 3, 1.4]", () => {
    const { forward, grad } = throughSoftMask(0.5, 0.25, 0.1);
    close(forward, [1, -1, 3, 2]);
    // [1·1, 2·0.25 + 0.1·(−2), 3·1, 4·0.25 + 0.1·4]
    close(grad, [1, 0.3, 3, 1.4]);
  });

  it("SR-STE (s = 0, g = 1, λ = 2e-4): forward w ⊙ m, gradient straight through plus the pull towards 0", () => {
    const { forward, grad } = throughSoftMask(0, 1, 2e-4);
    close(forward, [1, 0, 3, 0]);
    close(grad, [1, 2 - 4e-4, 3, 4 + 8e-4]);
  });

  it("mask decay (s = g = β = 0.3, λ = 0): pruned weights count, and learn, with factor β", () => {
    const { forward, grad } = throughSoftMask(0.3, 0.3, 0);
    close(forward, [1, -0.6, 3, 1.2]);
    close(grad, [1, 0.6, 3, 1.2]);
  });

  it("β = 0 is a hard mask: pruned weights neither count nor learn", () => {
    const { forward, grad } = throughSoftMask(0, 0, 0);
    close(forward, [1, 0, 3, 0]);
    close(grad, [1, 0, 3, 0]);
  });

  it("leaks no tensors across a forward and backward pass", () => {
    const w = tf.variable(tf.tensor2d([1, -2, 3, 4], [2, 2]));
    const mask = tf.tensor2d([1, 0, 1, 0], [2, 2]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const { value, grads } = tf.variableGrads(() => tf.sum(softMask(w, mask, 0.5, 0.25, 0.1)) as tf.Scalar, [w]);
      tf.dispose([value, ...Object.values(grads)]);
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([w, mask]);
  });
});

describe("matMul with the explicit-transpose gradient", () => {
  it("forward and both gradients match the built-in matMul's", () => {
    const x = tf.tensor2d([1, 2, -1, 0.5, 3, -2], [2, 3]);
    const w = tf.tensor2d([0.1, -0.2, 0.3, 0.4, -0.5, 0.6], [3, 2]);
    const c = tf.tensor2d([1, -1, 2, 0.5], [2, 2]);
    const ours = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(matMul(a as tf.Tensor2D, b as tf.Tensor2D), c)))([x, w]);
    const theirs = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D), c)))([x, w]);
    close(matMul(x, w).dataSync(), Array.from(tf.matMul(x, w).dataSync()));
    close(ours[0].dataSync(), Array.from(theirs[0].dataSync()));
    close(ours[1].dataSync(), Array.from(theirs[1].dataSync()));
    // dW = xᵀ·c by hand, first entry: 1·1 + 0.5·2 = 2.
    expect(ours[1].dataSync()[0]).toBeCloseTo(2, 6);
  });
});

describe("crossEntropy", () => {
  it("mean −log softmax of the labelled logit, by hand", () => {
    const logits = tf.tensor2d([0, 0, Math.log(2), 1, 1, 1], [2, 3]);
    const labels = tf.tensor1d([2, 0], "int32");
    // Row 1: softmax of the label = 2 / 4 → −log 0.5; row 2: 1/3 → −log(1/3).
    expect(crossEntropy(logits, labels).dataSync()[0]).toBeCloseTo((Math.log(2) + Math.log(3)) / 2, 6);
  });
});
