import * as tf from "@tensorflow/tfjs";
import { selectExamples, type Dataset, type Rng } from "@sparselab/datasets";
import { SparselabError } from "../errors.js";

/** A seeded sample of training examples as tensors (for gradient-based criteria). */
export function sampleBatch(data: Dataset | undefined, count: number, rng: Rng, call: string): { x: tf.Tensor2D; y: tf.Tensor1D } {
  if (!data) throw new SparselabError(`${call}: this criterion scores weights by their gradients and needs training data; pass train({ data })`);
  const sample = selectExamples(data.train, rng.permutation(data.train.size).subarray(0, Math.min(count, data.train.size)));
  return { x: tf.tensor2d(sample.x, [sample.size, data.features]), y: tf.tensor1d(sample.y, "int32") };
}
