/**
 * A tensor whose trainable part is a list of entries: W = B + scatter(indices, values). Only
 * `values` is a variable, so the optimizer holds state for exactly `indices.length` numbers —
 * gradient masking without dense optimizer slots.
 */
import * as tf from "@tensorflow/tfjs";
import { variableOf } from "./context.js";

export class SparseEntries {
  readonly name: string;
  readonly shape: readonly number[];
  readonly indices: Int32Array;
  readonly values: tf.Variable;
  readonly #base: tf.Tensor;
  readonly #where: tf.Tensor2D;
  readonly #size: number;

  /** `base` is copied; `initial` (default zeros) are the starting values at `indices`. */
  constructor(name: string, base: tf.Tensor | Float32Array, shape: readonly number[], indices: Int32Array, initial?: Float32Array) {
    this.name = name;
    this.shape = shape;
    this.indices = indices;
    this.#size = shape.reduce((a, b) => a * b, 1);
    this.#base = base instanceof Float32Array ? tf.tensor(base, shape as number[], "float32") : tf.clone(base);
    this.#where = tf.tensor2d(indices, [indices.length, 1], "int32");
    this.values = variableOf(initial ?? new Float32Array(indices.length), [indices.length], name);
  }

  /** B + scatter(values), differentiable in `values` (call inside the taped function). */
  weight(): tf.Tensor {
    const where = this.#where;
    const size = this.#size;
    const scatter = tf.customGrad(((v: tf.Tensor) => ({
      value: tf.scatterND(where, v, [size]),
      gradFunc: (dy: tf.Tensor) => tf.gatherND(dy, where),
    })) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (v: tf.Tensor) => tf.Tensor;
    return tf.add(this.#base, tf.reshape(scatter(this.values), this.shape as number[]));
  }

  /** The current values (a copy). */
  read(): Float32Array {
    return Float32Array.from(this.values.dataSync() as Float32Array);
  }

  /** The base (a copy). */
  base(): Float32Array {
    return Float32Array.from(this.#base.dataSync() as Float32Array);
  }

  dispose(): void {
    this.#base.dispose();
    this.#where.dispose();
    this.values.dispose();
  }
}
