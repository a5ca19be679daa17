import { checkFilePath, loadBytes, saveBytes } from "../io/atomic.js";
import { argError } from "../errors.js";
import { decodeMaskSetIn, encodeMaskSet } from "./codec.js";
import { MaskSet } from "./mask-set.js";

/** Writes `set` to `path` in the `.slmask` format (see codec.ts), atomically (see writeFileAtomic). */
export async function saveMaskSet(path: string, set: MaskSet): Promise<void> {
  checkFilePath("saveMaskSet", path);
  if (!(set instanceof MaskSet)) throw argError("saveMaskSet", "set", "a MaskSet", set);
  // Encode before touching the disk, so an encoding failure cannot leave anything behind.
  await saveBytes("saveMaskSet", path, encodeMaskSet(set));
}

export async function loadMaskSet(path: string): Promise<MaskSet> {
  const bytes = await loadBytes("loadMaskSet", path);
  return decodeMaskSetIn(bytes, `loadMaskSet(${JSON.stringify(path)})`);
}
