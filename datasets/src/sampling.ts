/**
 * Stratified, seeded selection of examples: the validation hold-out, `subsetOf` and the embedded
 * subset all pick a fixed count per class, so small samples keep the class balance of the whole.
 */
import { invalid, describe } from "./errors.js";
import type { Rng } from "./random.js";

/**
 * Chooses `count` indices of `labels`, each class contributing in proportion to its size (the
 * largest remainders get the leftover places, so the total is exact). Returned in ascending order.
 */
export function stratifiedSample(labels: ArrayLike<number>, count: number, rng: Rng): Int32Array {
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const members = byClass.get(labels[i]);
    if (members) members.push(i);
    else byClass.set(labels[i], [i]);
  }
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  const exact = classes.map((c) => (count * byClass.get(c)!.length) / labels.length);
  const quota = exact.map(Math.floor);
  let leftover = count - quota.reduce((a, b) => a + b, 0);
  const byRemainder = classes.map((_, k) => k).sort((a, b) => exact[b] - quota[b] - (exact[a] - quota[a]) || a - b);
  for (const k of byRemainder) {
    if (leftover === 0) break;
    quota[k]++;
    leftover--;
  }
  const chosen: number[] = [];
  classes.forEach((c, k) => chosen.push(...rng.shuffle(byClass.get(c)!.slice()).slice(0, quota[k])));
  return Int32Array.from(chosen).sort();
}

/** The indices 0..size-1 that are not in `chosen` (ascending), in ascending order. */
export function complement(size: number, chosen: Int32Array): Int32Array {
  const taken = new Uint8Array(size);
  for (const i of chosen) taken[i] = 1;
  const rest = new Int32Array(size - chosen.length);
  let r = 0;
  for (let i = 0; i < size; i++) if (!taken[i]) rest[r++] = i;
  return rest;
}

/**
 * A validation size as given by users: a fraction in [0, 1) of the train split, or a whole count
 * ≥ 1. Checked here for its form; `validationCount` checks it against a split's size.
 */
export function expectValidation(value: unknown, where: string): number {
  const ok = typeof value === "number" && Number.isFinite(value) && value >= 0 && (value < 1 || Number.isInteger(value));
  if (!ok) throw invalid(where, "a fraction in [0, 1) or a whole count ≥ 1", describe(value));
  return value;
}

export function validationCount(validation: number, trainSize: number, where: string): number {
  const count = validation < 1 ? Math.round(validation * trainSize) : validation;
  if (count >= trainSize) {
    throw invalid(where, `fewer validation examples than the ${trainSize} in the train split`, describe(validation));
  }
  return count;
}
