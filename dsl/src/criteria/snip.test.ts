import * as tf from "@tensorflow/tfjs";
import { Rng, synthetic } from "@sparselab/datasets";
import { beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../backend/index.js";
import { mlp } from "../nets/index.js";
import { snip } from "./snip.js";

beforeAll(async () => {
  await useBackend();
});

/** Indices of the k largest scores (no ties on these float scores). */
function topIndices(scores: number[], k: number): Set<number> {
  return new Set(scores.map((s, i) => [s, i] as const).sort((a, b) => b[0] - a[0]).slice(0, k).map(([, i]) => i));
}

describe("SNIP", () => {
  it("keeps the largest |g ⊙ w|, with g computed independently (tf's own matMul and softmax cross-entropy)", () => {
    // 200 training examples: fewer than SNIP's 256-example sample, so it scores on all of them.
    const data = synthetic({ train: 200, validation: 0, test: 10, features: 16, numClasses: 4, seed: 4 });
    const net = mlp([16, 24, 4], { seed: 5 });
    const weights = net.snapshot();
    const [w1, b1, w2, b2] = ["fc1.kernel", "fc1.bias", "fc2.kernel", "fc2.bias"].map((n) => tf.tensor(weights.get(n)!, net.params.get(n)!.shape));
    const x = tf.tensor2d(data.train.x, [data.train.size, 16]);
    const labels = tf.oneHot(tf.tensor1d(data.train.y, "int32"), 4);
    const loss = (a: tf.Tensor, c: tf.Tensor) => {
      const hidden = tf.relu(tf.add(tf.matMul(x, a as tf.Tensor2D), b1));
      return tf.losses.softmaxCrossEntropy(labels, tf.add(tf.matMul(hidden, c as tf.Tensor2D), b2)) as tf.Scalar;
    };
    const [g1, g2] = tf.grads(loss)([w1, w2]).map((g) => Array.from(g.dataSync()));
    const expected = {
      "fc1.kernel": g1.map((g, i) => Math.abs(g * weights.get("fc1.kernel")![i])),
      "fc2.kernel": g2.map((g, i) => Math.abs(g * weights.get("fc2.kernel")![i])),
    };

    const masks = snip.prune({ net, data, rng: new Rng(1), budget: { kind: "layerwise", kept: new Map([["fc1.kernel", 77], ["fc2.kernel", 20]]) } });
    const global = snip.prune({ net, data, rng: new Rng(1), budget: { kind: "global", kept: 90 } });
    net.dispose();

    for (const [name, k] of [["fc1.kernel", 77], ["fc2.kernel", 20]] as const) {
      const keep = topIndices(expected[name], k);
      expect(Array.from(masks.get(name).bits)).toEqual(expected[name].map((_, i) => (keep.has(i) ? 1 : 0)));
    }
    const all = [...expected["fc1.kernel"], ...expected["fc2.kernel"]];
    const keep = topIndices(all, 90);
    expect([...global.get("fc1.kernel").bits, ...global.get("fc2.kernel").bits]).toEqual(all.map((_, i) => (keep.has(i) ? 1 : 0)));
  });
});
