import { argError } from "../errors.js";
import { checkNonNegativeInt } from "../validate.js";

/**
 * What mask sampling draws from. `Rng` from `@sparselab/datasets` satisfies it; the type is kept
 * structural so masks need only the one method they call.
 */
export interface RandomSource {
  int(n: number): number;
}

export function checkCount(call: string, kept: unknown, total: number): asserts kept is number {
  checkNonNegativeInt(call, "kept", kept);
  if ((kept as number) > total) throw argError(call, "kept", `an integer in [0, ${total}]`, kept);
}

export function checkRng(call: string, arg: string, rng: unknown): asserts rng is RandomSource {
  if (typeof (rng as RandomSource | null)?.int !== "function") {
    throw argError(call, arg, "an Rng (from @sparselab/datasets)", rng);
  }
}

/** One score per element; ±Infinity is allowed (a criterion may force or forbid positions), NaN is not. */
export function checkScores(call: string, scores: unknown, total: number): asserts scores is ArrayLike<number> {
  const list = scores as ArrayLike<unknown> | null;
  if (list === null || typeof list !== "object" || list.length !== total) {
    throw argError(call, "scores", `${total} numbers (one per element)`, scores);
  }
  for (let i = 0; i < total; i++) {
    if (typeof list[i] !== "number" || Number.isNaN(list[i])) throw argError(call, `scores[${i}]`, "a number, not NaN", list[i]);
  }
}
