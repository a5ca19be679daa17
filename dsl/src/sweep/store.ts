/**
 * A sweep run's directory holds `recipe.json` and, once the run finished, `result.json`. The
 * result file is the run's whole output, so a run whose file reads back intact is never recomputed;
 * one that does not (cut short, edited, written for another recipe) is set aside and recomputed.
 */
import { readFile, rename } from "node:fs/promises";
import { join } from "node:path";
import { validateRecipe, type Recipe } from "../io/recipe.js";
import { writeJsonAtomic } from "../io/run-dir.js";
import type { RunSummary } from "./types.js";

const RESULT_FILE = "result.json";

/** What `result.json` holds. */
export interface StoredRun {
  /** SHA-256 of the recipe as given: the run's identity. */
  readonly hash: string;
  /** The recipe as it ran (data spec resolved). */
  readonly recipe: Recipe;
  readonly summary: RunSummary;
  readonly seconds: number;
}

export function saveStoredRun(dir: string, run: StoredRun): Promise<void> {
  return writeJsonAtomic(join(dir, RESULT_FILE), run);
}

/** The run stored in `dir`, `{ corrupt: why }` when its file is unusable, undefined when there is none. */
export async function loadStoredRun(dir: string, hash: string): Promise<StoredRun | { readonly corrupt: string } | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, RESULT_FILE), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    return { corrupt: (error as Error).message };
  }
  let value: Partial<StoredRun>;
  try {
    value = JSON.parse(text) as Partial<StoredRun>;
  } catch (error) {
    return { corrupt: `not JSON (${(error as Error).message})` };
  }
  if (typeof value !== "object" || value === null) return { corrupt: "not a stored run" };
  if (value.hash !== hash) return { corrupt: `written for recipe ${String(value.hash)}` };
  const summary = value.summary;
  if (typeof value.seconds !== "number" || typeof summary?.testAccuracy !== "number" || typeof summary.overall?.density !== "number") {
    return { corrupt: "summary or seconds missing" };
  }
  try {
    return { hash, recipe: validateRecipe(value.recipe, "result.json"), summary, seconds: value.seconds };
  } catch (error) {
    return { corrupt: (error as Error).message };
  }
}

/** Keeps an unusable result file for inspection, out of the way of the recomputed one. */
export async function setStoredRunAside(dir: string): Promise<void> {
  try {
    await rename(join(dir, RESULT_FILE), join(dir, `${RESULT_FILE}.corrupt`));
  } catch (error) {
    // Another sweep sharing the directory set it aside first.
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}
