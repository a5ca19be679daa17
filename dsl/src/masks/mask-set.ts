import { argError, SparselabError } from "../errors.js";
import { Mask } from "./mask.js";
import { checkTensorSpecs, formatShape, sameShape, type TensorSpec } from "./shape.js";

/** One row of `MaskSet.report()`; the CLI prints this JSON verbatim. */
export interface LayerReport {
  readonly name: string;
  readonly shape: number[];
  readonly total: number;
  readonly kept: number;
  readonly density: number;
}

export interface MaskSetReport {
  readonly layers: LayerReport[];
  readonly overall: { readonly total: number; readonly kept: number; readonly density: number };
}

/** IoU per tensor, and overall as pooled intersection over pooled union (not a mean of ratios). */
export interface MaskSetOverlap {
  readonly layers: { readonly name: string; readonly iou: number }[];
  readonly overall: number;
}

/**
 * The masks of a network, one per prunable tensor, keyed by tensor name. Insertion order is
 * network order, and every listing (names, entries, report) follows it. Immutable: `with`
 * and the algebra return new sets.
 */
export class MaskSet {
  readonly #masks: ReadonlyMap<string, Mask>;

  private constructor(masks: Map<string, Mask>) {
    this.#masks = masks;
    Object.freeze(this);
  }

  /** From `[name, mask]` pairs in network order (or an object, whose key order is kept). */
  static from(entries: Iterable<readonly [string, Mask]>): MaskSet;
  static from(entries: Readonly<Record<string, Mask>>): MaskSet;
  static from(entries: Iterable<readonly [string, Mask]> | Readonly<Record<string, Mask>>): MaskSet {
    const call = "MaskSet.from";
    if (entries === null || typeof entries !== "object") throw argError(call, "entries", "[name, Mask] pairs", entries);
    const pairs = Symbol.iterator in entries
      ? [...(entries as Iterable<readonly [string, Mask]>)]
      : Object.entries(entries as Record<string, Mask>);
    const masks = new Map<string, Mask>();
    for (const pair of pairs) {
      const [name, mask] = Array.isArray(pair) ? pair : [undefined, undefined];
      if (typeof name !== "string" || name === "") throw argError(call, "entries", "[name, Mask] pairs with non-empty names", pair);
      if (!(mask instanceof Mask)) throw argError(call, `entries["${name}"]`, "a Mask", mask);
      if (masks.has(name)) throw new SparselabError(`${call}(entries): expected unique tensor names, received "${name}" twice`);
      masks.set(name, mask);
    }
    return new MaskSet(masks);
  }

  /** All-ones masks for a net's prunable tensors: the starting point of dense-to-sparse methods. */
  static dense(tensors: readonly TensorSpec[]): MaskSet {
    const specs = checkTensorSpecs("MaskSet.dense", "tensors", tensors);
    return new MaskSet(new Map(specs.map(({ name, shape }) => [name, Mask.dense(shape)])));
  }

  get size(): number {
    return this.#masks.size;
  }

