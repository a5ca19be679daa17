import { availableParallelism } from "node:os";
import type { Recipe } from "../io/recipe.js";
import type { RunRef, SweepEvent, SweepOutcome } from "./types.js";
import { WorkerProcess } from "./worker-process.js";

/** A run to compute: where it lives and, if a stored result was set aside, why. */
export interface SweepJob extends RunRef {
  readonly dir: string;
  readonly recipe: Recipe;
  readonly recomputing?: string;
}

export interface PoolOptions {
  readonly workers: number;
  readonly retries: number;
  readonly emit: (event: SweepEvent) => void;
}

/**
 * Computes `jobs` on up to `workers` processes, each taking the next job when it is free. A worker
 * that dies fails (or requeues) only the job it held and is replaced for the next one.
 * Outcomes come in completion order.
 */
export async function runInWorkers(jobs: readonly SweepJob[], { workers, retries, emit }: PoolOptions): Promise<SweepOutcome[]> {
  const queue = jobs.map((job) => ({ job, attempt: 1 }));
  // Workers share the cores: each one's native kernels get an equal share of the threads.
  const kernelThreads = Math.max(1, Math.floor(availableParallelism() / workers));
  const outcomes: SweepOutcome[] = [];

  const drain = async (): Promise<void> => {
    let worker: WorkerProcess | undefined;
    try {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const { job, attempt } = next;
        const { index, hash, dir, recipe } = job;
        worker ??= new WorkerProcess(kernelThreads);
        emit({ type: "started", index, hash, attempt, pid: worker.pid, ...(job.recomputing && attempt === 1 && { recomputing: job.recomputing }) });
        const reply = await worker.run({ hash, dir, recipe }, (epoch, record) => emit({ type: "epoch", index, hash, epoch, epochs: recipe.train.epochs, record }));
        if (reply.kind === "done") {
          const outcome = { ok: true, index, dir, ...reply.run, loaded: false } as const;
          outcomes.push(outcome);
          emit({ type: "finished", index, hash, outcome });
          continue;
        }
        if (reply.kind === "died") worker = undefined;
        const retrying = reply.kind === "died" && attempt <= retries;
        const error = `recipes[${index}]: ${reply.message}`;
        emit({ type: "failed", index, hash, error, retrying });
        if (retrying) queue.push({ job, attempt: attempt + 1 });
        else outcomes.push({ ok: false, index, dir, hash, recipe, error, attempts: attempt });
      }
    } catch (error) {
      // A throwing event listener ends the sweep: the other workers finish their run and stop.
      queue.length = 0;
      throw error;
    } finally {
      worker?.stop();
    }
  };

  await Promise.all(Array.from({ length: Math.min(workers, jobs.length) }, drain));
  return outcomes;
}
