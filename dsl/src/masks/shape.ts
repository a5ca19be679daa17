import { argError, SparselabError } from "../errors.js";

/** A prunable tensor as the rest of sparselab sees it: its variable name and its shape. */
export interface TensorSpec {
  readonly name: string;
  readonly shape: readonly number[];
}

/** `[784,300]`, the way shapes appear in every error message. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(",")}]`;
}

export function shapeSize(shape: readonly number[]): number {
  let size = 1;
  for (const dim of shape) size *= dim;
  return size;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((dim, i) => dim === b[i]);
}

/** Returns a frozen copy, so a caller mutating its array later cannot change a mask's shape. */
export function checkShape(call: string, arg: string, shape: unknown): readonly number[] {
  const ok = Array.isArray(shape) && shape.length > 0 &&
    shape.every((dim) => typeof dim === "number" && Number.isInteger(dim) && dim > 0);
  if (!ok) throw argError(call, arg, "a non-empty array of positive integers", shape);
  return Object.freeze([...(shape as number[])]);
}

/** Checks a network's prunable tensors: a non-empty list, unique non-empty names, valid shapes. */
export function checkTensorSpecs(call: string, arg: string, tensors: unknown): readonly TensorSpec[] {
  if (!Array.isArray(tensors) || tensors.length === 0) {
    throw argError(call, arg, "a non-empty array of { name, shape }", tensors);
  }
  const seen = new Set<string>();
  return Object.freeze(tensors.map((tensor: unknown, i) => {
    const { name, shape } = (tensor ?? {}) as { name?: unknown; shape?: unknown };
    if (typeof name !== "string" || name === "") throw argError(call, `${arg}[${i}].name`, "a non-empty string", name);
    if (seen.has(name)) throw new SparselabError(`${call}(${arg}): expected unique tensor names, received "${name}" twice`);
    seen.add(name);
    return Object.freeze({ name, shape: checkShape(call, `${arg}[${i}].shape`, shape) });
  }));
}
