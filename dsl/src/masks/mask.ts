import * as tf from "@tensorflow/tfjs";
import { argError, SparselabError } from "../errors.js";
import { checkKnownKeys, checkPlainObject } from "../validate.js";
import { checkCount, checkRng, checkScores, type RandomSource } from "./checks.js";
import { checkShape, formatShape, sameShape, shapeSize } from "./shape.js";

export interface TopKOptions {
  /** Breaks ties between equal scores at random; without it the lowest flat index wins. */
  readonly rng?: RandomSource;
}

/**
 * An immutable binary mask over one tensor: 1 keeps a weight, 0 prunes it. `bits` is row-major,
 * the layout of the tfjs tensor of the same shape, so `bits[i]` gates `tensor.dataSync()[i]`.
 */
export class Mask {
  readonly shape: readonly number[];
  /** Shared, not copied on read (masks can be large): treat it as read-only. */
  readonly bits: Uint8Array;
  readonly total: number;
  readonly kept: number;
  readonly density: number;

  private constructor(shape: readonly number[], bits: Uint8Array) {
    let kept = 0;
    for (let i = 0; i < bits.length; i++) kept += bits[i];
    this.shape = shape;
    this.bits = bits;
    this.total = bits.length;
    this.kept = kept;
    this.density = kept / bits.length;
    Object.freeze(this);
  }

  static dense(shape: readonly number[]): Mask {
    const checked = checkShape("Mask.dense", "shape", shape);
    return new Mask(checked, new Uint8Array(shapeSize(checked)).fill(1));
  }

  /** Copies `bits`, so the caller may reuse its buffer afterwards. */
  static fromBits(shape: readonly number[], bits: ArrayLike<number>): Mask {
    const checked = checkShape("Mask.fromBits", "shape", shape);
    const total = shapeSize(checked);
    if (bits === null || typeof bits !== "object" || bits.length !== total) {
      throw argError("Mask.fromBits", "bits", `${total} values of 0 or 1 for shape ${formatShape(checked)}`, bits);
    }
    const copy = new Uint8Array(total);
    for (let i = 0; i < total; i++) {
      const bit = bits[i];
      if (bit !== 0 && bit !== 1) throw argError("Mask.fromBits", `bits[${i}]`, "0 or 1", bit);
      copy[i] = bit;
    }
    return new Mask(checked, copy);
  }

  /**
   * Exactly `kept` ones at uniformly random positions (a partial Fisher–Yates shuffle of a fixed
   * count, never per-weight Bernoulli draws, so the realised density is exact). The same seed
   * gives the same mask.
   */
  static random(shape: readonly number[], kept: number, rng: RandomSource): Mask {
    const checked = checkShape("Mask.random", "shape", shape);
    const total = shapeSize(checked);
    checkCount("Mask.random", kept, total);
    checkRng("Mask.random", "rng", rng);
    const order = new Int32Array(total);
    for (let i = 0; i < total; i++) order[i] = i;
    const bits = new Uint8Array(total);
    for (let i = 0; i < kept; i++) {
      const j = i + rng.int(total - i);
      const chosen = order[j];
      order[j] = order[i];
      order[i] = chosen;
      bits[chosen] = 1;
    }
    return new Mask(checked, bits);
  }

  /**
   * Keeps exactly the `kept` largest `scores` (flat, row-major). Among scores equal to the
   * cut-off value the lowest indices win, or a random subset when `options.rng` is given.
   * ±Infinity are valid scores (a criterion may force or forbid positions); NaN is rejected.
   */
  static topK(shape: readonly number[], scores: ArrayLike<number>, kept: number, options: TopKOptions = {}): Mask {
    const call = "Mask.topK";
    const checked = checkShape(call, "shape", shape);
    const total = shapeSize(checked);
    checkScores(call, scores, total);
    checkCount(call, kept, total);
    checkKnownKeys(call, "options", checkPlainObject(call, "options", options), ["rng"]);
    if (options.rng !== undefined) checkRng(call, "options.rng", options.rng);

    const bits = new Uint8Array(total);
    if (kept === 0) return new Mask(checked, bits);
    const cutoff = Float64Array.from(scores).sort()[total - kept];
    const tied: number[] = [];
    let above = 0;
    for (let i = 0; i < total; i++) {
      if (scores[i] > cutoff) {
        bits[i] = 1;
        above++;
      } else if (scores[i] === cutoff) {
        tied.push(i);
      }
    }
    const fromTied = kept - above;
    const rng = options.rng;
    for (let i = 0; i < fromTied; i++) {
      if (rng) {
        const j = i + rng.int(tied.length - i);
        [tied[i], tied[j]] = [tied[j], tied[i]];
      }
      bits[tied[i]] = 1;
    }
    return new Mask(checked, bits);
  }

  and(other: Mask): Mask {
    return this.#combine("and", other, (a, b) => a & b);
  }

  or(other: Mask): Mask {
    return this.#combine("or", other, (a, b) => a | b);
  }

  /** Set difference: kept here and not kept in `other`. */
  minus(other: Mask): Mask {
    return this.#combine("minus", other, (a, b) => a & (b ^ 1));
  }

  not(): Mask {
    const bits = new Uint8Array(this.total);
    for (let i = 0; i < this.total; i++) bits[i] = this.bits[i] ^ 1;
    return new Mask(this.shape, bits);
  }

  /** Intersection over union of the kept positions; 1 for two empty masks (they are identical). */
  overlap(other: Mask): number {
    const { intersection, union } = this.overlapCounts(other);
    return union === 0 ? 1 : intersection / union;
  }

  /** The raw counts behind `overlap`, so a set of masks can pool them into one overall IoU. */
  overlapCounts(other: Mask): { intersection: number; union: number } {
    this.#checkSameShape("overlap", other);
    let intersection = 0;
    let union = 0;
    for (let i = 0; i < this.total; i++) {
      intersection += this.bits[i] & other.bits[i];
      union += this.bits[i] | other.bits[i];
    }
    return { intersection, union };
  }

  /** Same shape and same bits. Masks of different shapes are simply unequal, not an error. */
  equals(other: Mask): boolean {
    if (!(other instanceof Mask) || !sameShape(this.shape, other.shape) || this.kept !== other.kept) return false;
    for (let i = 0; i < this.total; i++) if (this.bits[i] !== other.bits[i]) return false;
    return true;
  }

  /**
   * A new float32 tensor of 0s and 1s with this mask's shape. Nothing is cached: every call
   * allocates, and the caller owns the tensor (dispose it, or create it inside `tf.tidy`).
   */
  toTensor(): tf.Tensor {
    return tf.tensor(Float32Array.from(this.bits), [...this.shape], "float32");
  }

  #combine(op: string, other: Mask, bit: (a: number, b: number) => number): Mask {
    this.#checkSameShape(op, other);
    const bits = new Uint8Array(this.total);
    for (let i = 0; i < this.total; i++) bits[i] = bit(this.bits[i], other.bits[i]);
    return new Mask(this.shape, bits);
  }

  #checkSameShape(op: string, other: unknown): asserts other is Mask {
    if (!(other instanceof Mask)) throw argError(`Mask.${op}`, "other", "a Mask", other);
    if (!sameShape(this.shape, other.shape)) {
      throw new SparselabError(`Mask.${op}(other): expected a mask of shape ${formatShape(this.shape)}, ` +
        `received one of shape ${formatShape(other.shape)}`);
    }
  }
}
