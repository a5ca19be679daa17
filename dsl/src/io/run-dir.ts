/**
 * Run directories keyed by a recipe's hash: `<root>/<hash prefix>/` holds `recipe.json` beside
 * whatever the run stores (experiment checkpoints, a sweep run's `result.json`), so rerunning the
 * same recipe finds its earlier work.
 */
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "./atomic.js";

/** JSON with object keys sorted at every level: equal values give equal text (and hashes). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (v && typeof v === "object" && !Array.isArray(v)
    ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    : v));
}

/** SHA-256 of the canonical JSON of a recipe, hex. */
export function recipeHash(recipe: unknown): string {
  return createHash("sha256").update(canonicalJson(recipe)).digest("hex");
}

/** Characters of the hash that name a run's directory. */
export const RUN_KEY_LENGTH = 16;

/** `value` as indented JSON, written atomically. */
export function writeJsonAtomic(path: string, value: unknown, indent = 2): Promise<void> {
  return writeFileAtomic(path, new TextEncoder().encode(JSON.stringify(value, null, indent) + "\n"));
}

/**
 * Creates (if needed) the directory of `recipe` under `root` and records the recipe in it.
 * File-system errors propagate unchanged for the caller to name.
 */
export async function openRunDir(root: string, recipe: unknown): Promise<{ readonly hash: string; readonly key: string; readonly dir: string }> {
  const hash = recipeHash(recipe);
  const key = hash.slice(0, RUN_KEY_LENGTH);
  const dir = join(root, key);
  await mkdir(dir, { recursive: true });
  const recipeFile = join(dir, "recipe.json");
  const text = JSON.stringify(recipe, null, 2) + "\n";
  const existing = await readFile(recipeFile, "utf8").catch(() => undefined);
  if (existing !== text) await writeFileAtomic(recipeFile, new TextEncoder().encode(text));
  return { hash, key, dir };
}

/**
 * Removes the temporary files a process killed mid-save left in `dir` (the saved files themselves
 * are intact or absent). Only for the process about to write there: another one's save in progress
 * would lose its temporary file.
 */
export async function removeTemporaryFiles(dir: string): Promise<void> {
  for (const name of await readdir(dir)) if (/^\..*\.tmp$/.test(name)) await rm(join(dir, name), { force: true });
}
