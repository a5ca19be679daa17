import * as tf from "@tensorflow/tfjs";

/**
 * x·w with a gradient that transposes explicitly and then multiplies untransposed: tfjs-wasm's
 * transposed matMul (which the built-in gradient uses for both dx and dw) runs ~8× slower than its
 * plain one, and every backward pass needs two of them.
 */
export const matMul = tf.customGrad(((x: tf.Tensor, w: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x, w]);
  return {
    value: tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [tf.matMul(dy as tf.Tensor2D, tf.transpose(ws)), tf.matMul(tf.transpose(xs), dy as tf.Tensor2D)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D;

/** Mean softmax cross-entropy of logits [b, k] against integer labels [b]. */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const logProbs = tf.sub(logits, tf.logSumExp(logits, 1, true));
    const picked = tf.sum(tf.mul(logProbs, tf.oneHot(labels, logits.shape[1])), 1);
    return tf.neg(tf.mean(picked)) as tf.Scalar;
  });
}

/**
 * Weights seen through a soft mask: forward w ⊙ (m + s·(1 − m)), so pruned weights still count
 * with factor s; backward dy ⊙ (m + g·(1 − m)) + λ·(1 − m) ⊙ w. With s = g decaying to 0 this is
 * mask-decay gradient flow; with s = 0, g = 1, λ > 0 it is SR-STE.
 */
export function softMask(w: tf.Tensor, mask: tf.Tensor, scale: number, gradScale: number, refine: number): tf.Tensor {
  const op = tf.customGrad(((weights: tf.Tensor, save: tf.GradSaveFunc) => {
    save([weights]);
    // Intermediates of the forward are freed before the backward runs: each side builds its own.
    return {
      value: tf.mul(weights, tf.add(mask, tf.mul(tf.sub(1, mask), scale))),
      gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => {
        const pruned = tf.sub(1, mask);
        const flow = tf.mul(dy, tf.add(mask, tf.mul(pruned, gradScale)));
        return refine ? tf.add(flow, tf.mul(tf.mul(pruned, saved), refine)) : flow;
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return (op as unknown as (w: tf.Tensor) => tf.Tensor)(w);
}
