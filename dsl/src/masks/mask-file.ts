import { randomBytes } from "node:crypto";
import { open, readFile, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { argError, SparselabError } from "../errors.js";
import { decodeMaskSetIn, encodeMaskSet } from "./codec.js";
import { MaskSet } from "./mask-set.js";

/**
 * Writes `set` to `path` in the `.slmask` format (see codec.ts) atomically: the bytes go to a
 * temporary file in the same directory, are fsynced, and only then renamed over `path`. A crash
 * or error at any point leaves either the old file or the new one, never a mix, and no temporary
 * file behind.
 */
export async function saveMaskSet(path: string, set: MaskSet): Promise<void> {
  if (typeof path !== "string" || path === "") throw argError("saveMaskSet", "path", "a file path", path);
  if (!(set instanceof MaskSet)) throw argError("saveMaskSet", "set", "a MaskSet", set);
  // Encode before touching the disk, so an encoding failure cannot leave anything behind.
  const bytes = encodeMaskSet(set);
  const directory = dirname(path);
  const temp = join(directory, `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    const handle = await open(temp, "wx");
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw new SparselabError(`saveMaskSet(path): expected a writable file path, received ${JSON.stringify(path)} ` +
      `(${(error as Error).message})`, { cause: error });
  }
  await syncDirectory(directory);
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

/** Persists the rename itself; best effort, as some platforms cannot open a directory for syncing. */
async function syncDirectory(directory: string): Promise<void> {
  try {
    const handle = await open(directory, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // The file is already in place; only its durability across a power cut is weaker here.
  }
}
