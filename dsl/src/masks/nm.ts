import { argError } from "../errors.js";
import { checkPositiveInt } from "../validate.js";
import { checkScores } from "./checks.js";
import { Mask } from "./mask.js";
import { checkShape, formatShape, shapeSize } from "./shape.js";

/**
 * N:M structured sparsity (e.g. 2:4 for sparse tensor cores): along the group axis, every run of
 * M consecutive elements keeps exactly N. The default group axis is the input axis, the second to
 * last dimension: axis 0 of a dense kernel [in, out] (M consecutive inputs of one output) and the
 * cin axis 2 of a conv kernel [kh, kw, cin, cout]; a 1-D tensor groups along its only axis.
 * `axis` may be negative, counting from the end as in tfjs.
 */
export function nmMask(shape: readonly number[], scores: ArrayLike<number>, n: number, m: number, axis?: number): Mask {
  const call = "nmMask";
  const checked = checkShape(call, "shape", shape);
  checkScores(call, scores, shapeSize(checked));
  checkNM(call, n, m);
  const groupAxis = resolveAxis(call, checked, axis);
  if (checked[groupAxis] % m !== 0) {
    throw argError(call, "m", `a divisor of ${checked[groupAxis]}, the length of group axis ${groupAxis} ` +
      `of shape ${formatShape(checked)}`, m);
  }
  const bits = new Uint8Array(shapeSize(checked));
  forEachGroup(checked, groupAxis, m, (start, stride) => {
    for (let k = 0; k < m; k++) {
      const score = scores[start + k * stride];
      // Rank within the group; equal scores go to the earlier element, so exactly n win.
      let beatenBy = 0;
      for (let other = 0; other < m; other++) {
        const rival = scores[start + other * stride];
        if (rival > score || (rival === score && other < k)) beatenBy++;
      }
      if (beatenBy < n) bits[start + k * stride] = 1;
    }
  });
  return Mask.fromBits(checked, bits);
}

/**
 * Whether every group of M consecutive elements along `axis` (default as in `nmMask`) keeps
 * exactly N. A mask whose axis length M does not divide cannot be N:M, so that is `false`.
 */
export function isNM(mask: Mask, n: number, m: number, axis?: number): boolean {
  const call = "isNM";
  if (!(mask instanceof Mask)) throw argError(call, "mask", "a Mask", mask);
  checkNM(call, n, m);
  const groupAxis = resolveAxis(call, mask.shape, axis);
  if (mask.shape[groupAxis] % m !== 0) return false;
  let valid = true;
  forEachGroup(mask.shape, groupAxis, m, (start, stride) => {
    let kept = 0;
    for (let k = 0; k < m; k++) kept += mask.bits[start + k * stride];
    if (kept !== n) valid = false;
  });
  return valid;
}

function checkNM(call: string, n: unknown, m: unknown): void {
  checkPositiveInt(call, "m", m);
  checkPositiveInt(call, "n", n);
  if ((n as number) > (m as number)) throw argError(call, "n", `an integer in [1, ${m as number}] (n ≤ m)`, n);
}

function resolveAxis(call: string, shape: readonly number[], axis: unknown): number {
  const rank = shape.length;
  if (axis === undefined) return Math.max(0, rank - 2);
  if (typeof axis !== "number" || !Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw argError(call, "axis", `an integer in [${-rank}, ${rank - 1}] for shape ${formatShape(shape)}`, axis);
  }
  return axis < 0 ? axis + rank : axis;
}

/** Calls `visit(start, stride)` for every group: its elements are start + k·stride, k < m (row-major). */
function forEachGroup(shape: readonly number[], axis: number, m: number,
  visit: (start: number, stride: number) => void): void {
  const stride = shapeSize(shape.slice(axis + 1));
  const length = shape[axis];
  const outer = shapeSize(shape.slice(0, axis));
  for (let o = 0; o < outer; o++) {
    for (let g = 0; g < length; g += m) {
      const base = (o * length + g) * stride;
      for (let inner = 0; inner < stride; inner++) visit(base + inner, stride);
    }
  }
}
