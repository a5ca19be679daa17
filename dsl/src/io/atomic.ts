import { randomBytes } from "node:crypto";
import { open, readFile, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { argError, SparselabError } from "../errors.js";

/**
 * Writes `bytes` to `path` atomically: a temporary file in the same directory is written and
 * fsynced, then renamed over `path`. A crash or error at any point leaves the old file or the new
 * one, never a mix, and no temporary file behind. Errors propagate unchanged for the caller to name.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
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
    throw error;
  }
  await syncDirectory(directory);
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

/** `call(path)` must name a file: checked before any encoding or I/O. */
export function checkFilePath(call: string, path: unknown): string {
  if (typeof path !== "string" || path === "") throw argError(call, "path", "a file path", path);
  return path;
}

/** `writeFileAtomic`, with a failure reported as `call(path): expected a writable file path …`. */
export async function saveBytes(call: string, path: string, bytes: Uint8Array): Promise<void> {
  try {
    await writeFileAtomic(path, bytes);
  } catch (error) {
    throw new SparselabError(`${call}(path): expected a writable file path, received ${JSON.stringify(path)} (${(error as Error).message})`, { cause: error });
  }
}

/** A file's bytes, with a failure reported as `call(path): expected a readable file …`. */
export async function loadBytes(call: string, path: unknown): Promise<Uint8Array> {
  checkFilePath(call, path);
  try {
    return await readFile(path as string);
  } catch (error) {
    throw new SparselabError(`${call}(path): expected a readable file, received ${JSON.stringify(path)} (${(error as Error).message})`, { cause: error });
  }
}
