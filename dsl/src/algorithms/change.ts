import type { MaskSet } from "../masks/index.js";
import type { MaskChange } from "./base.js";

/** Counts, per layer, the weights an update removed and added. */
export function maskChange(before: MaskSet, after: MaskSet): MaskChange {
  const dropped = new Map<string, number>();
  const grown = new Map<string, number>();
  for (const [name, mask] of after.entries) {
    const old = before.get(name)!;
    dropped.set(name, old.minus(mask).kept);
    grown.set(name, mask.minus(old).kept);
  }
  return { masks: after, dropped, grown };
}
