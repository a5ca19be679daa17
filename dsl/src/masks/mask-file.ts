import { readFile } from "node:fs/promises";
import { writeFileAtomic } from "../io/atomic.js";
import { argError, SparselabError } from "../errors.js";
import { decodeMaskSetIn, encodeMaskSet } from "./codec.js";
import { MaskSet } from "./mask-set.js";

/** Writes `set` to `path` in the `.slmask` format (see codec.ts), atomically (see writeFileAtomic). */
export async function saveMaskSet(path: string, set: MaskSet): Promise<void> {
  if (typeof path !== "string" || path === "") throw argError("saveMaskSet", "path", "a file path", path);
  if (!(set instanceof MaskSet)) throw argError("saveMaskSet", "set", "a MaskSet", set);
  // Encode before touching the disk, so an encoding failure cannot leave anything behind.
  const bytes = encodeMaskSet(set);
  try {
    await writeFileAtomic(path, bytes);
  } catch (error) {
    throw new SparselabError(`saveMaskSet(path): expected a writable file path, received ${JSON.stringify(path)} ` +
      `(${(error as Error).message})`, { cause: error });
  }
}

export async function loadMaskSet(path: string): Promise<MaskSet> {
  if (typeof path !== "string" || path === "") throw argError("loadMaskSet", "path", "a file path", path);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new SparselabError(`loadMaskSet(path): expected a readable file, received ${JSON.stringify(path)} ` +
      `(${(error as Error).message})`, { cause: error });
  }
  return decodeMaskSetIn(bytes, `loadMaskSet(${JSON.stringify(path)})`);
}
