/**
 * Experiment-run directories: a run is identified by the hash of its recipe and lives in
 * `<root>/<hash prefix>/`. Every completed unit of work (an IMP level, a soup ingredient…) is a
 * checkpoint written atomically (temp file + fsync + rename), so a run killed at any moment keeps
 * what it finished; rerunning the recipe loads those units and computes only the rest. A unit whose
 * file fails its checksum, or was written for another recipe or backend, is set aside and recomputed.
 */
import { rename } from "node:fs/promises";
import { join } from "node:path";
import { argError, SparselabError } from "../errors.js";
import { openRunDir, removeTemporaryFiles, writeJsonAtomic } from "../io/run-dir.js";
import { loadCheckpoint, saveCheckpoint, type Checkpoint } from "../io/checkpoint.js";
import type { MaskSet } from "../masks/index.js";
import type { Net } from "../nets/index.js";

/** Why a unit was (re)computed or where it came from; reported through `unit` events. */
export type UnitStatus = "loaded" | "computed" | "recomputed";

export interface UnitEvent {
  readonly type: "unit";
  readonly unit: string;
  readonly status: UnitStatus;
  /** For "recomputed": what was wrong with the stored file. */
  readonly reason?: string;
}

export interface StoredUnit extends Checkpoint {
  readonly meta: Readonly<Record<string, unknown>>;
}

export class RunStore {
  readonly root: string;
  readonly key: string;
  readonly dir: string;
  readonly backend: string;
  readonly #onUnit?: (event: UnitEvent) => void;
  readonly counts = { loaded: 0, computed: 0, recomputed: 0 };
  readonly #pendingRecompute = new Map<string, string>();
  readonly #loadedUnits = new Set<string>();

  private constructor(root: string, key: string, backend: string, onUnit?: (event: UnitEvent) => void) {
    this.root = root;
    this.key = key;
    this.dir = join(root, key);
    this.backend = backend;
    this.#onUnit = onUnit;
  }

  /** Opens (creating if needed) the directory of `recipe` under `root`, recording the recipe beside the units. */
  static async open(root: string, recipe: unknown, backend: string, onUnit?: (event: UnitEvent) => void): Promise<RunStore> {
    if (typeof root !== "string" || root === "") throw argError("run", "dir", "a directory path", root);
    try {
      const { key, dir } = await openRunDir(root, recipe);
      await removeTemporaryFiles(dir);
      return new RunStore(root, key, backend, onUnit);
    } catch (error) {
      throw new SparselabError(`run(dir): expected a writable directory, received ${JSON.stringify(root)} (${(error as Error).message})`, { cause: error });
    }
  }

  path(unit: string): string {
    return join(this.dir, `${unit}.slckpt`);
  }

  /**
   * The stored unit, or undefined when it must be computed: missing, corrupted (checksum), or
   * written for another run or backend — a bad file is renamed to `<unit>.slckpt.corrupt`.
   */
  async load(unit: string): Promise<StoredUnit | undefined> {
    const path = this.path(unit);
    let checkpoint: Checkpoint;
    try {
      checkpoint = await loadCheckpoint(path);
    } catch (error) {
      if ((error as { cause?: { code?: string } }).cause?.code === "ENOENT") return undefined;
      return this.discard(unit, (error as Error).message);
    }
    const { meta } = checkpoint;
    if (meta.run !== this.key || meta.unit !== unit) {
      checkpoint.net.dispose();
      return this.discard(unit, `written for ${String(meta.run)}/${String(meta.unit)}`);
    }
    if (meta.backend !== this.backend) {
      checkpoint.net.dispose();
      return this.discard(unit, `computed on ${String(meta.backend)}, this run uses ${this.backend}`);
    }
    this.counts.loaded += 1;
    this.#loadedUnits.add(unit);
    this.#onUnit?.({ type: "unit", unit, status: "loaded" });
    return checkpoint;
  }

  /** Sets a stored unit aside (renamed to `.corrupt`) so it is recomputed; `reason` is reported when it is. */
  async discard(unit: string, reason: string): Promise<undefined> {
    if (this.#pendingRecompute.has(unit) === false && this.#loadedUnits.has(unit)) this.counts.loaded -= 1;
    this.#loadedUnits.delete(unit);
    this.#pendingRecompute.set(unit, reason);
    await rename(this.path(unit), `${this.path(unit)}.corrupt`).catch(() => undefined);
    return undefined;
  }

  /** Records a finished unit atomically. */
  async save(unit: string, net: Net, masks: MaskSet, meta: Record<string, unknown>): Promise<void> {
    await saveCheckpoint(this.path(unit), net, masks, { ...meta, run: this.key, unit, backend: this.backend });
    const reason = this.#pendingRecompute.get(unit);
    this.#pendingRecompute.delete(unit);
    if (reason !== undefined) {
      this.counts.recomputed += 1;
      this.#onUnit?.({ type: "unit", unit, status: "recomputed", reason });
    } else {
      this.counts.computed += 1;
      this.#onUnit?.({ type: "unit", unit, status: "computed" });
    }
  }

  /** Writes the run's results beside its units (for tools that read JSON, not checkpoints). */
  async writeResults(results: unknown): Promise<void> {
    await writeJsonAtomic(join(this.dir, "results.json"), results, 1);
  }
}
