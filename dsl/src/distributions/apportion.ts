import { SparselabError } from "../errors.js";

/**
 * Whole-weight counts close to real-valued `targets` (each within [0, caps[i]]) that add up to
 * exactly `budget`, by the largest-remainder method: take every floor, then hand the missing
 * units to the largest fractional parts (earlier layers first on ties, so results are
 * deterministic). Floating-point error can leave the floors a unit over the budget; the units
 * then come back from the smallest fractional parts.
 */
export function apportion(targets: readonly number[], caps: readonly number[], budget: number): number[] {
  const counts = targets.map((target, i) => Math.min(caps[i], Math.max(0, Math.floor(target))));
  const byRemainder = targets.map((_, i) => i)
    .sort((a, b) => (targets[b] - Math.floor(targets[b])) - (targets[a] - Math.floor(targets[a])) || a - b);
  let missing = budget - counts.reduce((sum, count) => sum + count, 0);
  for (let pass = 0; missing !== 0; pass++) {
    let moved = false;
    const order = missing > 0 ? byRemainder : [...byRemainder].reverse();
    for (const i of order) {
      if (missing > 0 && counts[i] < caps[i]) {
        counts[i]++;
        missing--;
        moved = true;
      } else if (missing < 0 && counts[i] > 0) {
        counts[i]--;
        missing++;
        moved = true;
      }
      if (missing === 0) break;
    }
    if (!moved) throw new SparselabError(`apportion: a budget of ${budget} does not fit between 0 and the layer sizes`);
  }
  return counts;
}
