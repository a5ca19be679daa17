import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { HistoryRecord } from "../train/events.js";
import type { RunRequest, WorkerMessage } from "./protocol.js";
import type { StoredRun } from "./store.js";

/** The compiled worker entry; the same path from dsl/src/sweep (tests) and dsl/dist/sweep. */
const WORKER_ENTRY = fileURLToPath(new URL("../../dist/sweep/worker.js", import.meta.url));

/** How much of a worker's stderr is kept to explain its death. */
const STDERR_TAIL = 2000;

export type RunReply =
  | { readonly kind: "done"; readonly run: StoredRun }
  | { readonly kind: "error"; readonly message: string }
  /** The process ended before answering: the run may succeed in a fresh one. */
  | { readonly kind: "died"; readonly message: string };

/** A forked worker process that trains one run at a time. */
export class WorkerProcess {
  readonly #child: ChildProcess;
  #stderr = "";
  #ended?: string;
  #pending?: { readonly resolve: (reply: RunReply) => void; readonly onEpoch: (epoch: number, record: HistoryRecord) => void };

  /** `kernelThreads`: the worker's share of the cores for the native kernels (unless the caller set SPARSELAB_KERNEL_THREADS). */
  constructor(kernelThreads: number) {
    const env = { SPARSELAB_KERNEL_THREADS: String(kernelThreads), ...process.env };
    // stdout is ignored: a worker's stray output must not mix into the sweep's (the CLI prints JSON there).
    this.#child = fork(WORKER_ENTRY, [], { env, stdio: ["ignore", "ignore", "pipe", "ipc"] });
    this.#child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-STDERR_TAIL);
    });
    this.#child.on("message", (message: WorkerMessage) => this.#receive(message));
    this.#child.on("error", (error) => this.#end(error.message));
    // "close" rather than "exit": by then stderr has been read to its end.
    this.#child.on("close", (code, signal) => this.#end(signal ? `killed by ${signal}` : `exited with code ${code}`));
  }

  get pid(): number {
    return this.#child.pid ?? -1;
  }

  run(request: RunRequest, onEpoch: (epoch: number, record: HistoryRecord) => void): Promise<RunReply> {
    return new Promise((resolve) => {
      if (this.#ended) return resolve({ kind: "died", message: this.#ended });
      this.#pending = { resolve, onEpoch };
      this.#child.send(request);
    });
  }

  /** Lets the worker exit once it has nothing to do (it exits when the IPC channel closes). */
  stop(): void {
    if (this.#child.connected) this.#child.disconnect();
  }

  #receive(message: WorkerMessage): void {
    const pending = this.#pending;
    if (!pending) return;
    if (message.type === "epoch") return pending.onEpoch(message.epoch, message.record);
    this.#pending = undefined;
    pending.resolve(message.type === "done" ? { kind: "done", run: message.run } : { kind: "error", message: message.message });
  }

  #end(how: string): void {
    const lastLine = this.#stderr.trim().split("\n").pop();
    this.#ended ??= `worker process ${this.pid} ${how}${lastLine ? ` (${lastLine})` : ""}`;
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.resolve({ kind: "died", message: this.#ended });
  }
}