  get names(): readonly string[] {
    return [...this.#masks.keys()];
  }

  get entries(): readonly (readonly [string, Mask])[] {
    return [...this.#masks.entries()];
  }

  has(name: string): boolean {
    return this.#masks.has(name);
  }

  /** Throws for an unknown name (listing the known ones): a typo must not read as "no mask". */
  get(name: string): Mask {
    const mask = this.#masks.get(name);
    if (!mask) throw argError("MaskSet.get", "name", `one of ${this.#listNames()}`, name);
    return mask;
  }

  /** A new set with `name` replaced (keeping its position) or appended. */
  with(name: string, mask: Mask): MaskSet {
    if (typeof name !== "string" || name === "") throw argError("MaskSet.with", "name", "a non-empty string", name);
    if (!(mask instanceof Mask)) throw argError("MaskSet.with", "mask", "a Mask", mask);
    const current = this.#masks.get(name);
    if (current && !sameShape(current.shape, mask.shape)) {
      throw new SparselabError(`MaskSet.with(mask): expected shape ${formatShape(current.shape)} for "${name}", ` +
        `received ${formatShape(mask.shape)}`);
    }
    return new MaskSet(new Map(this.#masks).set(name, mask));
  }

  report(): MaskSetReport {
    let total = 0;
    let kept = 0;
    const layers = this.entries.map(([name, mask]) => {
      total += mask.total;
      kept += mask.kept;
      return { name, shape: [...mask.shape], total: mask.total, kept: mask.kept, density: mask.density };
    });
    return { layers, overall: { total, kept, density: total === 0 ? 0 : kept / total } };
  }

  and(other: MaskSet): MaskSet {
    return this.#combine("and", other, (a, b) => a.and(b));
  }

  or(other: MaskSet): MaskSet {
    return this.#combine("or", other, (a, b) => a.or(b));
  }

  minus(other: MaskSet): MaskSet {
    return this.#combine("minus", other, (a, b) => a.minus(b));
  }

  overlap(other: MaskSet): MaskSetOverlap {
    this.#checkSameNames("overlap", other);
    let intersection = 0;
    let union = 0;
    const layers = this.entries.map(([name, mask]) => {
      const counts = mask.overlapCounts(other.get(name));
      intersection += counts.intersection;
      union += counts.union;
      return { name, iou: counts.union === 0 ? 1 : counts.intersection / counts.union };
    });
    return { layers, overall: union === 0 ? 1 : intersection / union };
  }

  /** Same names in the same order, and equal masks. */
  equals(other: MaskSet): boolean {
    if (!(other instanceof MaskSet) || other.size !== this.size) return false;
    const theirs = other.entries;
    return this.entries.every(([name, mask], i) => theirs[i][0] === name && mask.equals(theirs[i][1]));
  }

  /**
   * Throws unless this set has exactly one mask per prunable tensor of the net, with the same
   * shape; the message names the tensor, the expected shape and the received one. Order is not
   * checked: names identify tensors.
   */
  checkAgainst(tensors: readonly TensorSpec[]): void {
    const call = "MaskSet.checkAgainst";
    const specs = checkTensorSpecs(call, "tensors", tensors);
    for (const { name, shape } of specs) {
      const mask = this.#masks.get(name);
      if (!mask) {
        throw new SparselabError(`${call}(masks): expected a mask for tensor "${name}" of shape ${formatShape(shape)}, ` +
          `received none (masks: ${this.#listNames()})`);
      }
      if (!sameShape(mask.shape, shape)) {
        throw new SparselabError(`${call}(masks): expected tensor "${name}" to have shape ${formatShape(shape)}, ` +
          `received a mask of shape ${formatShape(mask.shape)}`);
      }
    }
    const known = new Set(specs.map((spec) => spec.name));
    for (const [name, mask] of this.#masks) {
      if (!known.has(name)) {
        throw new SparselabError(`${call}(masks): expected only the net's prunable tensors ` +
          `(${specs.map((spec) => `"${spec.name}"`).join(", ")}), received a mask for "${name}" of shape ${formatShape(mask.shape)}`);
      }
    }
  }

  #combine(op: string, other: MaskSet, combine: (a: Mask, b: Mask) => Mask): MaskSet {
    this.#checkSameNames(op, other);
    return new MaskSet(new Map(this.entries.map(([name, mask]) => {
      const theirs = other.get(name);
      if (!sameShape(mask.shape, theirs.shape)) {
        throw new SparselabError(`MaskSet.${op}(other): expected "${name}" to have shape ${formatShape(mask.shape)}, ` +
          `received ${formatShape(theirs.shape)}`);
      }
      return [name, combine(mask, theirs)];
    })));
  }

  #checkSameNames(op: string, other: unknown): asserts other is MaskSet {
    if (!(other instanceof MaskSet)) throw argError(`MaskSet.${op}`, "other", "a MaskSet", other);
    const missing = this.names.filter((name) => !other.has(name));
    const extra = other.names.filter((name) => !this.has(name));
    if (missing.length > 0 || extra.length > 0) {
      throw new SparselabError(`MaskSet.${op}(other): expected masks for the same tensors (${this.#listNames()}), received ` +
        [missing.length ? `none for ${quote(missing)}` : "", extra.length ? `extra ${quote(extra)}` : ""].filter(Boolean).join(" and "));
    }
  }

  #listNames(): string {
    return this.size === 0 ? "none" : quote(this.names);
  }
}

function quote(names: readonly string[]): string {
  return names.map((name) => `"${name}"`).join(", ");
}
