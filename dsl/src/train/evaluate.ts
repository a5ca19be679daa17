import * as tf from "@tensorflow/tfjs";
import type { Split } from "@sparselab/datasets";
import type { Net } from "../nets/index.js";
import { crossEntropy } from "../nets/ops.js";

export interface Evaluation {
  readonly loss: number;
  readonly accuracy: number;
}

/**
 * Mean cross-entropy and accuracy of `net` on a split, in chunks to bound memory; `params`
 * evaluates the net through other weights (the soft-masked view during N:M training).
 */
export function evaluate(net: Net, split: Split, params?: () => ReadonlyMap<string, tf.Tensor>, chunk = 1000): Evaluation {
  if (split.size === 0) return { loss: NaN, accuracy: NaN };
  const features = split.x.length / split.size;
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < split.size; start += chunk) {
    const n = Math.min(chunk, split.size - start);
    const [loss, hits] = tf.tidy(() => {
      const x = tf.tensor2d(split.x.subarray(start * features, (start + n) * features), [n, features]);
      const y = tf.tensor1d(split.y.subarray(start, start + n), "int32");
      const logits = net.apply(x, params?.());
      return [crossEntropy(logits, y).dataSync()[0], tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), y), "int32")).dataSync()[0]];
    });
    lossSum += loss * n;
    correct += hits;
  }
  return { loss: lossSum / split.size, accuracy: correct / split.size };
}
