import * as tf from "@tensorflow/tfjs";
import type { Net } from "../nets/index.js";
import { crossEntropy } from "../nets/ops.js";

/** Loss and gradients of every parameter on one batch, keyed by parameter name (tensors owned by the caller). */
export function lossAndGradients(net: Net, x: tf.Tensor2D, y: tf.Tensor1D, loss = crossEntropy,
  params?: () => ReadonlyMap<string, tf.Tensor>): { loss: tf.Scalar; grads: Map<string, tf.Tensor> } {
  const byVariable = new Map([...net.params].map(([name, v]) => [v.name, name]));
  // `params` builds its views inside the taped function, so gradients flow through them to the variables.
  const { value, grads } = tf.variableGrads(() => loss(net.apply(x, params?.()), y), [...net.params.values()]);
  return { loss: value, grads: new Map(Object.entries(grads).map(([v, g]) => [byVariable.get(v)!, g])) };
}

/** Gradients of the prunable tensors as arrays, on the given examples. */
export function prunableGradients(net: Net, x: tf.Tensor2D, y: tf.Tensor1D): Map<string, Float32Array> {
  const { loss, grads } = lossAndGradients(net, x, y);
  loss.dispose();
  const out = new Map<string, Float32Array>();
  for (const t of net.prunable) out.set(t.name, grads.get(t.name)!.dataSync() as Float32Array);
  grads.forEach((g) => g.dispose());
  return out;
}
